"""A small incremental Server-Sent Events parser (the framing of OpenAI-style streaming).

Follows the WHATWG event-stream rules that matter here: lines end in LF, CRLF or CR (TabbyAPI
frames with CRLF); lines starting with ':' are comments (pings); several `data:` lines in one event
are joined with '\\n'; a blank line ends the event. Fields other than `data` are ignored.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

# One event far larger than any answer chunk: a server streaming a line that never ends would
# otherwise grow the buffer until memory runs out.
MAX_EVENT_CHARS = 16 * 1024 * 1024


class EventTooLarge(ValueError):
    """An event (or a line of one) went past MAX_EVENT_CHARS without ending."""


class SSEParser:
    """Feed bytes as they arrive; get back the `data` of each completed event."""

    def __init__(self, max_event_chars: int = MAX_EVENT_CHARS) -> None:
        self._max_event_chars = max_event_chars
        self._data_chars = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        # Text with no line break yet, kept apart so a long line costs linear time, not quadratic.
        self._pending: list[str] = []
        self._pending_chars = 0
        self._data: list[str] = []
        self._has_data = False

    def feed(self, raw: bytes) -> list[str]:
        text = self._decoder.decode(raw)
        if "\n" not in text and "\r" not in text and not self._buffer.endswith("\r"):
            self._pending.append(text)
            self._pending_chars += len(text)
            self._check_size(len(self._buffer))
            return []
        self._take_pending()
        self._buffer += text
        return self._drain(final=False)

    def _take_pending(self) -> None:
        if self._pending:
            self._buffer += "".join(self._pending)
            self._pending = []
            self._pending_chars = 0

    def _check_size(self, unfinished: int) -> None:
        if unfinished + self._pending_chars + self._data_chars > self._max_event_chars:
            raise EventTooLarge(f"ran past {self._max_event_chars:,} characters without ending")

    def finish(self) -> list[str]:
        """End of stream: an event never closed by a blank line is dropped, as the SSE rules say
        (it may be cut short), except a lone `[DONE]`, which some servers send without one."""
        self._take_pending()
        self._buffer += self._decoder.decode(b"", final=True)
        events = self._drain(final=True)
        if self._has_data and self._data == ["[DONE]"]:
            events.append("[DONE]")
        self._data = []
        self._data_chars = 0
        self._has_data = False
        return events

    def _drain(self, final: bool) -> list[str]:
        events: list[str] = []
        buffer = self._buffer
        start = 0
        length = len(buffer)
        while start < length:
            lf = buffer.find("\n", start)
            cr = buffer.find("\r", start)
            if lf < 0 and cr < 0:
                break
            if cr >= 0 and (lf < 0 or cr < lf):
                if cr + 1 == length and not final:
                    break  # a CR at the end may be the first half of a CRLF
                end, next_start = cr, cr + 2 if buffer.startswith("\n", cr + 1) else cr + 1
            else:
                end, next_start = lf, lf + 1
            self._line(buffer[start:end], events)
            start = next_start
        rest = buffer[start:]
        if final and rest:
            self._line(rest, events)
            rest = ""
        self._check_size(len(rest))
        self._buffer = rest
        return events

    def _line(self, line: str, events: list[str]) -> None:
        if not line:
            if self._has_data:
                events.append("\n".join(self._data))
            self._data = []
            self._data_chars = 0
            self._has_data = False
            return
        if line.startswith(":"):
            return
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._data_chars += len(value) + 1
            self._has_data = True


def iter_sse_data(byte_chunks: Iterable[bytes]) -> Iterator[str]:
    """The `data` of each event in a byte stream."""
    parser = SSEParser()
    for raw in byte_chunks:
        yield from parser.feed(raw)
    yield from parser.finish()
