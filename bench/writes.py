"""status-write-10k, promote-10k, reset-vs-validate-10k, runbook-10k-memory: careful writes at scale.

Each is a ratio against a floor measured in the same run, interleaved so that a busy machine
slows both sides alike:

- status-write-10k: one status change on a loaded 10,000-task runbook, and `last_run` replaced
  and an `issues` item appended in a detail file holding 1,000 issues, each against writing the
  same file's bytes atomically (temporary file, fsync, rename, fsync the folder). The figure is
  the worst of the three ratios; the absolute times are printed beside it (ceiling 50 ms), and so
  is the detail file's first write, whose index the load made.
- promote-10k: 500 dependants promoted in one `set_task_statuses` against one status write.
- reset-vs-validate-10k: `patchbay reset` against `patchbay validate`, whole processes (wall clock;
  their CPU seconds are printed beside).
- runbook-10k-memory: memory a loaded 10,000-task runbook holds, against the file's size.
"""

from __future__ import annotations

import gc
import itertools
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bench.result import Measured
from bench.runbook import validate_command
from bench.runbook_load_probe import write_runbook

CEILING_MS = 50.0
STATUSES = ("READY", "RUNNING", "DONE", "PENDING")


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _interleaved(runs: int, floor: Callable[[], object], ours: Callable[[], object]) -> tuple[float, float]:
    floors, times = [], []
    for _ in range(runs):
        floors.append(_timed(floor))
        times.append(_timed(ours))
    return statistics.median(floors), statistics.median(times)


def _detail_with_issues(path: Path, issues: int) -> None:
    lines = [
        "id: task_0",
        "name: Task with a long history",
        "status: DONE",
        "type: MANUAL",
        "last_run:",
        "  timestamp: 2026-11-21T10:00:00Z",
        "  outcome: SUCCESS",
        "  tokens_in: 812",
        "issues:",
    ]
    lines += [
        f"  - {{timestamp: 2026-11-21T10:{i % 60:02d}:00Z, type: VALIDATION_FAIL, detail: failure {i}, "
        "resolution: retried}"
        for i in range(issues)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def status_write_10k(quick: bool) -> Measured:
    from tui.runbook.loader import load_runbook
    from tui.runbook.writer import append_task_list_item, set_task_key, set_task_status
    from tui.workspace.atomic import write_atomically

    tasks, issues, runs = (200, 50, 3) if quick else (10_000, 1_000, 15)
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-writes-") as tmp:
        folder = Path(tmp) / "runbook"
        write_runbook(folder, tasks, detail_files=True)
        runbook = folder / "runbook.yaml"
        detail = folder / "tasks" / "task_0.yaml"
        _detail_with_issues(detail, issues)
        load_runbook(folder)
        statuses = itertools.cycle(STATUSES)
        task_id = f"task_{tasks // 2 + 1}"
        set_task_status(runbook, task_id, next(statuses))  # the first write warms the imports
        status = _interleaved(
            runs,
            lambda: write_atomically(runbook, runbook.read_bytes()),
            lambda: set_task_status(runbook, task_id, next(statuses)),
        )
        counter = itertools.count()
        # the first write to the detail file: its index was made by the load, not by this write
        first_ms = (
            _timed(lambda: set_task_key(detail, None, "last_run", {"outcome": "SUCCESS", "run": -1})) * 1000
        )
        last_run = _interleaved(
            runs,
            lambda: write_atomically(detail, detail.read_bytes()),
            lambda: set_task_key(detail, None, "last_run", {"outcome": "SUCCESS", "run": next(counter)}),
        )
        issue = _interleaved(
            runs,
            lambda: write_atomically(detail, detail.read_bytes()),
            lambda: append_task_list_item(
                detail, None, "issues", {"type": "VALIDATION_FAIL", "detail": f"run {next(counter)}"}
            ),
        )
    size_kb = runbook.stat().st_size // 1024 if runbook.exists() else 0
    parts = [("status", status), ("last_run", last_run), ("issues", issue)]
    ratios = {name: ours / floor for name, (floor, ours) in parts}
    slowest = max(max(ours for _, (_, ours) in parts) * 1000, first_ms)
    shown = "; ".join(
        f"{name} {ours * 1000:.1f} ms vs floor {floor * 1000:.1f} ms ({ratios[name]:.2f}x)"
        for name, (floor, ours) in parts
    )
    verdict = "within" if slowest <= CEILING_MS else "OVER"
    return Measured(
        max(ratios.values()),
        f"{tasks:,}-task runbook{f' ({size_kb:,} KB)' if size_kb else ''} and a {issues:,}-issue detail file, "
        f"medians of {runs}: {shown}; the detail file's first write after the load {first_ms:.1f} ms; "
        f"slowest {slowest:.1f} ms, {verdict} the {CEILING_MS:.0f} ms ceiling",
    )


def promote_10k(quick: bool) -> Measured:
    from tui.runbook import file_swap
    from tui.runbook.loader import load_runbook
    from tui.runbook.writer import set_task_status, set_task_statuses

    tasks, promoted, runs = (200, 50, 3) if quick else (10_000, 500, 9)
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-promote-") as tmp:
        folder = Path(tmp) / "runbook"
        write_runbook(folder, tasks, detail_files=False)
        runbook = folder / "runbook.yaml"
        load_runbook(folder)
        first = tasks // 2
        dependants = [f"task_{i}" for i in range(first + 1, first + 1 + promoted)]
        # each write changes something: a write that changes nothing returns before the swap
        singles, batches = itertools.cycle(("DONE", "RUNNING")), itertools.cycle(("READY", "PENDING"))
        set_task_status(runbook, f"task_{first}", "RUNNING")
        swaps: list[Path] = []
        file_swap.after_fsync_hook = swaps.append
        try:
            single, batch = _interleaved(
                runs,
                lambda: set_task_status(runbook, f"task_{first}", next(singles)),
                lambda: set_task_statuses(runbook, dict.fromkeys(dependants, next(batches))),
            )
        finally:
            file_swap.after_fsync_hook = None
    per_batch = len(swaps) / runs - 1  # one swap in each pair is the single write's
    return Measured(
        batch / single,
        f"{promoted} promotions on a {tasks:,}-task runbook: one set_task_statuses {batch * 1000:.1f} ms "
        f"({per_batch:.0f} swap and fsync) vs one status write {single * 1000:.1f} ms (medians of {runs})",
    )


def reset_vs_validate_10k(quick: bool) -> Measured:
    tasks, runs = (100, 1) if quick else (10_000, 5)
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-reset-") as tmp:
        folder = Path(tmp) / "runbook"
        write_runbook(folder, tasks, detail_files=True)
        validate = validate_command(folder)
        reset = [*validate[:-2], "reset", str(folder), f"task_{tasks - 1}"]
        statuses = itertools.cycle(("READY", "PENDING"))
        subprocess.run(validate, check=True, capture_output=True)  # warm the page cache and .pyc files
        cpu: dict[str, list[float]] = {"validate": [], "reset": []}
        floor, ours = _interleaved(
            runs,
            lambda: _child_cpu(cpu["validate"], validate),
            lambda: _child_cpu(cpu["reset"], [*reset, "--to", next(statuses)]),
        )
    reset_cpu, validate_cpu = statistics.median(cpu["reset"]), statistics.median(cpu["validate"])
    return Measured(
        ours / floor,
        f"{tasks:,} tasks + detail files, whole processes: `patchbay reset` {ours:.2f} s vs "
        f"`patchbay validate` {floor:.2f} s (medians of {runs}; CPU {reset_cpu:.2f} s vs {validate_cpu:.2f} s)",
    )


def _child_cpu(into: list[float], command: list[str]) -> None:
    """Run `command`, adding the CPU seconds (user and system) it used to `into`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    into.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def runbook_10k_memory(quick: bool) -> Measured:
    from tui.runbook.loader import load_runbook

    tasks = 200 if quick else 10_000
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-memory-") as tmp:
        folder = Path(tmp) / "runbook"
        write_runbook(folder, tasks, detail_files=False)
        size = (folder / "runbook.yaml").stat().st_size
        load_runbook(folder)  # imports, schema caches and memos are the interpreter's baseline
        gc.collect()
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        runbook = load_runbook(folder)
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(runbook.tasks) == tasks
    held -= baseline
    return Measured(
        held / size,
        f"{tasks:,} tasks, runbook.yaml {size / 1e6:.1f} MB: the loaded runbook (models, positions and the "
        f"writer's index) holds {held / 1e6:.1f} MB, peak {(peak - baseline) / 1e6:.1f} MB while loading",
    )


if __name__ == "__main__":  # pragma: no cover - `python -m bench.writes NAME` for a quick look
    print(globals()[sys.argv[1].replace("-", "_")](False))
