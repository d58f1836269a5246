"""tui-10k-filter: each filter keystroke on a 10,000-task runbook, from the key to its frame.

The app is the real one on a runbook from bench/runbook_load_probe.py (no detail files: the figure
is about the tree, not the loader), headless at 120×40. A nine-character filter is typed one key
at a time; each keystroke is timed from the key event to the first frame that shows the tree
narrowed to that text. Then escape clears it, timed the same way to the frame that shows every task
again. The floor is the same typing and clearing on a 100-task runbook in the same run, so a filter
that walks or draws every task shows up as a ratio however fast the machine is that day.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.result import Measured

TYPED = "task_9999"  # narrows from every task to one, one character at a time


async def keystroke_ms(runbook_file: Path) -> list[float]:
    from bench.app_driver import SIZE, main_screen, make_app, wait_until

    app = make_app(runbook_file)
    times: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            pilot, lambda: bool(main_screen(app).sessions) and main_screen(app).tree.shown_count > 0
        )
        screen = main_screen(app)
        await pilot.press("slash")
        await pilot.pause()
        for length in range(1, len(TYPED) + 1):
            text = TYPED[:length]
            shown = asyncio.get_running_loop().create_future()

            def hook(now: float, text=text, shown=shown) -> None:
                if not shown.done() and screen.tree.filter_text == text and screen.tree.settled:
                    shown.set_result(now)

            app.frame_hooks.append(hook)  # before the key, so no frame slips past
            start = time.perf_counter()
            await pilot.press(TYPED[length - 1])
            times.append((await asyncio.wait_for(shown, 60) - start) * 1000)
            app.frame_hooks.remove(hook)
        total = len(screen.sessions[0].runbook.tasks)
        cleared = asyncio.get_running_loop().create_future()

        def all_back(now: float) -> None:
            if not cleared.done() and screen.tree.filter_text == "" and screen.tree.shown_count == total:
                cleared.set_result(now)

        app.frame_hooks.append(all_back)
        start = time.perf_counter()
        await pilot.press("escape")
        times.append((await asyncio.wait_for(cleared, 60) - start) * 1000)  # the last figure: the clear
        app.frame_hooks.remove(all_back)
    return times


def typing_ms(tasks: int, workdir: Path) -> list[float]:
    from bench.app_driver import isolate_user_config
    from bench.runbook_load_probe import write_runbook

    isolate_user_config()
    folder = Path(tempfile.mkdtemp(dir=workdir)) / f"runbook-{tasks}"
    write_runbook(folder, tasks, detail_files=False)
    return asyncio.run(keystroke_ms(folder / "runbook.yaml"))


def tui_10k_filter(quick: bool) -> Measured:
    tasks = 500 if quick else 10_000
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-filter-") as tmp:
        typing_ms(100, Path(tmp))  # warm imports and styles, so neither run pays them
        floor = typing_ms(100, Path(tmp))
        big = typing_ms(tasks, Path(tmp))
    worst, worst_floor = max(big), max(floor)
    return Measured(
        worst / worst_floor,
        f"typing '{TYPED}' then escape: slowest key {worst:.0f} ms on {tasks:,} tasks (median "
        f"{statistics.median(big[:-1]):.0f} ms, clearing {big[-1]:.0f} ms; target 50 ms) vs "
        f"{worst_floor:.0f} ms on 100 tasks (clearing {floor[-1]:.0f} ms)",
    )
