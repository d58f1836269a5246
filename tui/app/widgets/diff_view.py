"""A side-by-side (or unified) diff of one file on Textual's Line API.

Only the screen lines in view are drawn: `render_line` maps a screen line to (row, part) through
the wrap layout (tui.patch.review_layout), builds its strip on first sight (syntax colours and
changed words included) and keeps it in an LRU cache keyed by everything that changes how it
looks, so scrolling a 50,000-line diff costs what the viewport costs.

Nothing is cut silently: long lines wrap with `↪` in the line-number column of each continuation
line; with wrapping off (`w`) the sides scroll sideways together and a cut edge shows `›` / `‹`.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.app.widgets.diff_text import Cut, crop, part_of_line, split_by_spans
from tui.app.widgets.line_highlighter import LineHighlighter, display_text
from tui.patch.review import DiffRow, FileRows, Span, changed_spans
from tui.patch.review_layout import Widths, WrapLayout, cut_points, display_width

GUTTER = 2  # current-hunk bar + decision mark
DIVIDER = "│"
CONTINUED = "↪"  # in the number column: this screen line continues the row above
SIDE_BY_SIDE_MIN = 60  # narrower sides than this open the unified view
SCROLL_STEP = 8
_SIGNS = {"removed": "-", "added": "+"}
_DIM = Style(dim=True)


class DiffView(ScrollView, can_focus=True):
    """Rows of one file; the screen tells it the decisions and which hunk is current."""

    class LayoutChosen(Message):
        """The view picked its layout from its width (narrow: unified); `narrow` says why."""

        def __init__(self, narrow: bool) -> None:
            super().__init__()
            self.narrow = narrow

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
        "diff-view--marker",
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
        & > .diff-view--marker { color: $accent; text-style: bold; }
    }
    """

    unified: reactive[bool] = reactive(False)
    wrap: reactive[bool] = reactive(True)
    shift: reactive[int] = reactive(0)  # cells scrolled sideways (wrapping off)

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
        self._layout: WrapLayout | None = None
        self._layout_key: tuple | None = None
        self._longest: dict[tuple[int, bool], int] = {}
        self.layout_chosen_by_user = False  # `s` pressed: the width no longer picks the layout
        self._chosen_for = 0  # the width the layout was last chosen for
        self.rows_rendered = 0  # strips built (cache misses): what a large diff must keep small

    # -- what to show ---------------------------------------------------------------------------------
    def show_file(self, path: str, rows: FileRows, failed: frozenset[str], current: str | None) -> None:
        self._rows = rows
        self._path = path
        self._failed = failed
        self._current = current
        self._generation += 1
        self._highlighter = None
        self._strips.clear()
        self.shift = 0
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
        if self.scrollable_content_region.width > 0:
            layout = self.layout()
            start, end = layout.first_line(span[0]), layout.last_line(span[1])
        else:  # not laid out yet: a row a line, as the size has it (the resize puts it right)
            start, end = span
        top = round(self.scroll_y)
        height = max(1, self.scrollable_content_region.height)
        if start >= top and end < top + height:
            return
        self.scroll_to(y=max(0, start - 1), animate=False, immediate=True)

    @property
    def row_count(self) -> int:
        return len(self._rows.rows(self.unified)) if self._rows is not None else 0

    @property
    def line_count(self) -> int:
        """Screen lines the diff takes (rows plus their wrapped continuations)."""
        return self.layout().height if self._rows is not None else 0

    def choose_layout(self, width: int) -> None:
        """Unified when a side of side by side would be narrower than SIDE_BY_SIDE_MIN cells.

        Called from the first `render_line` at a new width (the resize event comes after the first
        paint), so the first frame is already drawn in the layout that fits."""
        if self.layout_chosen_by_user or width <= 0 or width == self._chosen_for:
            return
        self._chosen_for = width
        narrow = (width - GUTTER - 1) // 2 < SIDE_BY_SIDE_MIN
        if narrow == self.unified:
            return
        self.set_reactive(DiffView.unified, narrow)  # no watcher: we are inside a paint
        self._update_virtual_size()
        if self._current is not None:
            self.call_after_refresh(self.scroll_to_hunk, self._current)
        self.post_message(self.LayoutChosen(narrow))

    def scroll_sideways(self, step: int | None) -> None:
        """Move the sides left or right (None: back to the start); only while wrapping is off."""
        if self.wrap:
            return
        if step is None:
            self.shift = 0
            return
        widths = self._widths(self.scrollable_content_region.width)
        visible = min(widths.old, widths.new) if not self.unified else widths.new
        limit = max(0, self._longest_line() - visible + 1)
        self.shift = max(0, min(limit, self.shift + step))

    def watch_unified(self) -> None:
        self._update_virtual_size()
        if self._current is not None:
            self.scroll_to_hunk(self._current)
        self.refresh()

    def watch_wrap(self) -> None:
        self.shift = 0
        self._update_virtual_size()
        if self._current is not None:
            self.scroll_to_hunk(self._current)
        self.refresh()

    def watch_shift(self) -> None:
        self.refresh()

    def on_resize(self) -> None:
        self.choose_layout(self.scrollable_content_region.width)
        self._update_virtual_size()
        if self._current is not None:
            self.scroll_to_hunk(self._current)

    def _update_virtual_size(self) -> None:
        # Width 0: the sides never scroll as a whole (wrapping off moves them by `shift`), so only
        # a new height is a new size, and the resize after the first paint changes nothing.
        if self.scrollable_content_region.width > 0:
            self.virtual_size = Size(0, self.line_count)
        elif self._rows is not None:
            # Not laid out yet (show_file at mount): one screen line a row, as lines that fit take.
            # Wrapping at width 0 gave the first frame a scrollbar for twenty times the lines.
            rows = len(self._rows.rows(self.unified))
            self.virtual_size = Size(0, rows)
            if rows > self.app.size.height:  # it will scroll: the first frame draws the scrollbar too
                self.show_vertical_scrollbar = True

    # -- the wrap layout --------------------------------------------------------------------------------
    def _widths(self, width: int) -> Widths:
        """Cells for the text of each side (after number, space and sign)."""
        numbers = self._numbers_width()
        body = width - GUTTER
        if self.unified:
            text = body - 2 * numbers - 3
            return Widths(text, text, body - 1)
        left = (body - 1) // 2
        return Widths(left - numbers - 2, body - 1 - left - numbers - 2, body - 1)

    def layout(self) -> WrapLayout:
        assert self._rows is not None
        width = self.scrollable_content_region.width
        key = (self._generation, self.unified, self.wrap, width)
        if self._layout is None or self._layout_key != key:
            self._layout = WrapLayout(
                self._rows.rows(self.unified),
                unified=self.unified,
                widths=self._widths(width),
                wrap=self.wrap,
            )
            self._layout_key = key
        return self._layout

    def _longest_line(self) -> int:
        key = (self._generation, self.unified)
        longest = self._longest.get(key)
        if longest is None and self._rows is not None:
            longest = max(
                (
                    display_width(text)
                    for row in self._rows.rows(self.unified)
                    for text in (row.old, row.new)
                    if text
                ),
                default=0,
            )
            self._longest[key] = longest
        return longest or 0

    # -- drawing --------------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._palette = None  # theme or CSS changed: styles are looked up again
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        self.choose_layout(width)
        line = round(self.scroll_y) + y
        palette = self._styles()
        if self._rows is None or line >= self.line_count:
            return Strip.blank(width, palette["base"])
        index, part = self.layout().locate(line)
        row = self._rows.rows(self.unified)[index]
        decision = self._decisions.get(row.hunk) if row.hunk else None
        current = row.hunk is not None and row.hunk == self._current
        key = (
            self._generation,
            index,
            part,
            width,
            self.app.theme,
            self._style_name(),
            self.unified,
            self.wrap,
            self.shift,
            decision,
            current,
        )
        strip = self._strips.get(key)
        if strip is None:
            self.rows_rendered += 1
            strip = Strip(self._render_row(row, part, width, decision, current), width)
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

    def _render_row(
        self, row: DiffRow, part: int, width: int, decision: str | None, current: bool
    ) -> list[Segment]:
        styles = self._styles()
        segments = self._gutter(row, part, decision, current)
        widths = self._widths(width)
        if row.kind in ("hunk", "fold"):
            style = styles[row.kind]
            label = display_text(row.label)
            if self.wrap:
                cuts = cut_points(label, widths.label)
                label = label[cuts[part] : cuts[part + 1]] if part + 1 < len(cuts) else ""
            elif display_width(label) > widths.label:
                label = crop(label, widths.label - 1) + "…"
            segments.append(Segment(f" {label}", style))
            return Segment.adjust_line_length(segments, width, style)
        if self.unified:
            kind = "removed" if row.side == "old" else "added" if row.side == "new" else "context"
            first = part == 0
            segments += self._number(row.old_no if first else None)
            segments.append(Segment(" ", styles["base"]))
            segments += self._number(row.new_no if first else None, continued=not first)
            segments.append(Segment(" ", styles["base"]))
            text = row.old if row.side == "old" else row.new
            segments += self._text(text or "", kind, row, row.side == "old", widths.new + 1, part)
            return Segment.adjust_line_length(segments, width, styles["base"])
        body = width - GUTTER
        left = (body - 1) // 2
        old_kind = "removed" if row.kind in ("change", "removed") else "context"
        new_kind = "added" if row.kind in ("change", "added") else "context"
        segments += self._side(row.old_no, row.old, old_kind, row, True, left, part)
        segments.append(Segment(DIVIDER, styles["divider"]))
        segments += self._side(row.new_no, row.new, new_kind, row, False, body - 1 - left, part)
        return Segment.adjust_line_length(segments, width, styles["base"])

    def _gutter(self, row: DiffRow, part: int, decision: str | None, current: bool) -> list[Segment]:
        styles = self._styles()
        bar = Segment("▌", styles["current"]) if current else Segment(" ", styles["base"])
        if part:
            mark = Segment(" ", styles["base"])  # the decision shows once, on the row's first line
        elif row.hunk in self._failed:
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

    def _number(self, number: int | None, *, continued: bool = False) -> list[Segment]:
        if continued:
            return [Segment(CONTINUED.rjust(self._numbers_width()), self._styles()["marker"])]
        text = "" if number is None else str(number)
        return [Segment(text.rjust(self._numbers_width()), self._styles()["line-number"])]

    def _side(
        self, number: int | None, text: str | None, kind: str, row: DiffRow, old: bool, width: int, part: int
    ) -> list[Segment]:
        """One half of a side-by-side screen line, exactly `width` cells."""
        if width <= 0:
            return []
        styles = self._styles()
        if text is None:
            return [Segment(" " * width, styles["empty"])]
        text_width = width - self._numbers_width() - 1
        if part and (not self.wrap or part >= len(cut_points(display_text(text), text_width - 1)) - 1):
            # this side ended on an earlier line of the row: its background carries on, no marker
            return [Segment(" " * width, styles[kind])]
        segments = [*self._number(number if part == 0 else None, continued=part > 0)]
        segments.append(Segment(" ", styles["base"]))
        segments += self._text(text, kind, row, old, text_width, part)
        return Segment.adjust_line_length(segments, width, styles[kind])

    def _text(self, text: str, kind: str, row: DiffRow, old: bool, width: int, part: int) -> list[Segment]:
        """Sign, then this part of the syntax-coloured text with changed words marked: `width` cells."""
        if width <= 0:
            return []
        styles = self._styles()
        line_style = styles[kind]
        shown = display_text(text)
        sign = Segment(_SIGNS.get(kind, " ") if part == 0 else " ", line_style)
        whole = self._line_segments(shown, kind, row, old)
        cut = Cut(width, part, self.wrap, self.shift, line_style, styles["marker"])
        return part_of_line(shown, whole, sign, cut)

    def _line_segments(self, shown: str, kind: str, row: DiffRow, old: bool) -> list[Segment]:
        """The whole displayed line: syntax colours on the line's background, changed words marked."""
        styles = self._styles()
        line_style = styles[kind]
        spans: list[Span] = []
        if kind != "context" and row.paired:
            spans = self._word_spans(row)[0 if old else 1]
        word_style = styles[f"{kind}-word"] if spans else None
        segments: list[Segment] = []
        offset = 0
        for value, token_style in self._syntax().pieces(shown):
            style = line_style + token_style
            if word_style is None:
                segments.append(Segment(value, style))
            else:
                segments += split_by_spans(value, offset, spans, style, style + word_style)
            offset += len(value)
        return segments

    def _word_spans(self, row: DiffRow) -> tuple[list[Span], list[Span]]:
        key = (display_text(row.old or ""), display_text(row.new or ""))
        spans = self._spans.get(key)
        if spans is None:
            spans = changed_spans(*key)
            self._spans[key] = spans
        return spans
