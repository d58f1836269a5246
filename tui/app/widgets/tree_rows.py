"""What the tree and the prompt pane show about the sessions' tasks, built from the runner's view
of them (effective status, what a task waits for, its issues). Plain functions: no widget state."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from tui.app.widgets.runbook_tree import RunbookRows, TaskKey, TaskRow
from tui.app.widgets.task_summary import TaskSummary
from tui.errors import PatchbayError

if TYPE_CHECKING:
    from tui.runbook.models import Task
    from tui.session import Session


def task_rows(
    session: Session,
    index: int,
    is_active: Callable[[TaskKey], bool],
    shown: Callable[[TaskKey], TaskRow | None] = lambda key: None,
) -> list[TaskRow]:
    """Every task's row; a row `shown` already holds is reused when nothing in it changed: on
    10,000 tasks, new objects after every status write kept the collector's full passes coming."""
    from tui.runbook.graph import statuses

    known = statuses(session.runbook)  # one pass: per-task lookups take seconds on 10,000 tasks
    return [_row(task, *known[task.id], index, is_active, shown) for task in session.runbook.tasks]


def changed_rows(
    session: Session,
    index: int,
    task_ids: Iterable[str],
    is_active: Callable[[TaskKey], bool],
    shown: Callable[[TaskKey], TaskRow | None],
) -> list[TaskRow]:
    """The rows of these tasks and of their dependents (whose status and "waits for" follow theirs):
    what one status change alters in the tree, found without a pass over every task."""
    from tui.runbook.graph import status_and_waits

    tasks: dict[str, Task] = {}
    for task_id in task_ids:
        task = session.runbook.get(task_id)
        if task is None:  # a reload took it away: the full refresh that follows shows that
            continue
        tasks[task_id] = task
        for dependent in session.dependents_of(task_id):
            tasks.setdefault(dependent.id, dependent)
    return [_row(task, *status_and_waits(task), index, is_active, shown) for task in tasks.values()]


def _row(
    task: Task,
    status: str,
    waits: list[str],
    index: int,
    is_active: Callable[[TaskKey], bool],
    shown: Callable[[TaskKey], TaskRow | None],
) -> TaskRow:
    if status == "RUNNING" and not is_active((index, task.id)):
        status = "INTERRUPTED"  # RUNNING on disk but nobody runs it: a previous session stopped
    blocked = tuple(waits) if status == "PENDING" else ()
    group = task.group or ""
    row = shown((index, task.id))
    if row is not None and (row.status, row.blocked_by, row.name, row.group, row.type) == (
        status,
        blocked,
        task.name,
        group,
        task.type,
    ):
        return row
    return TaskRow((index, task.id), task.name, group, task.type, status, blocked)


def runbook_rows(
    sessions: Sequence[Session],
    errors: Mapping[int, str],
    is_active: Callable[[TaskKey], bool],
    shown: Callable[[TaskKey], TaskRow | None] = lambda key: None,
) -> list[RunbookRows]:
    return [
        RunbookRows(
            index=index,
            name=session.runbook.name or session.runbook_path.parent.name,
            rows=task_rows(session, index, is_active, shown),
            error=errors.get(index),
        )
        for index, session in enumerate(sessions)
    ]


def task_summary(session: Session, task_id: str, row: TaskRow | None) -> TaskSummary | None:
    try:
        task = session.task(task_id)
    except PatchbayError:
        return None
    ai, script = task.ai_details, task.script_details
    return TaskSummary(
        task_id=task.id,
        name=task.name,
        type=task.type,
        status=row.status if row else session.effective_status(task.id),
        description=task.description or "",
        instructions=task.manual_instructions or "",
        command=(script.command or "") if script else "",
        review_points=tuple(ai.review_points) if ai else (),
        blocked_by=row.blocked_by if row else (),
        issues=tuple(str(issue.detail) for issue in task.issues),
    )
