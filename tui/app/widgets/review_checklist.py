"""The task's review points as a checklist. Ticks are for the reviewer only: nothing is saved."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import SelectionList


class ReviewChecklist(SelectionList[int]):
    """`space` ticks the highlighted point; up/down move."""

    DEFAULT_CSS = """
    ReviewChecklist { height: auto; max-height: 12; }
    """

    def __init__(self, points: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(*[(point, index) for index, point in enumerate(points)], id=id)
        self.points = list(points)

    @property
    def ticked(self) -> list[str]:
        return [self.points[index] for index in sorted(self.selected)]
