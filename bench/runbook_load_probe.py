"""How fast a runbook loads, against the floor of composing the same files with libyaml.

    .venv/bin/python bench/runbook_load_probe.py [--tasks 10000] [--repeat 5]

Prints: the whole `patchbay validate` process on a 1,000-task runbook (target < 0.5 s), and at
--tasks tasks with detail files, load_runbook against a bare CSafeLoader compose of the same files
(target ratio <= 1.5). Best of --repeat runs each, measured in this one run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tui.runbook.loader import load_runbook

ENTRY = """\
  - id: task_{i}
    name: "Task {i}: do the thing number {i}"
    group: Phase {phase}/Part {part}
    status: {status}
    depends_on: [{deps}]
    type: {kind}
    task_detail_file: tasks/task_{i}.yaml
"""
DETAIL_AI = """\
id: task_{i}
name: "Task {i}: do the thing number {i}"
status: {status}
description: |
  Longer text for task {i}, shown in the prompt pane.
  It has two lines.
type: AI_ASSISTED
ai_details:
  model: default
  prompt_template: prompt_templates/generate.j2
  input_context: {{class_name: Adapter{i}, module: pkg.mod{i}}}
  context_files:
    - {{path: pkg/mod{i}.py, lines: "1-80"}}
  files_to_modify: [pkg/mod{i}.py]
  output_parser: unified_diff
  review_points: [has type hints, keeps the public API]
  context_budget: 2000
  max_new_tokens: 1024
validation_command: python -m pytest -q tests/test_mod{i}.py
last_run:
  timestamp: 2026-11-21T10:00:00Z
  outcome: SUCCESS
  llm_response: "first characters of the answer"
  cost_estimate: 0.0
  tokens_in: 812
  tokens_out: 344
issues:
  - {{timestamp: 2026-11-21T10:00:00Z, type: VALIDATION_FAIL, detail: one test failed, resolution: retried}}
"""
DETAIL_MANUAL = """\
id: task_{i}
name: "Task {i}: do the thing number {i}"
status: {status}
type: MANUAL
manual_instructions: |
  Step one for task {i}.
  Step two.
"""


def write_runbook(folder: Path, count: int, detail_files: bool) -> list[Path]:
    (folder / "tasks").mkdir(parents=True)
    (folder / "prompt_templates").mkdir()
    (folder / "prompt_templates" / "generate.j2").write_text("Write {{ class_name }}\n")
    parts = ["name: Probe\ndefaults:\n  model: default\n  commit: true\ntasks:\n"]
    files = [folder / "runbook.yaml"]
    for i in range(count):
        deps = ", ".join(f"task_{j}" for j in (i - 1, i - 7) if j >= 0)
        kind = "AI_ASSISTED" if i % 3 else "MANUAL"
        status = "DONE" if i < count // 2 else "PENDING"
        values = dict(i=i, phase=i // 100, part=i // 10 % 10, status=status, deps=deps, kind=kind)
        if detail_files:
            parts.append(ENTRY.format(**values))
            detail = folder / "tasks" / f"task_{i}.yaml"
            detail.write_text((DETAIL_AI if i % 3 else DETAIL_MANUAL).format(**values))
            files.append(detail)
        else:
            inline = "" if kind == "MANUAL" else "    ai_details: {prompt_template: generate.j2}\n"
            parts.append(
                ENTRY.format(**values).replace(f"    task_detail_file: tasks/task_{i}.yaml\n", inline)
            )
    (folder / "runbook.yaml").write_text("".join(parts))
    return files


def best(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def bare_compose(files: list[Path]) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in files:
        yaml.compose(path.read_text(encoding="utf-8"), Loader=loader)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small"
        write_runbook(small, 1_000, detail_files=True)
        command = [sys.executable, "-m", "tui", "validate", str(small)]
        process = best(args.repeat, lambda: subprocess.run(command, check=True, capture_output=True))
        print(f"patchbay validate, 1,000 tasks with detail files: {process * 1000:.0f} ms (target < 500 ms)")

        big = Path(tmp) / "big"
        files = write_runbook(big, args.tasks, detail_files=True)
        # Interleaved, so that a busy machine slows both sides alike.
        floor = loaded = float("inf")
        for _ in range(args.repeat):
            floor = min(floor, best(1, lambda: bare_compose(files)))
            loaded = min(loaded, best(1, lambda: load_runbook(big)))
        print(
            f"{args.tasks:,} tasks, {len(files):,} files: bare CSafeLoader compose {floor * 1000:.0f} ms, "
            f"load_runbook {loaded * 1000:.0f} ms, ratio {loaded / floor:.2f} (target <= 1.5)"
        )


if __name__ == "__main__":
    main()
