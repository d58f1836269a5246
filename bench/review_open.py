"""How long the review screen takes to show its first frame, for a 5,000-line and a 50,000-line change set.

Builds synthetic projects in temporary folders (20 files each, one-line changes with 3 lines of
context, so the diff has the stated number of lines), places the hunks with tui.patch (not
timed), then opens ReviewScreen headless in App.run_test() and measures from push_screen to the
first frame: the diff view's first drawn row, then the end of that refresh. Prints ms and the ratio.

    .venv/bin/python bench/review_open.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from textual.app import App

from tui.app.screens.review import ReviewScreen
from tui.app.themes import FALLBACK_VARIABLES, load_themes
from tui.app.widgets.diff_view import DiffView
from tui.patch.conversation import Conversation
from tui.patch.extract import build_change_set
from tui.patch.model import ChangeSet
from tui.resources import shipped

FILES = 20
HUNK_LINES = 8  # 3 context + 1 removed + 1 added + 3 context
SPACING = 12  # lines between changed lines, so hunks do not merge


def make_project(folder: Path, diff_lines: int) -> str:
    """Write the files; return a model answer holding the diff (about `diff_lines` lines of hunks)."""
    hunks_per_file = max(1, diff_lines // FILES // HUNK_LINES)
    length = hunks_per_file * SPACING + 8
    parts = ["Here is the change.\n"]
    for number in range(FILES):
        name = f"pkg/module_{number:02d}.py"
        lines = [f"    value_{i} = compute({i}, 'text {i}')  # line {i}" for i in range(length)]
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        parts.append(f"```diff\n--- a/{name}\n+++ b/{name}\n")
        for hunk in range(hunks_per_file):
            changed = 4 + hunk * SPACING
            parts.append(f"@@ -{changed - 2},7 +{changed - 2},7 @@\n")
            parts.extend(f" {lines[i]}\n" for i in range(changed - 3, changed))
            parts.append(f"-{lines[changed]}\n+{lines[changed].replace('compute', 'compute_fast')}\n")
            parts.extend(f" {lines[i]}\n" for i in range(changed + 1, changed + 4))
        parts.append("```\n")
    return "".join(parts)


@dataclass
class StandInRun:
    """Only what the screen reads before its first frame (the bench never applies)."""

    change_set: ChangeSet
    task_id: str = "bench"
    step: None = None
    decisions: dict = field(default_factory=dict)
    conversation: Conversation = field(default_factory=Conversation)

    @property
    def task(self):
        return self

    def allowed(self) -> frozenset:
        return frozenset()

    id = "bench"
    name = "Open a large change set"

    def apply(self, accepted, *, confirm_outside=False):  # pragma: no cover - not used
        raise NotImplementedError


class BenchApp(App):
    pygments_style = "monokai"

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(FALLBACK_VARIABLES)

    def on_mount(self) -> None:
        for loaded in load_themes(shipped("themes")).values():
            self.register_theme(loaded.theme)
        self.theme = "patchbay-dark"


async def time_open(change_set: ChangeSet) -> tuple[float, float]:
    """(wall ms, CPU ms) from push_screen to the end of the first refresh that drew the diff.

    CPU time is printed too because wall time on a shared machine includes other processes."""
    first_row: list[float] = []
    original = DiffView.render_line

    def spy(view: DiffView, y: int):
        if not first_row:
            first_row.append(time.perf_counter())
        return original(view, y)

    DiffView.render_line = spy  # type: ignore[method-assign]
    try:
        app = BenchApp()
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            painted = asyncio.Event()
            start = time.perf_counter()
            cpu = time.process_time()
            screen = ReviewScreen(StandInRun(change_set))
            await app.push_screen(screen)
            screen.call_after_refresh(painted.set)
            while not first_row:
                await asyncio.sleep(0)
            await painted.wait()
            end = time.perf_counter()
            return (end - start) * 1000, (time.process_time() - cpu) * 1000
    finally:
        DiffView.render_line = original  # type: ignore[method-assign]


def diff_line_count(change_set: ChangeSet) -> int:
    return sum(len(hunk.lines) for hunk in change_set.hunks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[int, float] = {}
    cpus: dict[int, float] = {}
    for size in (5_000, 50_000):
        with tempfile.TemporaryDirectory(prefix="patchbay-bench-") as folder:
            answer = make_project(Path(folder), size)
            change_set = build_change_set(answer, Path(folder))
            lines = diff_line_count(change_set)
            placed = sum(1 for hunk in change_set.hunks if hunk.placement.placed)
            runs = [asyncio.run(time_open(change_set)) for _ in range(args.runs)]
            walls = [wall for wall, _cpu in runs]
            cpus[size] = statistics.median(cpu for _wall, cpu in runs)
            results[size] = statistics.median(walls)
            print(
                f"{lines:>6} diff lines, {len(change_set.files)} files, {placed} hunks placed: first frame "
                f"median {results[size]:.1f} ms wall, {cpus[size]:.1f} ms CPU "
                f"(wall runs: {', '.join(f'{t:.0f}' for t in walls)})"
            )
    print(
        f"ratio 50,000 / 5,000: {results[50_000] / results[5_000]:.2f} wall, {cpus[50_000] / cpus[5_000]:.2f} CPU "
        "(bar: 5,000 lines < 250 ms, ratio <= 1.5)"
    )


if __name__ == "__main__":
    main()
