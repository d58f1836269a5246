"""review-open-5k and review-open-50k: from asking for the review screen to its first paint.

Wraps bench/review_open.py (the review screen's own timing script): 20 files, one-line edits with
3 lines of context, hunks placed by tui.patch before the clock starts. The first open in a process
pays one-off imports and style parsing, as the first review of a session does; the figure is the
median of several opens, and the detail gives the first (cold) one too. review-open-50k opens the
5,000-line and the 50,000-line diffs in turn, so that the machine's drift weighs on both alike.

review-open-5k is reported against its floor: drawing one screen of the same diff with Rich
(the first 50 diff lines, old and new side by side and highlighted, at 160 columns), measured in
the same run. The ratio is reported; the 250 ms bound is kept as a ceiling beside it.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.result import Measured

RUNS = 5
PAIRED_RUNS = 7  # review-open-50k: a ratio of two medians steadies with a few more opens


CEILING_MS = 250.0
SCREEN_ROWS = 50


def open_times(diff_lines: int, runs: int, floor: list[float] | None = None) -> tuple[list[float], int]:
    """Wall ms of each open (the first one cold), and the diff's line count; `floor` gets Rich's times."""
    from bench.review_open import diff_line_count, make_project, time_open
    from tui.patch.extract import build_change_set

    with tempfile.TemporaryDirectory(prefix="patchbay-bench-review-") as folder:
        answer = make_project(Path(folder), diff_lines)
        change_set = build_change_set(answer, Path(folder))
        walls = []
        for _ in range(runs):
            if floor is not None:
                floor.append(rich_screen_ms(answer))
            walls.append(asyncio.run(time_open(change_set))[0])
        return walls, diff_line_count(change_set)


def rich_screen_ms(answer: str) -> float:
    """Drawing one screen of the diff with Rich alone: the floor of any diff view."""
    import io

    from rich.console import Console
    from rich.syntax import Syntax
    from rich.table import Table

    rows = [line for line in answer.splitlines() if line[:1] in " +-" and not line.startswith(("---", "+++"))]
    start = time.perf_counter()
    table = Table.grid(expand=True)
    table.add_column(ratio=1)
    table.add_column(ratio=1)
    for line in rows[:SCREEN_ROWS]:
        old = "" if line.startswith("+") else line[1:]
        new = "" if line.startswith("-") else line[1:]
        table.add_row(
            Syntax(old, "python", theme="monokai", word_wrap=False),
            Syntax(new, "python", theme="monokai", word_wrap=False),
        )
    console = Console(
        file=io.StringIO(), width=160, height=SCREEN_ROWS, color_system="truecolor", force_terminal=True
    )
    console.print(table)
    return (time.perf_counter() - start) * 1000


def review_open_5k(quick: bool) -> Measured:
    floors: list[float] = []
    walls, lines = open_times(200 if quick else 5_000, 1 if quick else RUNS, floors)
    median, floor = statistics.median(walls), statistics.median(floors)
    verdict = "within" if median < CEILING_MS else "OVER"
    return Measured(
        median / floor,
        f"{lines:,} diff lines in 20 files at 160×50: {median:.0f} ms (median of {len(walls)} opens; first, cold, "
        f"{walls[0]:.0f} ms), {verdict} the {CEILING_MS:.0f} ms ceiling, vs Rich drawing one screen of it "
        f"{floor:.0f} ms",
    )


def paired_open_times(
    small_lines: int, large_lines: int, runs: int
) -> tuple[list[float], int, list[float], int]:
    """Opens of the small and the large diff taken in turn, so that a shared machine's drift (another
    process, a slower core for a second) falls on both sides of the ratio alike."""
    from bench.review_open import diff_line_count, make_project, time_open
    from tui.patch.extract import build_change_set

    with (
        tempfile.TemporaryDirectory(prefix="patchbay-bench-review-") as small_folder,
        tempfile.TemporaryDirectory(prefix="patchbay-bench-review-") as large_folder,
    ):
        small_set = build_change_set(make_project(Path(small_folder), small_lines), Path(small_folder))
        large_set = build_change_set(make_project(Path(large_folder), large_lines), Path(large_folder))
        small, large = [], []
        for _ in range(runs):
            small.append(asyncio.run(time_open(small_set))[0])
            large.append(asyncio.run(time_open(large_set))[0])
        return small, diff_line_count(small_set), large, diff_line_count(large_set)


def review_open_50k(quick: bool) -> Measured:
    small, small_lines, large, large_lines = paired_open_times(
        200 if quick else 5_000, 2_000 if quick else 50_000, 1 if quick else PAIRED_RUNS
    )
    a, b = statistics.median(small), statistics.median(large)
    return Measured(
        b / a,
        f"{large_lines:,} lines {b:.0f} ms vs {small_lines:,} lines {a:.0f} ms "
        f"(medians of {len(large)} opens each, taken in turn)",
    )
