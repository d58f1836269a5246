"""Text from a model (or a command) made safe to print on the user's terminal.

A model's answer is untrusted: escape sequences in it could clear the screen, retitle the window,
write the clipboard (OSC 52) or hide lines. Headless commands print through
`TerminalSafeStream` when stdout is a terminal; files under outputs/ keep the exact text.
Sequences may be split across streamed chunks, so the filter keeps its state between feeds.
"""

from __future__ import annotations

import io
import re
from typing import TextIO

_ESC = "\x1b"
_BEL = "\x07"
_KEPT_CONTROLS = {"\n", "\t"}
# ESC followed by one of these opens a string (OSC, DCS, SOS, PM, APC) that runs to a terminator.
_STRING_OPENERS = {"]", "P", "X", "^", "_"}
_C1_STRING_OPENERS = {"\x9d", "\x90", "\x98", "\x9e", "\x9f"}
_C1_CSI = "\x9b"
_C1_ST = "\x9c"
# Text without any of these (controls other than newline and tab, DEL and C1) passes unchanged.
_NEEDS_FILTER = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class ControlSequenceFilter:
    """Drops escape sequences and control characters (all but newline and tab) from streamed text."""

    def __init__(self) -> None:
        self._state = "text"  # text | escape | escape_intermediate | csi | string | string_escape

    def feed(self, text: str) -> str:
        if self._state == "text" and not _NEEDS_FILTER.search(text):
            return text  # the common case, without a step per character
        kept: list[str] = []
        for char in text:
            self._step(char, kept)
        return "".join(kept)

    def _step(self, char: str, kept: list[str]) -> None:
        state = self._state
        if state == "escape":
            if char == "[":
                self._state = "csi"
            elif char in _STRING_OPENERS:
                self._state = "string"
            elif char == _ESC:
                pass
            elif " " <= char <= "/":
                self._state = "escape_intermediate"
            else:
                self._state = "text"  # a two-character sequence (ESC c, ESC 7, ...) ends here
            return
        if state == "escape_intermediate":
            if not " " <= char <= "/":
                self._state = "text"
            return
        if state == "csi":
            if "@" <= char <= "~":
                self._state = "text"  # the final byte
            elif not " " <= char <= "?":
                self._state = "text"  # not a CSI after all: show what follows
                self._step(char, kept)
            return
        if state in ("string", "string_escape"):
            if (state == "string_escape" and char == "\\") or char in (_BEL, _C1_ST):
                self._state = "text"
            elif char == "\n":
                # Terminals would swallow the rest of an unterminated string; the answer's next
                # lines are shown instead (the sequence itself never reaches the terminal).
                self._state = "text"
                kept.append(char)
            else:
                self._state = "string_escape" if char == _ESC else "string"
            return
        if char == _ESC:
            self._state = "escape"
        elif char == _C1_CSI:
            self._state = "csi"
        elif char in _C1_STRING_OPENERS:
            self._state = "string"
        elif char in _KEPT_CONTROLS or not _is_control(char):
            kept.append(char)


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def strip_control_sequences(text: str) -> str:
    """`text` without escape sequences or control characters (newline and tab stay)."""
    return ControlSequenceFilter().feed(text)


class TerminalSafeStream(io.TextIOBase):
    """A write-only text stream that filters everything written before it reaches `target`."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self._target = target
        self._filter = ControlSequenceFilter()

    def write(self, text: str) -> int:
        self._target.write(self._filter.feed(text))
        return len(text)

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self._target.flush()


def for_terminal(stream: TextIO) -> TextIO:
    """`stream` filtered when it is a terminal; as it is when it goes to a file or a pipe."""
    return TerminalSafeStream(stream) if stream.isatty() else stream  # type: ignore[return-value]
