"""Watch a runbook folder for external edits: runbook.yaml, patchbay.yaml, tasks/ and prompt_templates/.

Patchbay's own YAML writes are recognised by their bytes (tui.runbook.writer remembers a digest of
each) and ignored, so a status change made by a run never triggers a reload. The working tree, logs
and outputs are ignored too: only what the runbook is made of counts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from tui.runbook.writer import is_own_write

WATCHED_FOLDERS = ("tasks", "prompt_templates")
WATCHED_SUFFIXES = (".yaml", ".yml", ".j2", ".jinja", ".md", ".txt")
STEP_MS = 20  # how often the watcher checks for events
DEBOUNCE_MS = 50  # an editor's burst of writes becomes one change


def is_runbook_file(folder: Path, path: Path) -> bool:
    """True for the files a runbook is made of (not the working tree, logs or outputs)."""
    try:
        relative = path.relative_to(folder)
    except ValueError:
        return False
    parts = relative.parts
    if not parts or parts[-1].startswith("."):  # hidden files include the atomic writer's temp files
        return False
    if len(parts) == 1:
        return parts[0].endswith((".yaml", ".yml"))
    return parts[0] in WATCHED_FOLDERS and parts[-1].endswith(WATCHED_SUFFIXES)


def external_changes(folder: Path, paths: list[Path]) -> list[Path]:
    """The changed runbook files that Patchbay did not write itself."""
    return [path for path in paths if is_runbook_file(folder, path) and not _holds_own_write(path)]


def _holds_own_write(path: Path, looks: int = 3) -> bool:
    """True when the file holds what Patchbay wrote last. What was read may have been replaced by
    a newer write of ours before it was judged: then the newer bytes are judged instead."""
    try:
        data = path.read_bytes()
        for _ in range(looks):
            if is_own_write(path, data):
                return True
            again = path.read_bytes()
            if again == data:
                return False  # still the same bytes, and not ours: the user's
            data = again
    except OSError:  # deleted or moved away: that is a change
        return False
    return False


async def watch_runbook_folder(
    folder: Path,
    on_change: Callable[[list[Path]], Awaitable[None] | None],
    stop_event=None,
    *,
    report_all: Callable[[], bool] = lambda: False,
) -> None:
    """Call `on_change` with the externally changed files each time a burst of edits settles."""
    from watchfiles import awatch  # imported in the worker, off the first frame's path

    folder = folder.resolve()

    def wanted(_change, raw: str) -> bool:
        return is_runbook_file(folder, Path(raw))

    async for batch in awatch(
        folder, watch_filter=wanted, debounce=DEBOUNCE_MS, step=STEP_MS, stop_event=stop_event
    ):
        paths = sorted({Path(raw) for _change, raw in batch})
        # While the runbook shows an error, every change counts: a user who undoes a broken edit
        # puts back exactly the bytes Patchbay wrote last, which would otherwise look like our own.
        changed = paths if report_all() else external_changes(folder, paths)
        if changed:
            result = on_change(changed)
            if result is not None:
                await result
