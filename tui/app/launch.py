"""Open the TUI: load the runbook(s) and settings first (errors are one sentence, before any screen),
then run the app. Only what the first frame needs is imported here; models load in a worker."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from tui.errors import PatchbayError


def runbook_files(path: Path) -> list[Path]:
    """A runbook.yaml, a folder holding one, or a folder of runbooks (each found by the loader)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise PatchbayError(f"{path} does not exist; give a runbook.yaml or a folder of runbooks")
    if path.is_file() or (path / "runbook.yaml").is_file():
        return [path]
    from tui.runbook.loader import find_runbooks

    found = list(find_runbooks(path))
    if not found:
        raise PatchbayError(f"{path} holds no runbook.yaml")
    return found


def open_sessions(path: Path, args: argparse.Namespace) -> list:
    from tui.runner import Session

    config = getattr(args, "config", None)
    runbooks = runbook_files(path)
    if getattr(args, "force_unlock", False):
        # straight from the runbook layer: the app importing a command would make an import cycle
        from tui.runbook.driver_lock import force_unlock, force_unlock_sentence
        from tui.runbook.loader import runbook_file_for

        for runbook in runbooks:
            folder = runbook_file_for(Path(runbook)).parent
            print(f"patchbay: {force_unlock_sentence(folder, force_unlock(folder))}", file=sys.stderr)
    # Each session takes its runbook's lock; one held elsewhere opens read-only (session.read_only).
    return [
        Session(
            runbook,
            config_file=Path(config) if config else None,
            model_override=getattr(args, "model", None),
            replay_rate=getattr(args, "replay_rate", None),
            driver="the Patchbay TUI",
        )
        for runbook in runbooks
    ]


def settings(path: Path, args: argparse.Namespace):
    """The merged PatchbayConfig (theme, keymap), or None when tui.config is not available."""
    try:
        from tui.config import load_config
    except ImportError:
        return None
    config = getattr(args, "config", None)
    folder = Path(path).expanduser()
    return load_config(folder if folder.is_dir() else folder.parent, Path(config) if config else None)


# Parsing a 10,000-task runbook's events takes half a second, longer than the whole first frame:
# above this size the syntax check is left to the load that follows the first frame.
QUICK_CHECK_BYTES = 256 * 1024


def quick_check(path: Path) -> None:
    """Before any screen: the runbook exists and its YAML parses (a LocatedError with the line if
    not). The full load, with every check, runs after the first frame."""
    import yaml

    from tui.errors import LocatedError, Location

    for runbook in runbook_files(path):
        file = runbook / "runbook.yaml" if runbook.is_dir() else runbook
        try:
            if file.stat().st_size > QUICK_CHECK_BYTES:
                continue  # the load after the first frame says the same sentence, then exits
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PatchbayError(f"{file} cannot be read ({exc})") from None
        try:
            # Parse events only: the syntax check the first frame waits for, without building the
            # document (seconds on a 10,000-task runbook); the load after the first frame does that.
            for _event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
                pass
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
            raise LocatedError(where, f"this is not valid YAML ({exc.problem})") from None


def first_frame_theme(path: Path, args: argparse.Namespace) -> str | None:
    """The theme for the first frame without importing the settings machinery: --theme, else the
    `theme:` line of the settings files (the full settings are applied once loaded)."""
    requested = getattr(args, "theme", None)
    if requested:
        return requested
    import os

    import yaml

    config = getattr(args, "config", None)
    if config:
        files = [Path(config)]
    else:
        base = os.environ.get("XDG_CONFIG_HOME") or ""
        root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
        folder = Path(path).expanduser()
        files = [
            root / "patchbay" / "config.yaml",
            (folder if folder.is_dir() else folder.parent) / "patchbay.yaml",
        ]
    theme = None
    for file in files:
        try:
            data = yaml.load(
                file.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            )
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and isinstance(data.get("theme"), str):
            theme = data["theme"]
    return theme


def check_theme(requested: str | None, known: set[str]) -> None:
    if requested is not None and requested not in known:
        raise PatchbayError(
            f"there is no theme called {requested!r}; choose one of {', '.join(sorted(known))}"
        )


def launch(runbook: Path, args: argparse.Namespace) -> int:
    try:
        quick_check(runbook)
    except PatchbayError as exc:
        print(f"patchbay: {exc}", file=sys.stderr)
        return 1
    # Collections during start-up scan the objects the imports just made, again and again (a
    # tenth of a second on a slow machine); PatchbayApp.on_ready turns the collector back on once
    # the first frame is on screen, as Textual itself pauses it while scrolling.
    gc.disable()
    try:
        return _run_app(runbook, args)
    finally:
        gc.enable()


def _run_app(runbook: Path, args: argparse.Namespace) -> int:
    from tui.app.app import PatchbayApp

    try:
        check_theme(getattr(args, "theme", None), PatchbayApp.known_theme_names())
    except PatchbayError as exc:
        print(f"patchbay: {exc}", file=sys.stderr)
        return 1

    def load() -> list:
        config = settings(runbook, args)
        sessions = open_sessions(runbook, args)
        if config is not None:
            app.call_from_thread(app.apply_settings, config, getattr(args, "theme", None))
        return sessions

    # The first frame shows a skeleton of this file (tui.app.skeleton) while `load` runs in a thread.
    load.runbook = runbook if runbook.is_file() else runbook / "runbook.yaml"  # type: ignore[attr-defined]
    app = PatchbayApp(load, theme=first_frame_theme(runbook, args), parallel=getattr(args, "parallel", None))
    try:
        app.run()
    finally:
        for session in app.sessions:
            session.close()
    if app.startup_error:
        print(f"patchbay: {app.startup_error}", file=sys.stderr)
        return 1
    return app.return_code or 0
