"""runbook-1k-validate and runbook-10k-ratio: loading and checking big runbooks, against libyaml.

The runbooks come from bench/runbook_load_probe.py (the loader's own probe): every task has a
detail file, two in three are AI tasks with context files, last runs and issues, half are DONE,
and each depends on the one before and the seventh before.
"""

from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.result import Measured
from bench.runbook_load_probe import bare_compose, write_runbook

RUNS = 5


def validate_command(folder: Path) -> list[str]:
    script = Path(sys.executable).with_name("patchbay")
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "tui"]
    return [*launcher, "validate", str(folder)]


def bare_compose_command(files: list[Path]) -> list[str]:
    """A bare interpreter that imports yaml and composes `files` with CSafeLoader: the floor."""
    script = (
        "import sys, yaml\n"
        "loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, encoding='utf-8') as handle:\n"
        "        yaml.compose(handle.read(), Loader=loader)\n"
    )
    return [sys.executable, "-c", script, *map(str, files)]


def runbook_1k_validate(quick: bool) -> Measured:
    tasks, runs = (50, 1) if quick else (1_000, RUNS)
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-runbook-") as tmp:
        folder = Path(tmp) / "runbook"
        files = write_runbook(folder, tasks, detail_files=True)
        command, floor_command = validate_command(folder), bare_compose_command(files)
        subprocess.run(command, check=True, capture_output=True)  # warm the page cache and .pyc files
        subprocess.run(floor_command, check=True, capture_output=True)
        times, floors = [], []
        for _ in range(runs):  # interleaved, so drift on a shared machine hits both alike
            start = time.perf_counter()
            subprocess.run(floor_command, check=True, capture_output=True)
            floors.append(time.perf_counter() - start)
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    ours, floor = statistics.median(times), statistics.median(floors)
    return Measured(
        ours / floor,
        f"`patchbay validate`, {tasks:,} tasks + {tasks:,} detail files, whole process {ours:.3f} s vs a bare "
        f"interpreter composing the same files with CSafeLoader {floor:.3f} s (medians of {runs})",
    )


def runbook_10k_ratio(quick: bool) -> Measured:
    from tui.runbook.loader import load_runbook

    tasks, runs = (100, 1) if quick else (10_000, 3)
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-runbook-") as tmp:
        folder = Path(tmp) / "runbook"
        files = write_runbook(folder, tasks, detail_files=True)
        bare_compose(files)  # warm the page cache
        floors, loads = [], []
        for _ in range(runs):  # interleaved, so drift on a shared machine hits both alike
            gc.collect()
            start = time.perf_counter()
            bare_compose(files)
            floors.append(time.perf_counter() - start)
            gc.collect()
            start = time.perf_counter()
            load_runbook(folder)
            loads.append(time.perf_counter() - start)
    floor, load = statistics.median(floors), statistics.median(loads)
    return Measured(
        load / floor,
        f"{tasks:,} tasks, {len(files):,} files: load_runbook {load:.2f} s vs bare CSafeLoader compose "
        f"{floor:.2f} s (medians of {runs})",
    )
