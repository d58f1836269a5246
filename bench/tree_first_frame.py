"""tui-10k-first-frame: process start to the first frame on a 10,000-task runbook.

The first frame shows the runbook's skeleton (name, top-level groups, "loading N tasks") read by a
line scan; the load itself runs in a thread after it. Timed the way startup-first-frame times the
demo (a fresh interpreter on a 120×40 pty, bench/first_frame.py notes the first frame), and the
floor is that same demo start in the same run: the ratio says what 10,000 tasks add.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from bench.result import Measured
from bench.runbook_load_probe import write_runbook
from bench.startup import first_frame_seconds

RUNS = 5


def tui_10k_first_frame(quick: bool) -> Measured:
    from tui.commands.demo import prepare_demo

    tasks, runs = (200, 1) if quick else (10_000, RUNS)
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-first-frame-") as tmp:
        demo = prepare_demo(Path(tmp) / "demo")
        big = Path(tmp) / "big"
        write_runbook(big, tasks, detail_files=False)
        env = dict(os.environ)
        env.update(
            XDG_CONFIG_HOME=str(Path(tmp) / "config"),
            TERM="xterm-256color",
            COLORTERM="truecolor",
            PYTHONPATH=str(Path(__file__).resolve().parents[1]),
        )
        env.pop("NO_COLOR", None)
        env.pop("TEXTUAL", None)
        out = Path(tmp) / "first-frame"
        first_frame_seconds(demo / "runbook.yaml", out, env)  # warm the page cache and .pyc files
        floors, bigs = [], []
        for _ in range(runs):  # interleaved, so drift on a shared machine hits both alike
            floors.append(first_frame_seconds(demo / "runbook.yaml", out, env))
            bigs.append(first_frame_seconds(big / "runbook.yaml", out, env))
    floor, value = statistics.median(floors), statistics.median(bigs)
    return Measured(
        value / floor,
        f"first frame {value:.2f} s on {tasks:,} tasks (target 0.8 s) vs {floor:.2f} s on the demo "
        f"(medians of {runs})",
    )
