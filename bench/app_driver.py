"""The benchmarks' only coupling to the app: build it on a runbook, count its frames, find its parts.

Frames are counted at `App._display` in a subclass (reference/textual.md §5.2): headless Textual
still composes every frame and hands it to `_display`, which then skips the terminal write. A
frame held back by `batch_update()` is not a frame. If the app's import paths or screen layout
change, this is the one file to follow them.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SIZE = (120, 40)


def isolate_user_config() -> None:
    """The user's own ~/.config/patchbay (theme, models, keymap) must not change a figure."""
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="patchbay-bench-config-")
    os.environ.pop("NO_COLOR", None)


def timed_app_class():
    from tui.app.app import PatchbayApp

    class TimedApp(PatchbayApp):
        """PatchbayApp that notes the time of every frame and calls `frame_hooks` after each."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.frame_times: list[float] = []
            self.frame_hooks: list[Callable[[float], None]] = []

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            if renderable is None or self._batch_count:
                return
            now = time.perf_counter()
            self.frame_times.append(now)
            for hook in list(self.frame_hooks):
                hook(now)

    return TimedApp


def make_app(runbook_file: Path, *, replay_rate: float | None = None, watch: bool = False):
    """The real app on one real Session, as `patchbay RUNBOOK` builds it (sessions given up front)."""
    from tui.runner import Session

    session = Session(runbook_file, replay_rate=replay_rate)
    return timed_app_class()([session], watch=watch)


def main_screen(app):
    from tui.app.screens.main import MainScreen

    for screen in app.screen_stack:
        if isinstance(screen, MainScreen):
            return screen
    raise LookupError("the app shows no main screen")


async def wait_until(pilot, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.01)


async def wait_for_model(pilot, app) -> None:
    """The tree is filled and the model (loaded in a worker after the first frame) is ready."""
    session = app.sessions[0]
    task = next(iter(session.runbook.tasks))
    name = session.model_name_for(task)
    await wait_until(pilot, lambda: session.is_loaded(name))
    await wait_until(pilot, lambda: not [w for w in app.workers if w.group == "model" and not w.is_finished])


def output_log_lines(app) -> list[str]:
    return main_screen(app).output.log_widget.lines


def watch_output_feed(app, on_feed: Callable[[str], None]) -> None:
    """Call `on_feed` (from the producer's thread) for every chunk the runner feeds the output pane."""
    pane = main_screen(app).output
    original = pane.feed

    def feed(text: str) -> None:
        on_feed(text)
        original(text)

    pane.feed = feed  # the run binds `self.output.feed` when generation starts, after this


def run_task(app, task_id: str) -> None:
    main_screen(app).run_task((0, task_id))


def tree_row_name(app, task_id: str) -> str | None:
    row = main_screen(app).tree.row((0, task_id))
    return row.name if row is not None else None


async def first_frame_after(app, condition: Callable[[], bool], timeout: float = 120.0) -> float:
    """The time of the first frame displayed once `condition()` holds (checked after each frame)."""
    loop = asyncio.get_running_loop()
    shown: asyncio.Future[float] = loop.create_future()

    def hook(now: float) -> None:
        if not shown.done() and condition():
            shown.set_result(now)

    app.frame_hooks.append(hook)
    try:
        return await asyncio.wait_for(shown, timeout)
    finally:
        app.frame_hooks.remove(hook)
