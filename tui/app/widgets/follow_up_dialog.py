"""The focused follow-up before it is sent: the prompt `r` will send, its token count against the
budget; `enter` sends it, `e` edits it in $EDITOR, `escape` goes back to the review."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.widgets.key_bar import DialogKeys

if TYPE_CHECKING:
    from tui.session import PreparedPrompt


class FollowUpPrompt(ModalScreen["str | None"]):
    """Dismisses with the prompt text to send (edited or not), or None to go back."""

    DEFAULT_CSS = """
    FollowUpPrompt { align: center middle; }
    FollowUpPrompt > Vertical {
        width: 90%; height: 90%; padding: 0 1;
        border: thick $accent; background: $surface;
    }
    FollowUpPrompt #follow-up-budget { color: $text-muted; }
    FollowUpPrompt #follow-up-budget.-over { color: $error; }
    FollowUpPrompt #follow-up-text { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "send", "Send", id="review.follow-up.send"),
        Binding("e", "edit", "Edit", id="review.follow-up.edit"),
        Binding("escape", "back", "Back to the review", id="review.follow-up.back"),
    ]

    def __init__(
        self, prompt: PreparedPrompt, recount: Callable[[str], PreparedPrompt], *, focused: bool = True
    ) -> None:
        super().__init__()
        self.asks_for_hunks = focused
        self.prompt = prompt
        self.text = prompt.rendered.user
        self.edited = False
        self._recount = recount

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                "Follow-up: only what was rejected or failed is asked again"
                if self.asks_for_hunks
                else "Retry: the whole change is asked again, with your note on the answer",
                markup=False,
            )
            yield Static(id="follow-up-budget", markup=False)
            with VerticalScroll(id="follow-up-text"):
                yield Static(self.text, id="follow-up-body", markup=False)
            yield Static("enter sends · e edits · escape goes back to the review", markup=False)
        yield DialogKeys()

    def on_mount(self) -> None:
        self._show_budget()

    def _show_budget(self) -> None:
        budget = self.prompt.budget
        label = f"{budget.label()}{' (edited)' if self.edited else ''}"
        if budget.over:
            label += f": {budget.explain()}"
        widget = self.query_one("#follow-up-budget", Static)
        widget.update(label)
        widget.set_class(budget.over, "-over")

    def use_edited(self, text: str) -> None:
        """The prompt as the user edited it: shown, counted again, and what `enter` sends."""
        if text == self.text:
            self.notify("The prompt is unchanged.")
            return
        self.text, self.edited = text, True
        self.prompt = self._recount(text)
        self.query_one("#follow-up-body", Static).update(text)
        self._show_budget()

    def action_edit(self) -> None:
        from tui.app.prompt_edit import edit_in_editor

        edited = edit_in_editor(self.app, self.text, suffix=".md")
        if edited is not None:
            self.use_edited(edited)

    def action_send(self) -> None:
        if self.prompt.budget.over:
            self.notify("The follow-up is over its budget; e edits it shorter.", severity="warning")
            return
        self.dismiss(self.text)

    def action_back(self) -> None:
        self.dismiss(None)
