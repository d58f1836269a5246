"""Quitting while something runs: stop it and let its threads end before the app does, so the panels
set each unapplied run aside (READY, logged) as they unmount, never leaving RUNNING on disk."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

    from tui.app.widgets.batch_panel import BatchPanel
    from tui.app.widgets.run_panel import RunPanel

# Worker groups that may hold a run when the user quits, and how long quitting waits for them.
WIND_DOWN_GROUPS = frozenset({"run", "action", "batch", "batch-settle"})
QUIT_GRACE_S = 10.0


async def wind_down(app: App, run_panel: RunPanel, batch_panel: BatchPanel) -> None:
    run_panel.quitting = batch_panel.quitting = True
    run_panel.cancel()
    batch_panel.cancel()
    running = [w for w in app.workers if w.group in WIND_DOWN_GROUPS and not w.is_finished]
    try:
        await asyncio.wait_for(app.workers.wait_for_complete(running), QUIT_GRACE_S)
    except asyncio.TimeoutError:
        pass  # a backend that ignores the cancel: the task then shows as interrupted, R resets it
