"""`e` and `c` on the review screen: the current file's proposal edited in $VISUAL / $EDITOR (the
app suspended meanwhile), and its change as unified-diff text for the clipboard."""

from __future__ import annotations

import difflib
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import App, SuspendNotSupported

from tui.patch.model import FileChange


class ProposalNotEdited(Exception):
    """The editor could not run, or left text that is not UTF-8: the sentence says which."""


def edit_proposal(app: App, change: FileChange) -> str:
    """The file's proposed text as the user left it in the editor."""
    proposed = change.new_text or ""
    suffix = Path(change.path).suffix
    with tempfile.TemporaryDirectory(prefix="patchbay-edit-") as folder:
        path = Path(folder) / f"proposed{suffix}"
        path.write_text(proposed, encoding="utf-8", newline="")
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        command = [*shlex.split(editor), str(path)]
        try:
            if app.is_headless:  # no terminal to hand over (tests): run the editor as is
                subprocess.call(command, stdin=subprocess.DEVNULL)
            else:
                with app.suspend():
                    subprocess.call(command)
        except (OSError, SuspendNotSupported) as error:
            raise ProposalNotEdited(f"Could not open the editor ({editor}): {error}.") from None
        try:
            return path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            raise ProposalNotEdited("The edited file is not UTF-8 text; the proposal is unchanged.") from None


def file_diff_text(change: FileChange) -> str:
    """The file's proposed change as a unified diff (every placed hunk)."""
    old = change.old_text.splitlines(keepends=True)
    new = (change.new_text or "").splitlines(keepends=True)
    before = "/dev/null" if change.kind == "create" else f"a/{change.path}"
    after = "/dev/null" if change.kind == "delete" else f"b/{change.path}"
    lines = difflib.unified_diff(old, new, before, after)
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
