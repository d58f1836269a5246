"""Changed words inside a changed line, for word-level highlighting (computed per row, on demand)."""

from __future__ import annotations

import difflib
import re

Span = tuple[int, int]  # [start, end) character offsets in the line
_WORD = re.compile(r"\w+|\s+|[^\w\s]")


def changed_spans(old: str, new: str) -> tuple[list[Span], list[Span]]:
    """Character ranges of the words that differ between two paired lines (old side, new side).

    Lines that share almost nothing get no spans: the whole line is the change.
    """
    old_words = _WORD.findall(old)
    new_words = _WORD.findall(new)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    if matcher.ratio() < 0.3:
        return [], []
    old_offsets = _offsets(old_words)
    new_offsets = _offsets(new_words)
    old_spans: list[Span] = []
    new_spans: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            old_spans.append((old_offsets[i1], old_offsets[i2]))
        if j2 > j1:
            new_spans.append((new_offsets[j1], new_offsets[j2]))
    return old_spans, new_spans


def _offsets(words: list[str]) -> list[int]:
    offsets = [0]
    for word in words:
        offsets.append(offsets[-1] + len(word))
    return offsets
