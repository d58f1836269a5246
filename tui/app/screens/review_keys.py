"""The review screen's keys (each with an id, so the user's keymap can move it) and which of them
apply now: the runner's answer for notes and regenerating, the review state for decisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from tui.run_phase import Action

if TYPE_CHECKING:
    from tui.app.widgets.diff_view import DiffView
    from tui.patch.review_state import ReviewState

REVIEW_BINDINGS = [
    Binding("y", "accept_hunk", "Accept", id="review.accept-hunk"),
    Binding("n", "reject_hunk", "Reject", id="review.reject-hunk"),
    Binding("N", "reject_with_note", "Reject + note", id="review.reject-with-note"),
    Binding("A", "accept_all", "Accept all", id="review.accept-all"),
    # Not a priority binding: it must queue behind the keys typed before it (`A` then `enter`).
    Binding("enter", "apply", "Apply", id="review.apply"),
    Binding("right_square_bracket", "move_hunk(1)", "Next hunk", key_display="]", id="review.next-hunk"),
    Binding("right_curly_bracket", "move_file(1)", "Next file", key_display="}", id="review.next-file"),
    Binding("s", "toggle_layout(True)", "Unified", id="review.toggle-layout"),
    Binding("s", "toggle_layout(False)", "Side by side", id="review.toggle-layout"),
    Binding("w", "toggle_wrap(False)", "No wrap", id="review.toggle-wrap"),
    Binding("w", "toggle_wrap(True)", "Wrap", id="review.toggle-wrap"),
    Binding("a", "accept_file", "Accept file", id="review.accept-file"),
    Binding("d", "reject_file", "Reject file", id="review.reject-file"),
    # While a hunk is asked for again the same keys stop that instead (and say so).
    Binding("q,escape", "stop_regenerating", "Stop regenerating", id="review.stop-regenerating"),
    Binding("q,escape", "finish('back')", "Back", id="review.back"),
    Binding("r", "retry", "Retry", id="review.retry"),
    Binding("g", "regenerate", "Regenerate hunk", id="review.regenerate"),
    Binding("p", "compare", "Earlier version", id="review.compare"),
    Binding("o", "note_hunk", "Note", show=False, id="review.note-hunk"),
    Binding("O", "note_answer", "Note on answer", show=False, id="review.note-answer"),
    Binding(
        "left_square_bracket",
        "move_hunk(-1)",
        "Prev hunk",
        key_display="[",
        show=False,
        id="review.prev-hunk",
    ),
    Binding(
        "left_curly_bracket",
        "move_file(-1)",
        "Prev file",
        key_display="{",
        show=False,
        id="review.prev-file",
    ),
    Binding("left", "scroll_sideways(-1)", "Left", key_display="←", show=False, id="review.scroll-left"),
    Binding("right", "scroll_sideways(1)", "Right", key_display="→", show=False, id="review.scroll-right"),
    Binding("home", "scroll_sideways(0)", "Line start", show=False, id="review.scroll-home"),
    Binding("e", "edit_file", "Edit", show=False, id="review.edit-file"),
    Binding("x", "finish('error')", "Error", show=False, id="review.mark-error"),
    Binding("m", "finish('manual_done')", "Done by hand", show=False, id="review.manual-done"),
    Binding("c", "copy_diff", "Copy", show=False, id="review.copy-diff"),
]


def key_applies(
    action: str, parameters: tuple[object, ...], run: Any, state: ReviewState, diff: Callable[[], DiffView]
) -> bool:
    """`diff` gives the diff view, asked for only by the keys that depend on it (this is asked of
    every action, some while the screen is still being built)."""
    if run.step is not None:  # a hunk is being regenerated: q/escape stops it
        return action == "stop_regenerating" and run.step == "generating"
    if action == "stop_regenerating":
        return False
    if action in ("reject_with_note", "note_hunk", "regenerate"):
        allowed = Action.NOTE if action != "regenerate" else Action.REGENERATE
        return state.current_hunk is not None and allowed in run.allowed()
    if action == "note_answer":
        return Action.NOTE in run.allowed()
    if action == "compare":
        return (state.hunk_id or "") in run.conversation.previous
    if action == "accept_hunk":
        return state.acceptable(state.current_hunk)
    if action == "reject_hunk":
        return state.current_hunk is not None
    if action == "toggle_layout":
        # Two bindings share `s`; only the one that changes the layout shows.
        return parameters[0] != diff().unified
    if action == "toggle_wrap":
        return parameters[0] != diff().wrap
    if action == "scroll_sideways":
        return not diff().wrap
    # `enter` always applies or asks: hiding it while nothing is accepted yet would drop an
    # `enter` typed right after `A` (bindings are checked before `A` has been handled).
    return True
