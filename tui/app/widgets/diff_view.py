"""A side-by-side (or unified) diff of one file on Textual's Line API.

Only the rows on screen are drawn: `render_line` builds a row's strip on first sight (syntax
colours and changed words included) and keeps it in an LRU cache keyed by everything that changes
how it looks, so scrolling a 50,000-line diff costs what the viewport costs.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.app.widgets.diff_rows import DiffRow, FileRows, Span, changed_spans
from tui.app.widgets.line_highlighter import LineHighlighter, display_text

GUTTER = 2  # current-hunk bar + decision mark
DIVIDER = "│"
_SIGNS = {"removed": "-", "added": "+"}
_DIM = Style(dim=True)


class DiffView(ScrollView, can_focus=True):
    """Rows of one file; the screen tells it the decisions and which hunk is current."""

    COMPONENT_CLASSES = {
        "diff-view--added",
        "diff-view--removed",
        "diff-view--added-word",
        "diff-view--removed-word",
        "diff-view--empty",
        "diff-view--line-number",
        "diff-view--hunk",
        "diff-view--fold",
        "diff-view--divider",
        "diff-view--current",
        "diff-view--accepted",
        "diff-view--rejected",
        "diff-view--failed",
    }
    DEFAULT_CSS = """
    DiffView {
        overflow-x: hidden;
        background: $surface;
        color: $foreground;
        & > .diff-view--added { background: $diff-added-background; }
        & > .diff-view--removed { background: $diff-removed-background; }
        & > .diff-view--added-word { background: $diff-added-word; }
        & > .diff-view--removed-word { background: $diff-removed-word; }
        & > .diff-view--empty { background: $background; }
        & > .diff-view--line-number { color: $foreground-muted; }
        & > .diff-view--hunk { background: $panel; color: $foreground; text-style: bold; }
        & > .diff-view--fold { color: $foreground-muted; text-style: italic; }
        & > .diff-view--divider { color: $panel-lighten-2; }
        & > .diff-view--current { color: $accent; }
        & > .diff-view--accepted { color: $success; }
        & > .diff-view--rejected { color: $error; }
        & > .diff-view--failed { color: $warning; }
    }
    """

    unified: reactive[bool] = reactive(False)

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows: FileRows | None = None
        self._path = ""
        self._generation = 0
        self._failed: frozenset[str] = frozenset()
        self._decisions: Mapping[str, str] = {}
        self._current: str | None = None
        self._highlighter: LineHighlighter | None = None
        self._highlighter_style = ""
        self._palette: dict[str, Style] | None = None
        self._strips: LRUCache[tuple, Strip] = LRUCache(2048)
        self._spans: LRUCache[tuple[str, str], tuple[list[Span], list[Span]]] = LRUCache(2048)
        self.rows_rendered = 0  # rows built (cache misses): what a large diff must keep small

    # -- what to show ---------------------------------------------------------------------------------
    def show_file(self, path: str, rows: FileRows, failed: frozenset[str], current: str | None) -> None:
        self._rows = rows
        self._path = path
        self._failed = failed
        self._current = current
        self._generation += 1
        self._highlighter = None
        self._strips.clear()
        self._update_virtual_size()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def set_decisions(self, decisions: Mapping[str, str], current: str | None) -> None:
        """New decisions or a new current hunk: the cache key changes for the rows concerned only."""
        self._decisions = dict(decisions)
        self._current = current
        self.refresh()

    def scroll_to_hunk(self, hunk_id: str) -> None:
        """Bring a hunk into view, its header a line below the top when it has to move."""
        if self._rows is None:
            return
        span = self._rows.hunk_span(hunk_id, self.unified)
        if span is None:
            return
        start, end = span
        top = round(self.scroll_y)
        height = max(1, self.scrollable_content_region.height)
        if start >= top and end < top + height:
            return
        self.scroll_to(y=max(0, start - 1), animate=False, immediate=True)

    @property
    def row_count(self) -> int:
        return len(self._rows.rows(self.unified)) if self._rows is not None else 0

    def watch_unified(self) -> None:
        self._update_virtual_size()
        if self._current is not None:
            self.scroll_to_hunk(self._current)
        self.refresh()

    def on_resize(self) -> None:
        self._update_virtual_size()
        if self._current is not None:
            self.scroll_to_hunk(self._current)

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.row_count)

    # -- drawing --------------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._palette = None  # theme or CSS changed: styles are looked up again
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        palette = self._styles()
        if self._rows is None or index >= self.row_count:
            return Strip.blank(width, palette["base"])
        row = self._rows.rows(self.unified)[index]
        decision = self._decisions.get(row.hunk) if row.hunk else None
        current = row.hunk is not None and row.hunk == self._current
        key = (
            self._generation,
            index,
            width,
            self.app.theme,
            self._style_name(),
            self.unified,
            decision,
            current,
        )
        strip = self._strips.get(key)
        if strip is None:
            self.rows_rendered += 1
            strip = Strip(self._render_row(row, width, decision, current), width)
            if decision == "rejected":
                strip = strip.apply_style(_DIM)
            self._strips[key] = strip
        return strip

    def _styles(self) -> dict[str, Style]:
        """Every style a row uses, looked up once (DOM style lookups are slow per row)."""
        if self._palette is None:
            palette = {"base": self.rich_style}
            for name in self.COMPONENT_CLASSES:
                palette[name.removeprefix("diff-view--")] = self.get_component_rich_style(name)
            palette["context"] = palette["base"]
            for kind in ("added", "removed"):
                palette[f"{kind}-word"] = Style(bgcolor=palette[f"{kind}-word"].bgcolor)
            self._palette = palette
        return self._palette

    def _style_name(self) -> str:
        return str(getattr(self.app, "pygments_style", None) or "monokai")

    def _syntax(self) -> LineHighlighter:
        name = self._style_name()
        if self._highlighter is None or self._highlighter_style != name:
            self._highlighter = LineHighlighter(self._path, name)
            self._highlighter_style = name
        return self._highlighter

    def _render_row(self, row: DiffRow, width: int, decision: str | None, current: bool) -> list[Segment]:
        styles = self._styles()
        segments = self._gutter(row, decision, current)
        body = width - GUTTER
        if row.kind in ("hunk", "fold"):
            style = styles[row.kind]
            segments.append(Segment(f" {display_text(row.label)}", style))
            return Segment.adjust_line_length(segments, width, style)
        if self.unified:
            kind = "removed" if row.side == "old" else "added" if row.side == "new" else "context"
            segments += self._number(row.old_no)
            segments.append(Segment(" ", styles["base"]))
            segments += self._number(row.new_no)
            text = row.old if row.side == "old" else row.new
            segments += self._text(
                text or "", kind, row, row.side == "old", body - self._numbers_width() * 2 - 1
            )
            return Segment.adjust_line_length(segments, width, styles["base"])
        left = (body - 1) // 2
        old_kind = "removed" if row.kind in ("change", "removed") else "context"
        new_kind = "added" if row.kind in ("change", "added") else "context"
        segments += self._side(row.old_no, row.old, old_kind, row, True, left)
        segments.append(Segment(DIVIDER, styles["divider"]))
        segments += self._side(row.new_no, row.new, new_kind, row, False, body - 1 - left)
        return Segment.adjust_line_length(segments, width, styles["base"])

    def _gutter(self, row: DiffRow, decision: str | None, current: bool) -> list[Segment]:
        styles = self._styles()
        bar = Segment("▌", styles["current"]) if current else Segment(" ", styles["base"])
        if row.hunk in self._failed:
            mark = Segment("!", styles["failed"])
        elif decision == "accepted":
            mark = Segment("✓", styles["accepted"])
        elif decision == "rejected":
            mark = Segment("✗", styles["rejected"])
        else:
            mark = Segment(" ", styles["base"])
        return [bar, mark]

    def _numbers_width(self) -> int:
        return self._rows.number_width if self._rows is not None else 1

    def _number(self, number: int | None) -> list[Segment]:
        text = "" if number is None else str(number)
        return [Segment(text.rjust(self._numbers_width()), self._styles()["line-number"])]

    def _side(
        self, number: int | None, text: str | None, kind: str, row: DiffRow, old: bool, width: int
    ) -> list[Segment]:
        """One half of a side-by-side row, exactly `width` cells."""
        if width <= 0:
            return []
        styles = self._styles()
        if text is None:
            return [Segment(" " * width, styles["empty"])]
        segments = [*self._number(number), Segment(" ", styles["base"])]
        segments += self._text(text, kind, row, old, width - self._numbers_width() - 1)
        return Segment.adjust_line_length(segments, width, styles[kind])

    def _text(self, text: str, kind: str, row: DiffRow, old: bool, width: int) -> list[Segment]:
        """Sign, then the syntax-coloured text with changed words marked, exactly `width` cells."""
        if width <= 0:
            return []
        styles = self._styles()
        line_style = styles[kind]
        spans: list[Span] = []
        if kind != "context" and row.paired:
            spans = self._word_spans(row)[0 if old else 1]
        word_style = styles[f"{kind}-word"] if spans else None
        segments = [Segment(_SIGNS.get(kind, " "), line_style)]
        offset = 0
        for value, token_style in self._syntax().pieces(display_text(text)):
            style = line_style + token_style
            if word_style is None:
                segments.append(Segment(value, style))
            else:
                segments += _split_by_spans(value, offset, spans, style, style + word_style)
            offset += len(value)
        return Segment.adjust_line_length(segments, width, line_style)

    def _word_spans(self, row: DiffRow) -> tuple[list[Span], list[Span]]:
        key = (display_text(row.old or ""), display_text(row.new or ""))
        spans = self._spans.get(key)
        if spans is None:
            spans = changed_spans(*key)
            self._spans[key] = spans
        return spans


def _split_by_spans(value: str, offset: int, spans: list[Span], plain: Style, marked: Style) -> list[Segment]:
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
