"""review-open-5k and review-open-50k: from asking for the review screen to its first paint.

Wraps bench/review_open.py (the review screen's own timing script): 20 files, one-line edits with
3 lines of context, hunks placed by tui.patch before the clock starts. The first open in a process
pays one-off imports and style parsing, as the first review of a session does; the figure is the
median of several opens, and the detail gives the first (cold) one too.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path

from bench.result import Measured

RUNS = 5


def open_times(diff_lines: int, runs: int) -> tuple[list[float], int]:
    """Wall ms of each open (the first one cold), and the diff's line count."""
    from bench.review_open import diff_line_count, make_project, time_open
    from tui.patch.extract import build_change_set

    with tempfile.TemporaryDirectory(prefix="patchbay-bench-review-") as folder:
        answer = make_project(Path(folder), diff_lines)
        change_set = build_change_set(answer, Path(folder))
        walls = [asyncio.run(time_open(change_set))[0] for _ in range(runs)]
        return walls, diff_line_count(change_set)


def review_open_5k(quick: bool) -> Measured:
    walls, lines = open_times(200 if quick else 5_000, 1 if quick else RUNS)
    median = statistics.median(walls)
    return Measured(
        median,
        f"{lines:,} diff lines in 20 files at 160×50: median of {len(walls)} opens; first (cold) {walls[0]:.0f} ms",
    )


def review_open_50k(quick: bool) -> Measured:
    small, small_lines = open_times(200 if quick else 5_000, 1 if quick else RUNS)
    large, large_lines = open_times(2_000 if quick else 50_000, 1 if quick else RUNS)
    a, b = statistics.median(small), statistics.median(large)
    return Measured(b / a, f"{large_lines:,} lines {b:.0f} ms vs {small_lines:,} lines {a:.0f} ms (medians)")
