"""tui-10k-manual-done: a manual task marked done on a 10,000-task runbook, from `y` to the frame.

The app is the real one, headless at 120×40, on a runbook from bench/runbook_load_probe.py (no
detail files) whose middle task is MANUAL and READY. Each run presses `y` on it and times the key
to the first frame that shows it DONE and its dependant READY: two careful writes of the runbook
(RUNNING, then DONE with the promotion), their log lines, and the tree's redraw. `down` is pressed
right after `y`, while the writes are under way, and timed to the frame that shows the cursor moved.
Between runs the task is reset to READY, untimed.

The floor is the same interaction on a 100-task runbook in the same run (rounds of each, in turn),
plus what the big file's two careful writes cost the disk beyond the small file's: one status write
on a copy of each runbook, timed between the runs, twice the difference of their medians. The ratio
says what 10,000 tasks add to the TUI's own work, however fast the machine and its disk are that day.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import tempfile
import time
from pathlib import Path

from bench.result import Measured

ROUNDS = 3
RUNS = 4  # per round and app
WRITES = 2  # careful writes of runbook.yaml between `y` and the frame: RUNNING, then DONE and the promotion
FLOOR_TASKS = 100
INLINE_AI = "    ai_details: {prompt_template: generate.j2}\n"


def manual_runbook(folder: Path, tasks: int) -> tuple[Path, str, str]:
    """A probe runbook whose middle task (the first READY one) is MANUAL; (file, it, its dependant)."""
    from bench.runbook_load_probe import write_runbook

    write_runbook(folder, tasks, detail_files=False)
    path = folder / "runbook.yaml"
    text = path.read_text(encoding="utf-8")
    middle = tasks // 2
    start = text.index(f"  - id: task_{middle}\n")
    end = text.index("  - id:", start + 1)
    entry = text[start:end].replace("type: AI_ASSISTED", "type: MANUAL").replace(INLINE_AI, "")
    path.write_text(text[:start] + entry + text[end:], encoding="utf-8")
    return path, f"task_{middle}", f"task_{middle + 1}"


def _send(app, key: str) -> None:
    """The key as the terminal would send it: queued at once, not awaited like Pilot.press."""
    from textual import events

    event = events.Key(key, None)
    event.set_sender(app)
    app._driver.send_message(event)


async def done_ms(runbook: Path, task: str, dependant: str, runs: int, between) -> tuple[list, list]:
    """(y to DONE on screen, down-during-the-write to the moved cursor), in ms, one pair per run."""
    from bench.app_driver import SIZE, first_frame_after, main_screen, make_app, wait_until

    app = make_app(runbook)
    shown, keys = [], []
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            pilot, lambda: bool(main_screen(app).sessions) and main_screen(app).tree.shown_count > 0
        )
        screen = main_screen(app)
        session, tree = screen.sessions[0], screen.tree
        # the model's loading thread (no model here: it fails at once) must not be part of the figure
        await wait_until(
            pilot, lambda: not [w for w in app.workers if not w.is_finished and w.group != "watch"]
        )
        for _ in range(runs):
            await wait_until(pilot, lambda: tree.selected_key == (0, task))
            below = tree.cursor_line + 1

            def done() -> bool:
                mine, theirs = tree.row((0, task)), tree.row((0, dependant))
                return mine.status == "DONE" and theirs.status == "READY"

            loop = asyncio.get_running_loop()
            frame = loop.create_task(first_frame_after(app, done))
            moved = loop.create_task(first_frame_after(app, lambda below=below: tree.cursor_line == below))
            await asyncio.sleep(0)  # both hooks in place before the keys
            start = time.perf_counter()
            _send(app, "y")
            await asyncio.sleep(0.01)  # the writes have begun in their thread
            pressed = time.perf_counter()
            _send(app, "down")
            keys.append((await moved - pressed) * 1000)
            shown.append((await frame - start) * 1000)
            await wait_until(
                pilot, lambda: not [w for w in app.workers if not w.is_finished and w.group != "watch"]
            )
            await asyncio.to_thread(session.reset, task)  # untimed: READY again, the dependant waits again
            await wait_until(pilot, lambda: tree.row((0, dependant)).status == "PENDING")
            tree.select_task((0, task))
            between()
    return shown, keys


def tui_10k_manual_done(quick: bool) -> Measured:
    from bench.app_driver import isolate_user_config
    from tui.runbook.loader import load_runbook
    from tui.runbook.writer import set_task_status

    tasks, rounds = (300, 1) if quick else (10_000, ROUNDS)
    isolate_user_config()
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-manual-") as tmp:
        small = manual_runbook(Path(tmp) / "small", FLOOR_TASKS)
        big = manual_runbook(Path(tmp) / "big", tasks)
        copies = {size: manual_runbook(Path(tmp) / f"copy-{size}", size) for size in (FLOOR_TASKS, tasks)}
        writes: dict[int, list[float]] = {size: [] for size in copies}
        statuses = itertools.cycle(("RUNNING", "READY"))
        for path, _task, _dependant in copies.values():
            load_runbook(path)  # the status write's index, as the app's load makes it

        def status_writes() -> None:  # between runs: the disk as the runs see it
            for size, (path, task, _dependant) in copies.items():
                start = time.perf_counter()
                set_task_status(path, task, next(statuses))
                writes[size].append((time.perf_counter() - start) * 1000)

        asyncio.run(done_ms(*small, 1, lambda: None))  # warm imports and styles for both
        small_ms, big_ms, key_ms = [], [], []
        for _ in range(rounds):  # interleaved, so drift on a shared machine hits both alike
            shown, _keys = asyncio.run(done_ms(*small, RUNS, status_writes))
            small_ms += shown
            shown, keys = asyncio.run(done_ms(*big, RUNS, status_writes))
            big_ms += shown
            key_ms += keys
    value, small_value = statistics.median(big_ms), statistics.median(small_ms)
    big_write, small_write = statistics.median(writes[tasks]), statistics.median(writes[FLOOR_TASKS])
    # The two careful writes of a bigger file cost the disk more; that is the file's size, not the TUI.
    floor = small_value + WRITES * max(0.0, big_write - small_write)
    return Measured(
        value / floor,
        f"y to DONE and its dependant READY on screen: {value:.0f} ms on {tasks:,} tasks (target ~200 ms) "
        f"vs {small_value:.0f} ms on {FLOOR_TASKS} tasks plus {WRITES} x the difference of one status write "
        f"({big_write:.1f} vs {small_write:.1f} ms) = {floor:.0f} ms (medians of {len(big_ms)}); down pressed "
        f"during the writes on screen after {statistics.median(key_ms):.0f} ms (slowest {max(key_ms):.0f} ms)",
    )
