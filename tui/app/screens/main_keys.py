"""The main screen's keys. Which of them apply now is the runner's answer for the task policy ones
(`POLICY`); the screen's `check_action` asks it. Every key has an id (`main.ACTION`) that the
keymap setting can move to another key."""

from __future__ import annotations

from textual.binding import Binding

from tui.run_phase import Action

# Actions whose availability is task policy (the runner's answer); the rest are always there.
POLICY = {action.value for action in Action} | {"run_parallel", "review_next", "undo"}


def main_key(
    key: str, action: str, description: str, tooltip: str, *, show: bool = True, priority: bool = False
) -> Binding:
    return Binding(
        key, action, description, show=show, tooltip=tooltip, id=f"main.{action}", priority=priority
    )


MAIN_KEYS = [
    main_key("n", "next_ready", "Next", "Jump to the next READY task"),
    main_key("r", "run", "Run", "Run the selected task (also enter on a task)"),
    main_key("r", "retry", "Retry", "Try again (the fallback template gets the failure)"),
    main_key("v", "review", "Review", "Back to the review of the answer"),
    main_key(
        "p", "run_parallel", "Parallel", "Run independent READY tasks at once, each in its own output tab"
    ),
    main_key("v", "review_next", "Review next", "Review the next answer waiting from the parallel run"),
    main_key("escape", "cancel", "Cancel", "Stop the answer, validation or script"),
    main_key("e", "edit_prompt", "Edit prompt", "Edit the prompt in $EDITOR for the next run"),
    Binding("y", "done", "Done", tooltip="Manual task: mark it DONE", id="main.done"),
    main_key("s", "skip", "Skip", "Manual task: mark it SKIPPED"),
    Binding("x", "mark_error", "Error", tooltip="Mark the task ERROR, with a note", id="main.error"),
    main_key("b", "rollback", "Roll back", "Validation failed: undo the change, task READY"),
    main_key("k", "keep", "Keep", "Validation failed: keep the change, task DONE"),
    main_key("u", "undo", "Undo", "Undo the last applied change (and its commit)", show=False),
    main_key("R", "reset", "Reset", "Reset the selected task to READY"),
    main_key("c", "copy", "Copy", "Copy the answer (OSC 52 clipboard)", show=False),
    # A priority key, handled as it arrives: the keys typed right after it (a fast typist, a
    # paste) then go into the filter box, never to the task keys (`s` would skip a task).
    main_key("slash", "filter", "Filter", "Filter the tasks by id, name or group", priority=True),
    main_key("escape", "clear_filter", "Clear filter", "Clear the filter", show=False),
    main_key("q", "quit", "Quit", "Quit (asks while a task runs)"),
]
