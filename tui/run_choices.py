"""The runner's decision table: what the user may ask of a run in each phase, and of a task with
no run going, by its type and status. The TaskRun (tui/runner.py) and the TUI both read it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.run_phase import Action, Phase

if TYPE_CHECKING:
    from tui.session import Session

# What a run waiting on the user offers, by phase; a phase not listed offers nothing.
RUN_CHOICES = {
    # Retry, error and done-by-hand are in the review, with notes and regenerating a hunk.
    Phase.REVIEWING: frozenset({Action.REVIEW, Action.NOTE, Action.REGENERATE}),
    Phase.ANSWERED: frozenset({Action.RETRY, Action.MARK_ERROR}),  # the answer could not be read
    Phase.VALIDATION_FAILED: frozenset({Action.RETRY, Action.ROLLBACK, Action.KEEP, Action.MARK_ERROR}),
}
AI, MANUAL, SCRIPT = "AI_ASSISTED", "MANUAL", "AUTOMATED_SCRIPT"


def task_actions(session: Session, task_id: str) -> frozenset[Action]:
    """What may be done to a task that has no run going: by its type and its status."""
    task = session.task(task_id)
    status = session.effective_status(task_id)
    allowed: set[Action] = set()
    if status not in ("READY", "PENDING"):  # DONE, SKIPPED, ERROR, or RUNNING when interrupted
        allowed.add(Action.RESET)
    if task.type == AI:
        allowed.add(Action.EDIT_PROMPT)
    if status == "READY":
        if task.type in (AI, SCRIPT):
            allowed.add(Action.RUN)
        elif task.type == MANUAL:
            allowed |= {Action.DONE, Action.SKIP, Action.MARK_ERROR}
    return frozenset(allowed)
