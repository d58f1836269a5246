"""The review screen's one question: apply to files outside the task's files_to_modify?"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class ConfirmOutsideScope(ModalScreen[bool]):
    """`y` applies anyway, `n`/`escape` goes back to the review."""

    DEFAULT_CSS = """
    ConfirmOutsideScope { align: center middle; }
    ConfirmOutsideScope > Vertical {
        width: 72; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    ConfirmOutsideScope .paths { color: $warning; margin: 1 0; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Apply anyway", id="review.confirm-outside.yes"),
        Binding("n,escape", "answer(False)", "Go back", id="review.confirm-outside.no"),
    ]

    def __init__(self, paths: list[str]) -> None:
        super().__init__()
        self.paths = paths

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("These files are not in the task's files_to_modify:")
            yield Static("\n".join(f"  {path}" for path in self.paths), classes="paths", markup=False)
            yield Label("Apply the accepted hunks to them too?  y: apply   n: go back")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
