"""Changed spans inside a changed line, for word-level highlighting (computed per row, on demand)."""

from __future__ import annotations

from diff_match_patch import diff_match_patch

Span = tuple[int, int]  # [start, end) character offsets in the line

_ENGINE = diff_match_patch()
_ENGINE.Diff_Timeout = 0.1  # one line; a slow pathological line degrades to "all changed"


def changed_spans(left: str, right: str) -> tuple[list[Span], list[Span]]:
    """Spans of `left` that were removed and spans of `right` that were added."""
    diffs = _ENGINE.diff_main(left, right, False)
    _ENGINE.diff_cleanupSemantic(diffs)
    removed: list[Span] = []
    added: list[Span] = []
    left_at = right_at = 0
    for op, text in diffs:
        size = len(text)
        if op == 0:
            left_at += size
            right_at += size
        elif op == -1:
            removed.append((left_at, left_at + size))
            left_at += size
        else:
            added.append((right_at, right_at + size))
            right_at += size
    return removed, added
