"""Driving the app in Pilot tests: build it on a demo copy, and wait for workers instead of sleeping."""

from __future__ import annotations

from pathlib import Path


def make_app(folder: Path, *, rate: float = 0, watch: bool = False, keymap=None, theme=None):
    from tui.app.app import PatchbayApp
    from tui.runner import Session

    session = Session(folder / "runbook.yaml", replay_rate=rate)
    return PatchbayApp([session], watch=watch, keymap=keymap, theme=theme)


def busy_workers(app) -> list:
    return [w for w in app.workers if w.group != "watch" and not w.is_finished]


async def settle(pilot, until=lambda: True, rounds: int = 400) -> None:
    """Let workers finish and their messages be handled until `until()` holds (bounded, no sleeps
    beyond Textual's own idle waits)."""
    for _ in range(rounds):
        workers = busy_workers(pilot.app)
        if workers:
            await pilot.app.workers.wait_for_complete(workers)
        await pilot.pause()
        if until() and not busy_workers(pilot.app):
            return
    raise AssertionError("the app did not reach the expected state")


async def wait_for(pilot, condition, rounds: int = 500) -> None:
    """Poll a condition between short pauses (for things outside Textual, like file events)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition never became true")


def main_screen(app):
    from tui.app.screens.main import MainScreen

    for screen in app.screen_stack:
        if isinstance(screen, MainScreen):
            return screen
    raise AssertionError("no main screen")


def hold_stream_until_cancelled(session, task_id: str) -> None:
    """The task's replay stream stops after its first chunk until the run is cancelled.

    The replay paces tokens by the clock, so on a loaded machine a whole answer can land between
    two looks of a test; held, an `escape` or `q` always arrives while the answer is generating.
    """
    from tui.engine.base import Chunk

    backend = session.backend(session.model_name_for(session.task(task_id)))
    real = backend._generate

    def held(request, cancel):
        first = True
        for item in real(request, cancel):
            yield item
            if first and isinstance(item, Chunk):
                first = False
                cancel.wait(60)

    backend._generate = held
