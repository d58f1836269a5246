"""The output pane: a model's answer, a validation command or a script, streaming in batches.

Producers call `feed()` from their worker thread; it only appends to a locked buffer. A 30 Hz timer
on the UI thread drains the buffer into the `Log` in one write, so the screen refreshes per batch,
never per token (per-chunk refreshes cost an order of magnitude more; reference/textual.md §5.3).
"""

from __future__ import annotations

import threading
import time

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Log, Sparkline, Static

from tui.commands.terminal_text import ControlSequenceFilter

FLUSH_HZ = 30
PARTIAL_LINE_DELAY = 0.1  # seconds a partial line may wait for its newline
SLOW_WRITE_HZ = 12
BURST_LINES = 3
SAMPLE_SECONDS = 0.25  # one sparkline point per quarter second of streaming
SPARK_POINTS = 40
SPARK_WIDTH = 12
SPARK_MIN_PANE = 56  # narrower panes drop the sparkline before the figures lose a character


def wrap_text(text: str, column: int, width: int) -> tuple[str, int]:
    """`text` with line breaks added so no line passes `width` cells, given that the current line
    already holds `column` cells; returns the text and the column it ends at. Breaks go at a space
    where the overflowing piece has one (the space is dropped), else at the edge."""
    if width < 8:
        return text, column
    out: list[str] = []
    for number, piece in enumerate(text.split("\n")):
        if number:
            out.append("\n")
            column = 0
        while column + _cells(piece) > width:
            room = width - column
            fit = _fitting(piece, room)
            space = piece.rfind(" ", 0, fit + 1)
            if space > 0:
                out.append(piece[:space])
                piece = piece[space + 1 :]
            elif space == 0:
                piece = piece[1:]
            elif column:
                pass  # the line already holds text: the word starts the next line instead
            else:
                fit = max(fit, 1)
                out.append(piece[:fit])
                piece = piece[fit:]
            out.append("\n")
            column = 0
            if not piece:
                break
        out.append(piece)
        column += _cells(piece)
    return "".join(out), column


def _cells(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _fitting(text: str, room: int) -> int:
    """How many characters of `text` fit in `room` cells."""
    if text.isascii():
        return min(room, len(text))
    used = 0
    for index, char in enumerate(text):
        used += cell_len(char)
        if used > room:
            return index
    return len(text)


class StreamLog(Log):
    """A Log whose growth repaints it and its scrollbars without laying out the whole screen.

    `Log.write` sets the virtual size, a reactive that asks for a layout of every widget on the
    screen. The log's own region does not depend on its content, so only a scrollbar appearing or
    going away needs one. Streaming, that was a layout and an extra frame for every new line
    (bench/stream.py; README "Performance").
    """

    _growing = False

    def write(self, data: str, scroll_end: bool | None = None) -> StreamLog:
        self._growing = True
        try:
            return super().write(data, scroll_end)
        finally:
            self._growing = False

    def refresh(self, *regions, repaint: bool = True, layout: bool = False, recompose: bool = False):
        if layout and self._growing and not recompose:
            # What the layout would do for this widget: size the scrollbars to the new content.
            # Showing or hiding one still lays out (that reactive calls refresh outside the flag).
            self._growing = False
            try:
                self._scroll_update(self.virtual_size)
            finally:
                self._growing = True
            layout = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)


class OutputPane(Vertical):
    """Streams text into a Log and shows time to first token, tokens per second and tokens so far."""

    DEFAULT_CSS = """
    OutputPane { height: 1fr; }
    OutputPane > #output-header { height: 1; }
    OutputPane #output-title {
        width: 1fr; min-width: 8; text-style: bold; padding: 0 1 0 0;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    OutputPane #output-metrics { width: auto; color: $text-muted; padding: 0 1; }
    OutputPane #output-spark { width: 12; height: 1; }
    OutputPane > Log { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._pending_tokens = 0
        self._streaming = False
        self._count_tokens = False
        self._started = 0.0
        self._first_token: float | None = None
        self._tokens = 0
        self._sample_tokens = 0
        self._sample_started = 0.0
        self._rates: list[float] = []
        self._answer: list[str] = []
        self._timer = None
        self._last_write = 0.0
        self._column = 0  # cells on the log's last line, for wrapping what comes next
        # Textual's Log passes escape sequences through to the terminal: a model's answer could
        # clear the screen or write the clipboard. Kept across writes: a sequence may span chunks.
        self._filter = ControlSequenceFilter()

    def compose(self) -> ComposeResult:
        with Horizontal(id="output-header"):
            yield Static("Output", id="output-title")
            yield Static("", id="output-metrics")
            yield Sparkline([], id="output-spark")
        yield StreamLog(id="output-log", highlight=False)

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / FLUSH_HZ, self._tick, pause=True)
        self.query_one("#output-spark").display = False

    # -- producer side (any thread) ----------------------------------------------------------------
    def feed(self, text: str) -> None:
        """Queue text from a worker thread; the timer writes it out."""
        with self._lock:
            self._pending.append(text)
            self._pending_tokens += 1

    # -- UI side -----------------------------------------------------------------------------------
    @property
    def log_widget(self) -> Log:
        return self.query_one("#output-log", Log)

    @property
    def answer_text(self) -> str:
        return "".join(self._answer)

    @property
    def text(self) -> str:
        return "\n".join(self.log_widget.lines)

    def begin(self, title: str, *, tokens: bool, clear: bool = True) -> None:
        """Start a stream: `tokens` True for a model answer (metrics shown), False for command output.

        Without `clear` the previous output stays above a separator (a retry keeps the attempt before)."""
        self.flush()
        if clear:
            self.log_widget.clear()
            self._column = 0
            self._filter = ControlSequenceFilter()
        elif tokens and self.log_widget.lines:
            self.note(f"── {title} ──")
        self.query_one("#output-title", Static).update(title)
        self._streaming = True
        self._count_tokens = tokens
        self._started = self._sample_started = time.monotonic()
        self._first_token = None
        self._tokens = self._sample_tokens = 0
        if tokens:
            self._answer = []
            self._rates = []
            self.query_one("#output-spark", Sparkline).data = []
        self.query_one("#output-spark").display = tokens and self._room_for_spark()
        self.query_one("#output-metrics", Static).update("waiting for the first token…" if tokens else "")
        if self._timer is not None:
            self._timer.resume()

    def finish(self, summary: str | None = None, *, final=None) -> None:
        """End the stream; `final` (a FinalRecord) replaces the measured metrics with the backend's."""
        self.flush()
        self._streaming = False
        if self._timer is not None:
            self._timer.pause()
        if self._count_tokens and final is not None:
            self._show_metrics(final.time_to_first_token, final.tokens_per_second, final.new_tokens)
        if summary:
            self.note(summary)

    def note(self, text: str) -> None:
        """A line of our own (a divider, a result) after whatever has streamed so far."""
        self.flush()
        log = self.log_widget
        if log.lines and log.lines[-1] != "":
            self._write("\n")  # finish a partial line first
        self._write(text + "\n")  # and end ours, so later output starts on a line of its own

    def show_text(self, title: str, text: str) -> None:
        """Replace the pane with finished text (e.g. the last answer of a task)."""
        self.begin(title, tokens=False)
        self.feed(text)
        self.finish()

    def _tick(self) -> None:
        """Decide whether this timer tick writes to the log. Each write scrolls and redraws the log, and
        at slow token rates that frame is the UI's whole cost, so a trickle of lines is written at most
        SLOW_WRITE_HZ times a second, a flood (BURST_LINES or more pending) at the full FLUSH_HZ, and a
        partial line waits at most PARTIAL_LINE_DELAY for its newline."""
        with self._lock:
            lines = sum(part.count("\n") for part in self._pending)
            waiting = bool(self._pending)
        due = time.monotonic() - self._last_write
        if (
            lines >= BURST_LINES
            or (lines and due >= 1 / SLOW_WRITE_HZ)
            or (waiting and due >= PARTIAL_LINE_DELAY)
        ):
            self.flush()

    def flush(self) -> None:
        self._last_write = time.monotonic()
        with self._lock:
            pending, self._pending = self._pending, []
            count, self._pending_tokens = self._pending_tokens, 0
        now = time.monotonic()
        if pending:
            text = "".join(pending)
            self._write(text)
            if self._count_tokens:
                self._answer.append(text)
                if self._first_token is None:
                    self._first_token = now - self._started
                self._tokens += count
                self._sample_tokens += count
        if self._streaming and self._count_tokens:
            self._sample(now)

    def _write(self, text: str) -> None:
        """Into the log, wrapped at its width: errors are sentences, never cut at the pane edge."""
        log = self.log_widget
        text = self._filter.feed(text)
        wrapped, self._column = wrap_text(text, self._column, log.scrollable_content_region.width - 1)
        log.write(wrapped)

    def _room_for_spark(self) -> bool:
        return self.size.width >= SPARK_MIN_PANE

    def on_resize(self) -> None:
        spark = self.query_one("#output-spark")
        spark.display = self._count_tokens and self._streaming and self._room_for_spark()

    def _sample(self, now: float) -> None:
        elapsed = now - self._sample_started
        if elapsed < SAMPLE_SECONDS:
            return
        if self._first_token is not None:
            self._rates = [*self._rates, self._sample_tokens / elapsed][-SPARK_POINTS:]
            self.query_one("#output-spark", Sparkline).data = self._rates
        self._sample_tokens = 0
        self._sample_started = now
        streamed = now - self._started - (self._first_token or 0.0)
        rate = self._tokens / streamed if streamed > 0 else None
        self._show_metrics(self._first_token, rate, self._tokens)

    def _show_metrics(self, ttft: float | None, rate: float | None, tokens: int | None) -> None:
        # Short forms: at 120 columns the pane is ~60 wide and the figures must all stay visible.
        parts = []
        if ttft is not None:
            parts.append(f"ttft {ttft:.2f}s")
        if rate is not None:
            parts.append(f"{rate:,.0f} tok/s")
        if tokens is not None:
            parts.append(f"{tokens:,} tok")
        self.query_one("#output-metrics", Static).update(" · ".join(parts))
