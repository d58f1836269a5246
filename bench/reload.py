"""reload-latency: from an external write of runbook.yaml to the first frame whose tree shows it.

The real app (run_test, 120×40, live reload on) on a copy of the demo. Each run renames one task
by rewriting runbook.yaml in place, as an editor saving the file would, and waits for the first
frame displayed after the tree's row carries the new name. The watcher's debounce (to fold an
editor's burst of writes into one reload) is part of the figure.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench import app_driver
from bench.result import Measured

RUNS = 7
TASK, NAME = "release_notes", "Write the release notes"
SETTLE_SECONDS = 0.5  # between runs: the watcher is quiet again and the last reload is done


async def reload_times(runbook: Path, runs: int) -> list[float]:
    app = app_driver.make_app(runbook, watch=True)
    times = []
    async with app.run_test(size=app_driver.SIZE) as pilot:
        await app_driver.wait_until(pilot, lambda: app_driver.tree_row_name(app, TASK) == NAME)
        await pilot.pause(SETTLE_SECONDS)  # the watcher is running
        text = runbook.read_text(encoding="utf-8")
        for run in range(runs):
            new_name = f"{NAME} (edit {run})"
            edited = text.replace(f'name: "{NAME}"', f'name: "{new_name}"', 1)
            if edited == text:
                edited = text.replace(f"name: {NAME}", f"name: {new_name}", 1)
            assert edited != text, "the demo runbook no longer names the task as expected"
            shown = asyncio.ensure_future(
                app_driver.first_frame_after(app, lambda n=new_name: app_driver.tree_row_name(app, TASK) == n)
            )
            await asyncio.sleep(0)
            start = time.perf_counter()
            runbook.write_text(edited, encoding="utf-8")
            times.append((await shown) - start)
            await pilot.pause(SETTLE_SECONDS)
        app.exit()
    return times


def reload_latency(quick: bool) -> Measured:
    from tui.commands.demo import prepare_demo

    app_driver.isolate_user_config()
    runs = 1 if quick else RUNS
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-reload-") as tmp:
        demo = prepare_demo(Path(tmp) / "demo")
        times = asyncio.run(reload_times(demo / "runbook.yaml", runs))
    ms = [t * 1000 for t in times]
    return Measured(
        statistics.median(ms),
        f"demo runbook, median of {runs} edits (runs {', '.join(f'{t:.0f}' for t in ms)} ms)",
    )
