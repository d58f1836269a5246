"""Where a task run stands (`Phase`) and what the user may ask of it (`Action`): plain enums with no
imports, so the TUI's first frame can name them without loading the runner and everything it uses
(pydantic models, templates, git). `tui.runner` re-exports them; the runner decides which apply."""

from __future__ import annotations

import enum


class Phase(str, enum.Enum):
    READY = "ready"
    PROMPTED = "prompted"
    GENERATING = "generating"
    ANSWERED = "answered"
    REVIEWING = "reviewing"
    APPLIED = "applied"
    VALIDATING = "validating"
    VALIDATION_FAILED = "validation_failed"
    DONE = "done"
    ERROR = "error"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


class Action(str, enum.Enum):
    """What the user may ask of a task or of its run; the TUI's keys, footer and palette follow."""

    RUN = "run"
    RETRY = "retry"
    REVIEW = "review"
    CANCEL = "cancel"
    ROLLBACK = "rollback"
    KEEP = "keep"
    MARK_ERROR = "mark_error"
    DONE = "done"
    SKIP = "skip"
    EDIT_PROMPT = "edit_prompt"
    RESET = "reset"
    NOTE = "note"  # a note on a hunk or on the whole answer, in the review
    REGENERATE = "regenerate"  # one hunk asked again, in the review

    def __str__(self) -> str:
        return self.value


# Steps a cancel stops; the others finish quickly and cannot be interrupted (an apply never is).
CANCELLABLE_STEPS = frozenset({"generating", "validating", "running the script"})
