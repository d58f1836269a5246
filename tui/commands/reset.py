"""`patchbay reset RUNBOOK TASK [--to STATUS]`: set a task's status in place (default READY).

The status goes through the careful writer like every other status change, and the change is
logged to the run log (`RESET_TASK`, "BEFORE->AFTER").
"""

from __future__ import annotations

import argparse
import difflib
import sys

from tui.errors import PatchbayError
from tui.runbook.driver_lock import acquire
from tui.runbook.event_log import EventLog, EventType
from tui.runbook.loader import load_runbook
from tui.runbook.models import STATUSES
from tui.runbook.problems import shown_path
from tui.runbook.writer import set_detail_status, set_task_status


def run(args: argparse.Namespace) -> int:
    status = args.to.strip().upper()
    if status not in STATUSES:
        raise PatchbayError(f"unknown status '{args.to}'; use one of {', '.join(STATUSES)}")
    runbook = load_runbook(args.runbook, indexes="runbook")  # one detail file at most is written
    task = runbook.get(args.task)
    if task is None:
        close = difflib.get_close_matches(args.task, list(runbook.by_id), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise PatchbayError(f"there is no task '{args.task}' in {shown_path(runbook.path)}{hint}")
    before = task.status
    if getattr(args, "force_unlock", False):
        from tui.commands.run import unlock

        unlock(runbook.path, lambda text: print(f"patchbay: {text}", file=sys.stderr))
    with acquire(runbook.folder, "patchbay reset"):  # a runbook being driven is not written under it
        set_task_status(runbook.path, task.id, status)
        # The detail file mirrors the status only where it already writes one.
        if task.origin.detail_status is not None and task.task_detail_file is not None:
            set_detail_status(task.task_detail_file, status)
        EventLog(runbook.folder).append(
            task.id,
            EventType.RESET_TASK,
            status_change=f"{before}->{status}",
            details={"by": "patchbay reset"},
        )
    print(f"{task.id}: {before} -> {status}")
    return 0
