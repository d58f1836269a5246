"""What a task run records when something goes wrong: the issue types written under a task's
`issues`, the runner's own error, and the failure text a retry's template is told."""

from __future__ import annotations

from tui.errors import PatchbayError
from tui.workspace.commands import CommandResult

# The `type` of the issue each kind of failure writes under the task's `issues`.
PROMPT_FAIL = "PROMPT_FAIL"  # the template cannot be rendered, or the prompt is over its budget
GENERATION_FAIL = "GENERATION_FAIL"  # the model cannot be loaded or reached, or the stream broke
PATCH_FAIL = "PATCH_FAIL"  # a hunk of the answer does not place (or a file cannot be changed)
VALIDATION_FAIL = "VALIDATION_FAIL"
SCRIPT_FAIL = "SCRIPT_FAIL"
MANUAL_ERROR = "MANUAL_ERROR"  # the user marked it ERROR, with a note
AUTOPILOT_GAVE_UP = "AUTOPILOT_GAVE_UP"  # `--auto` ran out of attempts
REVIEW_NOTES = "REVIEW_NOTES"  # the notes and attempts of a review, when its task ends in ERROR


class RunnerError(PatchbayError):
    """A step asked for at the wrong moment, or a task that cannot run."""


def command_failure(command: str, result: CommandResult) -> str:
    """A failed validation or script command: the command, its output and how it ended."""
    if result.error:
        return f"$ {command}\n{result.error}"
    why = (
        "timed out"
        if result.timed_out
        else ("was cancelled" if result.cancelled else f"exited {result.exit_code}")
    )
    return f"$ {command}\n{result.output.rstrip()}\n[{why}]"


def placement_failure(change_set, default: str = "the change was rejected in review") -> str:
    """Each refused file and unplaced hunk, with the closest region's actual lines (the retry's
    `failure`)."""
    from tui.patch.failure_text import failure_text

    return failure_text(change_set) or default
