"""Model text printed to a terminal loses its escape sequences, however the stream splits them."""

from __future__ import annotations

import io
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.commands.terminal_text import (
    ControlSequenceFilter,
    TerminalSafeStream,
    for_terminal,
    strip_control_sequences,
)

HOSTILE = (
    "before\x1b]52;c;cm0gLXJmIH4=\x07 clipboard"  # OSC 52: write the clipboard (BEL-terminated)
    "\x1b[2J\x1b[H cleared"  # clear the screen, cursor home
    "\x1b]0;pwned title\x1b\\ titled"  # OSC 0 window title, ST-terminated
    "\x1bPq#0;2;0;0;0\x1b\\ sixel"  # DCS
    "\x9b31m c1-csi \x9d8;;http://x\x9c link"  # 8-bit C1 CSI and OSC
    "\x1b[38;5;196m red\x1b[0m \x1bc reset\x1b(B charset"
    " cr\rbs\x08bel\x07del\x7f"
    "\ttab\nnext line\n"
)


def test_escape_sequences_and_controls_are_dropped_and_the_words_kept():
    assert strip_control_sequences(HOSTILE) == (
        "before clipboard cleared titled sixel c1-csi  link red  reset charset crbsbeldel\ttab\nnext line\n"
    )


@given(st.lists(st.integers(min_value=0, max_value=len(HOSTILE)), max_size=12))
def test_any_split_of_the_stream_gives_the_same_text(cuts):
    bounds = [0, *sorted(cuts), len(HOSTILE)]
    filter_ = ControlSequenceFilter()
    pieces = [filter_.feed(HOSTILE[a:b]) for a, b in itertools.pairwise(bounds)]
    assert "".join(pieces) == strip_control_sequences(HOSTILE)


@given(st.text())
def test_nothing_that_reaches_the_terminal_is_an_escape_or_control(text):
    shown = strip_control_sequences(text)
    assert not any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in shown)


def test_an_unterminated_string_hides_only_up_to_the_end_of_its_line():
    assert strip_control_sequences("a\x1b]0;never ends\nvisible\n") == "a\nvisible\n"


def test_plain_code_passes_through_unchanged():
    code = "def f(x: int) -> str:\n\treturn f'{x!r} [1] ~ ] \\\\ é ✓'\n"
    assert strip_control_sequences(code) == code


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("target", "filtered"), [(_Tty(), True), (io.StringIO(), False)])
def test_only_a_terminal_gets_the_filter(target, filtered):
    stream = for_terminal(target)
    stream.write("x\x1b[2Jy")
    stream.flush()
    assert isinstance(stream, TerminalSafeStream) is filtered
    assert target.getvalue() == ("xy" if filtered else "x\x1b[2Jy")
