"""`patchbay status RUNBOOK [--json]`: each task's effective status and what it waits for."""

from __future__ import annotations

import argparse
import json

from tui.runbook.graph import blocked_by, effective_status
from tui.runbook.loader import load_runbook
from tui.runbook.models import Task

_COLUMNS = ("ID", "STATUS", "TYPE", "GROUP", "NAME", "WAITING FOR")


def run(args: argparse.Namespace) -> int:
    return print_status(args.runbook, as_json=args.json)


def print_status(path, *, as_json: bool) -> int:
    runbook = load_runbook(path, indexes="none")  # read only: nothing to index for writes
    if as_json:
        print(json.dumps([task_summary(task) for task in runbook.tasks], indent=2, ensure_ascii=False))
        return 0
    rows = [_COLUMNS, *(_row(task) for task in runbook.tasks)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_COLUMNS))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip())
    return 0


def task_summary(task: Task) -> dict[str, object]:
    """One task as `status --json` shows it (the status is the effective one: READY is computed)."""
    return {
        "id": task.id,
        "name": task.name,
        "group": task.group,
        "status": effective_status(task),
        "type": task.type,
        "depends_on": list(task.depends_on),
        "blocked_by": blocked_by(task),
        "interrupted": task.interrupted and task.status == "RUNNING",
    }


def _row(task: Task) -> tuple[str, ...]:
    status = effective_status(task)
    if task.interrupted and task.status == "RUNNING":
        status += " (interrupted)"
    return (task.id, status, task.type, task.group or "", task.name, ", ".join(blocked_by(task)))
