"""Small modal questions: yes/no, and a one-line note."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.app.widgets.key_bar import DialogKeys

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 64; height: auto; border: round $warning; background: $surface; padding: 1 2;
}}
{name} .hint {{ color: $text-muted; margin: 1 0 0 0; }}
"""


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; `y` or `enter` answers yes, `n` or `escape` no."""

    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmScreen")
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="confirm-question")
            yield Static("y yes · n no", classes="hint")
        yield DialogKeys()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class NoteInput(Input):
    """The note's one line: `enter` saves it (shown in the dialog's key bar, unlike Input's own)."""

    BINDINGS = [Binding("enter", "submit", "Save", id="note.save")]


class NoteScreen(ModalScreen[str | None]):
    """Asks for a short note (why a task is marked ERROR); `escape` cancels."""

    DEFAULT_CSS = MODAL_CSS.format(name="NoteScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="note.cancel")]

    def __init__(self, question: str, placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            yield NoteInput(placeholder=self.placeholder, id="note-input")
            yield Static("enter saves · escape cancels", classes="hint")
        yield DialogKeys()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
