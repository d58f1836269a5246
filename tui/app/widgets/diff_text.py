"""One side's text on one screen line of the diff view: the part a wrapped line shows, or the
window a sideways scroll shows with `‹` / `›` where the line is cut; and the cell-exact cutting of
coloured segments that both need."""

from __future__ import annotations

from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style

from tui.patch.review import Span
from tui.patch.review_layout import cut_points, display_width

CUT_RIGHT = "›"  # the line goes on past the right edge (wrapping off)
CUT_LEFT = "‹"  # the line starts before the left edge (scrolled sideways)


class Cut(NamedTuple):
    """How a side's line is cut for one screen line."""

    width: int  # cells for the sign and the text
    part: int  # which wrapped part (wrapping on)
    wrap: bool
    shift: int  # cells scrolled sideways (wrapping off)
    line_style: Style
    marker: Style


def part_of_line(shown: str, whole: list[Segment], sign: Segment, cut: Cut) -> list[Segment]:
    """The sign, then the cells of `whole` (the displayed line `shown`, coloured) this screen line shows."""
    width, part, line_style = cut.width, cut.part, cut.line_style
    room = width - 1
    if cut.wrap and display_width(shown) <= room:  # most lines: no cut to make
        return Segment.adjust_line_length([sign, *whole] if part == 0 else [sign], width, line_style)
    if cut.wrap:
        cuts = cut_points(shown, room)
        if part + 1 >= len(cuts):
            return Segment.adjust_line_length([sign], width, line_style)
        start = display_width(shown[: cuts[part]])
        end = start + display_width(shown[cuts[part] : cuts[part + 1]])
        piece = cells(whole, start, end)
        return Segment.adjust_line_length([sign, *piece], width, line_style)
    total = display_width(shown)
    segments = [sign]
    begin = cut.shift
    if begin and total:
        segments.append(Segment(CUT_LEFT, line_style + cut.marker))
        begin += 1
        room -= 1
    if total > begin + room:
        segments += cells(whole, begin, begin + room - 1)
        segments.append(Segment(CUT_RIGHT, line_style + cut.marker))
    else:
        segments += cells(whole, begin, begin + room)
    return Segment.adjust_line_length(segments, width, line_style)


def cells(segments: list[Segment], start: int, end: int) -> list[Segment]:
    """The segments covering cells [start, end) of a line."""
    if end <= start:
        return []
    pieces = list(Segment.divide(segments, [start, end]))
    return pieces[1] if len(pieces) > 1 else []


def crop(text: str, width: int) -> str:
    cuts = cut_points(text, max(width, 1))
    return text[: cuts[1]]


def split_by_spans(value: str, offset: int, spans: list[Span], plain: Style, marked: Style) -> list[Segment]:
    """Cut one token at span edges; `offset` is where the token starts in the line."""
    segments: list[Segment] = []
    position = 0
    length = len(value)
    for start, end in spans:
        start, end = max(start - offset, 0), min(end - offset, length)
        if end <= position or start >= length:
            continue
        if start > position:
            segments.append(Segment(value[position:start], plain))
        segments.append(Segment(value[max(start, position) : end], marked))
        position = end
    if position < length:
        segments.append(Segment(value[position:], plain))
    return segments
