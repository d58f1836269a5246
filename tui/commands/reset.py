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
from tui.runbook.loader import check_runbook
from tui.runbook.problems import RunbookInvalid, shown_path
from tui.runbook.vocabulary import STATUSES
from tui.runbook.writer import set_detail_status, set_task_status


def run(args: argparse.Namespace) -> int:
    status = args.to.strip().upper()
    if status not in STATUSES:
        raise PatchbayError(f"unknown status '{args.to}'; use one of {', '.join(STATUSES)}")
    # Checked like a load, without making the models: the status, the detail file and whether it
    # writes a status (report.stored) are all a reset needs. Only runbook.yaml is indexed: one detail file at most
    # is written.
    report = check_runbook(args.runbook, indexes="runbook", build=False)
    if report.errors:
        raise RunbookInvalid(report.errors, report.warnings)
    task = report.stored.get(args.task)
    if task is None:
        close = difflib.get_close_matches(args.task, list(report.stored), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise PatchbayError(f"there is no task '{args.task}' in {shown_path(report.path)}{hint}")
    before = task.status
    folder = report.path.parent
    if getattr(args, "force_unlock", False):
        from tui.commands.run import unlock

        unlock(report.path, lambda text: print(f"patchbay: {text}", file=sys.stderr))
    with acquire(folder, "patchbay reset"):  # a runbook being driven is not written under it
        set_task_status(report.path, task.id, status)
        # The detail file mirrors the status only where it already writes one.
        if task.detail_writes_status and task.detail_file is not None:
            set_detail_status(task.detail_file, status)
        EventLog(folder).append(
            task.id,
            EventType.RESET_TASK,
            status_change=f"{before}->{status}",
            details={"by": "patchbay reset"},
        )
    print(f"{task.id}: {before} -> {status}")
    return 0
