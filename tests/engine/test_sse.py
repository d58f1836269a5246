"""The SSE parser: line endings, comments, multi-line data, split input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.engine.sse import EventTooLarge, SSEParser, iter_sse_data


def test_lf_crlf_and_cr_line_endings():
    raw = b"data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: [DONE]\n\n"
    assert list(iter_sse_data([raw])) == ["a", "b", "c", "[DONE]"]


def test_comments_other_fields_and_multiline_data():
    raw = b': ping\n\nevent: message\nid: 4\ndata: {"x":\ndata:  1}\nretry: 10\n\n'
    assert list(iter_sse_data([raw])) == ['{"x":\n 1}']


def test_an_unfinished_event_at_the_end_is_dropped_except_done():
    assert list(iter_sse_data([b'data: {"cut'])) == []
    assert list(iter_sse_data([b"data: [DONE]\n"])) == ["[DONE]"]


def test_utf8_split_across_reads():
    raw = "data: héllo ✓\r\n\r\n".encode()
    parser = SSEParser()
    events = []
    for index in range(len(raw)):
        events += parser.feed(raw[index : index + 1])
    assert events == ["héllo ✓"]


@given(
    st.lists(st.text(alphabet="ab{}: é", max_size=8), max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.data(),
)
def test_any_split_of_the_bytes_gives_the_same_events(payloads, newline, data):
    raw = "".join(f"data: {p}{newline}{newline}" for p in payloads).encode()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=5)))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    assert list(iter_sse_data(pieces)) == payloads


def test_a_line_that_never_ends_is_refused_before_it_fills_memory():
    parser = SSEParser(max_event_chars=1000)
    parser.feed(b"data: " + b"x" * 900)
    with pytest.raises(EventTooLarge, match="ran past 1,000 characters without ending"):
        parser.feed(b"x" * 200)


def test_an_event_of_many_data_lines_counts_as_a_whole():
    parser = SSEParser(max_event_chars=1000)
    with pytest.raises(EventTooLarge):
        parser.feed(b"data: 0123456789\n" * 100)
    fresh = SSEParser(max_event_chars=1000)
    assert fresh.feed(b"data: 0123456789\n\n" * 100) == ["0123456789"] * 100  # each event is small
