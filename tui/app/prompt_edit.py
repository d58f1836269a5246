"""A one-off edit of a prompt in the user's $VISUAL / $EDITOR, with the app suspended meanwhile."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import App


def edit_in_editor(app: App, text: str, *, suffix: str) -> str | None:
    """The edited text, or None when the editor could not run or exited with an error (said)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    handle, name = tempfile.mkstemp(prefix="patchbay-prompt-", suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        try:
            if app.is_headless:  # no terminal to hand over (tests): run the editor as it is
                code = subprocess.call([*shlex.split(editor), str(path)], stdin=subprocess.DEVNULL)
            else:
                with app.suspend():
                    code = subprocess.call([*shlex.split(editor), str(path)])
        except Exception as exc:  # SuspendNotSupported (e.g. in a browser), or no such editor
            app.notify(f"Cannot open {editor}: {exc}", severity="error")
            return None
        if code != 0:
            app.notify(f"{editor} exited {code}; the prompt is unchanged.", severity="warning")
            return None
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)
