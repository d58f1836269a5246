"""The review screen's questions before applying: files outside files_to_modify, undecided hunks."""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.app.widgets.key_bar import DialogKeys
from tui.plural import counted


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
        yield DialogKeys()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


UndecidedAnswer = Literal["accept", "leave"]


class UndecidedHunks(ModalScreen["UndecidedAnswer | None"]):
    """`enter` with hunks still undecided: accept them, leave them out, or go back to the review."""

    DEFAULT_CSS = """
    UndecidedHunks { align: center middle; }
    UndecidedHunks > Vertical {
        width: 76; max-width: 100%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    UndecidedHunks .hunks { color: $warning; margin: 1 0; }
    UndecidedHunks .choices { margin: 1 0 0 0; }
    """
    BINDINGS = [
        Binding("a", "answer('accept')", "Accept them", id="review.undecided.accept"),
        Binding("l", "answer('leave')", "Leave them out", id="review.undecided.leave"),
        Binding("escape,b", "answer(None)", "Go back", id="review.undecided.back"),
    ]

    def __init__(self, undecided: list[str], unplaceable: int, accepted: int, unit: str = "hunk") -> None:
        super().__init__()
        self.unit = unit  # hunk, block or change, as the review header says
        self.undecided = undecided
        self.unplaceable = unplaceable
        self.accepted = accepted

    def compose(self) -> ComposeResult:
        count = len(self.undecided)
        shown = self.undecided[:6]
        more = f"\n  … and {count - len(shown)} more" if count > len(shown) else ""
        with Vertical():
            yield Label(
                f"{counted(count, self.unit)} {'is' if count == 1 else 'are'} still undecided "
                f"({self.accepted} accepted so far):"
            )
            yield Static("\n".join(f"  {hunk}" for hunk in shown) + more, classes="hunks", markup=False)
            if self.unplaceable:
                yield Label(f"{self.unplaceable} of them could not be placed and stay out either way.")
            yield Static(
                "a  accept the undecided ones and apply\n"
                "l  leave them out and apply the accepted ones\n"
                "b  go back to the review (escape)",
                classes="choices",
                markup=False,
            )
        yield DialogKeys()

    def action_answer(self, answer: UndecidedAnswer | None) -> None:
        self.dismiss(answer)
