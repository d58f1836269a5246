"""The careful writes a session makes for its tasks: a status with the READY promotions it causes,
and the task's record (`last_run`, `issues`). Functions of the session, which owns the locks.

A status change and the promotions of its dependents are one careful write (one fsync): on a
10,000-task runbook every careful write is a visible part of the time between a key and its
result, and only the changed task's dependents can be promoted, so only they are looked at.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.errors import PatchbayError
from tui.runbook.event_log import EventType, utc_timestamp
from tui.runbook.models import LastRun
from tui.runbook.vocabulary import FINISHED_STATUSES
from tui.runbook.writer import (
    append_task_list_item,
    set_detail_status,
    set_task_key,
    set_task_status,
    set_task_statuses,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tui.engine.base import FinalRecord
    from tui.patch.hunk_choice import HunkChoice
    from tui.runbook.models import Task
    from tui.session import Session
    from tui.task_settings import PreparedPrompt

RESPONSE_PREVIEW_CHARS = 200

Promotion = tuple["Task", str, str]  # (task, status stored, status it gets)


def write_status(
    session: Session, task_id: str, status: str, *, event: EventType | None, details: dict[str, Any] | None
) -> None:
    if session.read_only:
        raise PatchbayError(session.read_only)
    task = session.task(task_id)
    before = session.effective_status(task_id)
    with session._write_lock:
        promotions: list[Promotion] = []
        if status in FINISHED_STATUSES or before in FINISHED_STATUSES:
            # Its dependents become READY (or wait again) in the file too, in the same write.
            promotions = _promotions(session.dependents_of(task_id), task_id, status)
        if promotions:
            statuses = {task_id: status} | {other.id: shown for other, _stored, shown in promotions}
            set_task_statuses(session.runbook_path, statuses)
        else:
            set_task_status(session.runbook_path, task_id, status)
        if task.task_detail_file is not None:
            set_detail_status(task.task_detail_file, status)
        _write_details(promotions)
        with session._lock:
            task.status = status
            _hold(promotions)
        # Shown before it is logged: each log line is an fsync the tree need not wait for.
        session.announce_run(task_id)
        _announce(session, promotions)
        if event is not None:
            session.log.append(task_id, event, status_change=f"{before}->{status}", details=details or {})
        _log(session, promotions)


def sync_ready_statuses(session: Session, among: Iterable[Task] | None) -> list[str]:
    if session.read_only:  # another Patchbay drives this runbook: it writes, we only look
        return []
    # Compared, written and recorded under one lock: two callers at once (a run completing
    # and a reload) must not both see a task PENDING and both promote it.
    with session._write_lock:
        promotions = _promotions(session.runbook.tasks if among is None else among)
        if not promotions:
            return []
        # One careful write for all of them (completing a task may unblock hundreds).
        set_task_statuses(session.runbook_path, {task.id: shown for task, _stored, shown in promotions})
        _write_details(promotions)
        with session._lock:
            _hold(promotions)
        _announce(session, promotions)
        _log(session, promotions)
    return [task.id for task, _stored, _shown in promotions]


def _promotions(tasks: Iterable[Task], changed: str | None = None, status: str = "") -> list[Promotion]:
    """The PENDING or READY tasks whose stored status differs from what the graph shows, with task
    `changed` taken as holding `status` (its write is the one these join)."""
    found = []
    for task in tasks:
        stored = task.status
        if stored not in ("PENDING", "READY"):
            continue
        by_id = task.runbook.by_id
        waits = False
        for dep in task.depends_on:
            other = by_id.get(dep)
            held = status if dep == changed else (other.status if other is not None else None)
            if held not in FINISHED_STATUSES:
                waits = True
                break
        shown = "PENDING" if waits else "READY"
        if shown != stored:
            found.append((task, stored, shown))
    return found


def _write_details(promotions: list[Promotion]) -> None:
    for task, _stored, shown in promotions:
        if task.task_detail_file is not None:
            set_detail_status(task.task_detail_file, shown)


def _hold(promotions: list[Promotion]) -> None:
    for task, _stored, shown in promotions:
        task.status = shown


def _announce(session: Session, promotions: list[Promotion]) -> None:
    for task, _stored, _shown in promotions:
        session.announce_run(task.id)


def _log(session: Session, promotions: list[Promotion]) -> None:
    for task, stored, shown in promotions:
        reason = "its dependencies are done" if shown == "READY" else "it waits for its dependencies again"
        session.log.append(
            task.id, EventType.RESET_TASK, status_change=f"{stored}->{shown}", details={"reason": reason}
        )


# ---------------------------------------------------------------- the task's record


def details_target(session: Session, task: Task) -> tuple[Path, str | None]:
    """Where a task's last_run and issues live: its detail file, or its entry in runbook.yaml."""
    if task.task_detail_file is not None:
        return task.task_detail_file, None
    return session.runbook_path, task.id


def set_last_run_outcome(session: Session, task_id: str, outcome: str) -> None:
    task = session.task(task_id)
    if task.last_run is None or task.last_run.outcome == outcome:
        return
    fields = task.last_run.model_dump(exclude={"extra"})
    fields.update(task.last_run.extra or {})
    fields["outcome"] = outcome
    path, entry = details_target(session, task)
    with session._write_lock:
        set_task_key(path, entry, "last_run", fields)
    task.last_run = task.last_run.model_copy(update={"outcome": outcome})


def write_last_run(
    session: Session,
    task_id: str,
    prompt: PreparedPrompt,
    text: str,
    final: FinalRecord | None,
    *,
    success: bool,
) -> None:
    task = session.task(task_id)
    previous = task.last_run
    last_run = {
        "timestamp": utc_timestamp(),
        "outcome": "SUCCESS" if success else "FAILURE",
        "llm_response": text[:RESPONSE_PREVIEW_CHARS],
        "cost_estimate": (previous.cost_estimate or 0.0) if previous is not None else 0.0,
        "model": prompt.model_name,
        "tokens_in": final.prompt_tokens if final else prompt.tokens.count,
        "tokens_out": final.new_tokens if final else None,
        "tokens_per_second": round(final.tokens_per_second, 1) if final and final.tokens_per_second else None,
    }
    path, entry = details_target(session, task)
    with session._write_lock:
        set_task_key(path, entry, "last_run", last_run)
    task.last_run = LastRun(**last_run)


def record_hunks(session: Session, task_id: str, choice: HunkChoice) -> None:
    task = session.task(task_id)
    previous = task.last_run
    if previous is None:
        return
    last_run = {name: getattr(previous, name) for name in LastRun.model_fields if name != "extra"}
    last_run.update({**(previous.extra or {}), **choice.last_run_keys()})
    path, entry = details_target(session, task)
    with session._write_lock:
        set_task_key(path, entry, "last_run", last_run)


def append_issue(session: Session, task_id: str, kind: str, detail: str) -> None:
    path, entry = details_target(session, session.task(task_id))
    with session._write_lock:
        append_task_list_item(
            path,
            entry,
            "issues",
            {"timestamp": utc_timestamp(), "type": kind, "detail": detail, "resolution": None},
        )
