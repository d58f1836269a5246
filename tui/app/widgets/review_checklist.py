"""The task's review points as a checklist. Ticks are for the reviewer only: nothing is saved.

Ticked and unticked points differ by symbol, not only by colour (☑ / ☐, or [x] / [ ] where the
terminal cannot draw them), and long points wrap instead of being cut off.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option


def plain_terminal(environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    """A terminal that may not draw ☐/☑: the Linux console, or a locale that is not UTF-8."""
    if environ.get("TERM", "") in ("linux", "dumb", "vt100", "vt220"):
        return True
    locale = environ.get("LC_ALL") or environ.get("LC_CTYPE") or environ.get("LANG") or ""
    return bool(locale) and locale not in ("C", "POSIX") and "utf" not in locale.lower()


def box(ticked: bool, *, plain: bool) -> str:
    if plain:
        return "[x]" if ticked else "[ ]"
    return "☑" if ticked else "☐"


class ReviewChecklist(OptionList):
    """`space` ticks the highlighted point; up/down move. `enter` is left to the screen (apply)."""

    DEFAULT_CSS = """
    ReviewChecklist { height: auto; max-height: 12; border: none; padding: 0; }
    ReviewChecklist > .option-list--option { padding: 0 1; }
    """
    BINDINGS = [Binding("space", "toggle", "Tick", show=False, id="review.tick-point")]

    def __init__(self, points: Sequence[str], *, id: str | None = None) -> None:
        self.points = list(points)
        self.ticks = [False] * len(self.points)
        self.plain = plain_terminal()
        super().__init__(
            *[Option(self._prompt(index), id=str(index)) for index in range(len(self.points))], id=id
        )

    def _prompt(self, index: int) -> Text:
        ticked = self.ticks[index]
        text = Text(f"{box(ticked, plain=self.plain)} ", style="bold" if ticked else "")
        text.append(self.points[index], style="dim" if ticked else "")
        return text

    @property
    def ticked(self) -> list[str]:
        return [point for point, ticked in zip(self.points, self.ticks, strict=True) if ticked]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select":
            return False  # enter applies the review; it is not a tick
        return super().check_action(action, parameters)

    def action_toggle(self) -> None:
        index = self.highlighted
        if index is None:
            return
        self.ticks[index] = not self.ticks[index]
        self.replace_option_prompt_at_index(index, self._prompt(index))
