"""`patchbay next RUNBOOK`: the next READY task, or why there is none (exit 1)."""

from __future__ import annotations

import argparse

from tui.errors import PatchbayError
from tui.runbook.graph import next_ready, root_blockers
from tui.runbook.loader import load_runbook
from tui.runbook.models import FINISHED_STATUSES, Runbook


def run(args: argparse.Namespace) -> int:
    runbook = load_runbook(args.runbook, indexes="none")  # read only: nothing to index for writes
    task = next_ready(runbook)
    if task is None:
        raise PatchbayError(why_nothing_is_ready(runbook))
    print(f"{task.id}\t{task.name}")
    return 0


def why_nothing_is_ready(runbook: Runbook) -> str:
    if not runbook.tasks:
        return "the runbook has no tasks"
    if all(task.status in FINISHED_STATUSES for task in runbook.tasks):
        return (
            "the only task is done (or skipped)"
            if len(runbook.tasks) == 1
            else f"all {len(runbook.tasks)} tasks are done (or skipped)"
        )
    blockers = root_blockers(runbook)
    listed = ", ".join(f"{task.id} ({task.status})" for task in blockers[:5])
    more = f" and {len(blockers) - 5} more" if len(blockers) > 5 else ""
    return (
        f"no task is READY: the rest wait on {listed}{more}; "
        f"finish or reset them (patchbay reset RUNBOOK TASK)"
    )
