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
    if "\t" in text:  # a tab takes up to TAB_SIZE cells: expanded before any shortcut
        text = text.expandtabs(TAB_SIZE)
    size = len(text)
    if size * 2 <= width:  # no character takes more than two cells
        return 1
    if text.isascii():
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
        if wrap:
            heights = _heights(rows, unified, widths)
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


def _heights(rows: Sequence[DiffRow], unified: bool, widths: Widths) -> list[int]:
    """Each row's screen lines, as `row_height` gives them, without a call a row in the usual diff.

    When every text is ASCII without tabs (one check over all of them), a text of n characters
    takes ceil(n / width) lines, worked out inline; a label is measured only when it could wrap."""
    olds = list(map(attrgetter("old"), rows))
    news = list(map(attrgetter("new"), rows))
    joined = "".join(filter(None, chain(olds, news)))
    if not joined.isascii() or "\t" in joined:
        return [row_height(row, unified, widths) for row in rows]
    old_width, new_width = max(widths.old, 2), max(widths.new, 2)
    if unified:  # one side a row, on the new side's width
        shown = [old if row.side == "old" else new for row, old, new in zip(rows, olds, news, strict=True)]
        heights = [-(-len(text) // new_width) if text else 1 for text in shown]
    else:
        heights = [
            max(-(-len(old) // old_width) if old else 1, -(-len(new) // new_width) if new else 1)
            for old, new in zip(olds, news, strict=True)
        ]
    label_limit = widths.label // 2
    for index, kind in enumerate(map(attrgetter("kind"), rows)):
        if kind == "hunk" or kind == "fold":
            label = rows[index].label
            could_wrap = len(label) > label_limit or "\t" in label
            heights[index] = parts_needed(label, widths.label) if could_wrap else 1
    return heights
