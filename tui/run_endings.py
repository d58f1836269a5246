"""How a task run is undone or ended short of DONE: the applied change rolled back (never over
later edits), the task marked ERROR with what became of its change, the run abandoned on a cancel
or quit, and a retry rolled back into the next attempt. For TaskRun (tui/runner.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.conversation_steps import held_follow_up
from tui.run_issues import RunnerError, placement_failure
from tui.run_phase import Phase
from tui.runbook.event_log import EventType

if TYPE_CHECKING:
    from tui.runner import TaskRun


def roll_back_applied(run: TaskRun) -> None:
    """Put the files back exactly as before the apply, and log it; refuse over later edits."""
    assert run.applied is not None
    changed = run.rollback_blockers()
    if changed:
        raise RunnerError(
            f"task {run.task_id}: {', '.join(changed)} changed after the change was applied; rolling "
            "back would discard those edits, so the change is left in place"
        )
    run.session.restore(run.applied)
    run.session.log.append(
        run.task_id,
        EventType.ROLLBACK,
        details={"change_id": run.applied.id, "files": list(run.applied.files)},
    )
    run.applied = None


def end_in_error(run: TaskRun, note: str, issue_type: str) -> str:
    """TaskRun.mark_error: the applied change rolled back when it can be, kept (and said so) when
    it was edited since; then ERROR. Returns the sentence that says what happened."""
    note = note or "marked as an error"
    said = f"{run.task_id} is ERROR"
    if run.applied is not None:
        files = ", ".join(run.applied.files)
        changed = run.rollback_blockers()
        if changed:
            kept = (
                f"the change to {files} was left in place (uncommitted): {', '.join(changed)} "
                "changed after it was applied"
            )
            note = f"{note}; {kept}"
            said += f"; {kept}"
        else:
            roll_back_applied(run)
            note = f"{note}; the change to {files} was rolled back"
            said += f"; the change to {files} was rolled back"
    run._fail(note, issue_type=issue_type)
    return said + "."


def abandon_run(run: TaskRun, reason: str) -> str:
    """TaskRun.abandon: READY again with what was applied rolled back, or ERROR when the change was
    edited since its apply. Returns the sentence saying what happened."""
    if run.phase in (Phase.DONE, Phase.ERROR, Phase.SKIPPED):
        return f"{run.task_id} is {run.phase.value.upper()}."
    if run.applied is not None:
        if run.rollback_blockers():
            return run.mark_error(reason)
        files = ", ".join(run.applied.files)
        roll_back_applied(run)
        run.set_aside(reason)
        return f"{run.task_id} is READY again; the change to {files} was rolled back."
    if run.phase is Phase.READY and not run._started:
        return f"{run.task_id} is READY."
    run.set_aside(reason)
    return f"{run.task_id} is READY again."


def start_next_attempt(run: TaskRun) -> str | None:
    """TaskRun.retry up to its prepare: what was applied rolled back, the failure kept for the
    template, the attempt counted and logged (RETRY). Returns the user's edited follow-up, if any."""
    if run.applied is not None:
        roll_back_applied(run)
    if run.failure is None and run.change_set is not None:
        run.failure = placement_failure(run.change_set)
    run._cancel.clear()  # the user asked for another attempt: an earlier cancel is spent
    run.attempt += 1
    details: dict = {"attempt": run.attempt}
    override = None
    if run._held is not None and run.change_set is not None:
        follow_up = held_follow_up(run)
        override = run._held_override
        details.update(
            focused=follow_up.focused,
            kept=len(follow_up.kept),
            rejected=len(follow_up.rejected),
            failed=len(follow_up.failed),
        )
        if not follow_up.focused:
            run._held = None  # nothing singled out: the whole change is asked again
    run.session.log.append(run.task_id, EventType.RETRY, details=details)
    run.phase = Phase.READY
    return override
