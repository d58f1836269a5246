"""Where the review's rows fall on screen when long lines wrap, and where each line is cut.

A row takes as many screen lines as its longest side needs; the layout maps a screen line back to
(row, part) with a prefix sum, so drawing stays proportional to the viewport. Widths are terminal
cells of the text as displayed (tabs expanded, control characters shown as one cell).
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, chain
from operator import attrgetter

from tui.patch.review import DiffRow

TAB_SIZE = 4
# C0 controls (but tab) and DEL would move the terminal's cursor; show them as one visible cell.
_CONTROLS = {code: "\ufffd" for code in [*range(0, 9), *range(10, 32), 127]}


def display_text(text: str) -> str:
    """What a line looks like on screen: tabs expanded, control characters made visible."""
    return text.expandtabs(TAB_SIZE).translate(_CONTROLS)


def char_cells(char: str) -> int:
    if char.isascii():
        return 1
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Cells the displayed line takes (the ASCII case, nearly every line, costs one len())."""
    if text.isascii():
        return len(text) if "\t" not in text else len(text.expandtabs(TAB_SIZE))
    return sum(char_cells(char) for char in display_text(text))


def cut_points(shown: str, width: int) -> list[int]:
    """Character offsets where the displayed text `shown` is cut into parts of at most `width`
    cells: [0, a, b, ..., len(shown)]. A wide character never straddles a cut."""
    width = max(width, 2)
    if len(shown) * 2 <= width:  # fits whatever its characters are
        return [0, len(shown)]
    if shown.isascii():
        return [*range(0, len(shown), width), len(shown)] if shown else [0, 0]
    cuts = [0]
    used = 0
    for offset, char in enumerate(shown):
        cells = char_cells(char)
        if used + cells > width:
            cuts.append(offset)
            used = 0
        used += cells
    cuts.append(len(shown))
    return cuts


def parts_needed(text: str | None, width: int) -> int:
    """Screen lines `text` takes at `width` cells a line (called for every row: kept cheap)."""
    if not text:
        return 1
    size = len(text)
    if size * 2 <= width:  # no character takes more than two cells
        return 1
    if text.isascii():
        if "\t" in text:
            size = len(text.expandtabs(TAB_SIZE))
        return 1 if size <= width else -(-size // max(width, 2))
    return len(cut_points(display_text(text), width)) - 1


@dataclass(frozen=True)
class Widths:
    """Cells for the text of each side (after number, space and sign) and for a label row."""

    old: int
    new: int
    label: int


def row_height(row: DiffRow, unified: bool, widths: Widths) -> int:
    if row.kind in ("hunk", "fold"):
        return parts_needed(row.label, widths.label)
    if unified:
        return parts_needed(row.old if row.side == "old" else row.new, widths.new)
    return max(parts_needed(row.old, widths.old), parts_needed(row.new, widths.new))


class WrapLayout:
    """Screen lines of a list of rows. Without wrapping (or with nothing to wrap) a row is a line."""

    def __init__(self, rows: Sequence[DiffRow], *, unified: bool, widths: Widths, wrap: bool) -> None:
        self.count = len(rows)
        self._starts: list[int] | None = None  # screen line where each row starts, plus the total
        if wrap and not _all_fit(rows, widths):
            heights = [row_height(row, unified, widths) for row in rows]
            if any(height > 1 for height in heights):
                self._starts = [0, *accumulate(heights)]

    @property
    def height(self) -> int:
        return self._starts[-1] if self._starts is not None else self.count

    def locate(self, line: int) -> tuple[int, int]:
        """(row index, part) shown on a screen line."""
        if self._starts is None:
            return line, 0
        index = bisect_right(self._starts, line) - 1
        return index, line - self._starts[index]

    def first_line(self, index: int) -> int:
        return self._starts[index] if self._starts is not None else index

    def last_line(self, index: int) -> int:
        return self._starts[index + 1] - 1 if self._starts is not None else index


def _all_fit(rows: Sequence[DiffRow], widths: Widths) -> bool:
    """Whether every row takes one screen line because no text is half as long as its width (what
    `parts_needed` checks first), found in one pass at C speed: the usual diff, whose rows would
    otherwise each be measured before the first frame."""
    texts = chain(map(attrgetter("old"), rows), map(attrgetter("new"), rows))
    longest = max(map(len, filter(None, texts)), default=0)
    longest_label = max(map(len, map(attrgetter("label"), rows)), default=0)
    return longest * 2 <= min(widths.old, widths.new) and longest_label * 2 <= widths.label
