"""Rows for the review screen: side by side (aligned old/new lines) or unified, built in one pass
over the placed hunks. Word-level spans are computed only when a row asks (visible rows)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from tui.patch.line_diff import line_opcodes
from tui.patch.model import FileChange, Hunk
from tui.patch.spans import Span, changed_spans

RowKind = Literal["context", "added", "removed", "changed", "hunk-header", "elided"]
CONTEXT = 3


@dataclass(slots=True)
class Row:
    """One screen line. Line numbers are 1-based; None on the side that has no line."""

    kind: RowKind
    left_no: int | None = None
    left: str | None = None
    right_no: int | None = None
    right: str | None = None
    hunk_id: str | None = None
    _spans: tuple[list[Span], list[Span]] | None = field(default=None, repr=False, compare=False)

    def spans(self) -> tuple[list[Span], list[Span]]:
        """(removed spans of left, added spans of right); empty unless the row is `changed`."""
        if self._spans is None:
            if self.kind == "changed" and self.left is not None and self.right is not None:
                self._spans = changed_spans(self.left, self.right)
            else:
                self._spans = ([], [])
        return self._spans


def _header_text(hunk: Hunk) -> str:
    return f"{hunk.header or '@@'}  [{hunk.placement.describe()}]"


def _rows(change: FileChange, unified: bool) -> list[Row]:
    old_lines = change.old.lines if change.old is not None else ()
    placed = sorted(
        (hunk for hunk in change.hunks if hunk.edit is not None), key=lambda h: (h.edit.start, h.edit.end)
    )  # type: ignore[union-attr]
    rows: list[Row] = []
    shown = 0  # old lines [0, shown) are already on screen or elided
    shift = 0  # new line number minus old line number, after the hunks so far
    for position, hunk in enumerate(placed):
        edit = hunk.edit
        assert edit is not None
        lead = max(shown, edit.start - CONTEXT)
        if lead > shown:
            rows.append(
                Row("elided", left=f"{lead - shown} unchanged lines", right=f"{lead - shown} unchanged lines")
            )
        rows.append(Row("hunk-header", left=_header_text(hunk), hunk_id=hunk.id))
        for index in range(lead, edit.start):
            rows.append(
                Row("context", index + 1, old_lines[index], index + 1 + shift, old_lines[index], hunk.id)
            )
        new_texts = [text for text, _ in edit.new]
        old_region = old_lines[edit.start : edit.end]
        right_base = edit.start + shift
        for tag, i1, i2, j1, j2 in line_opcodes(old_region, new_texts):
            if tag == "equal":
                rows.extend(
                    Row(
                        "context",
                        edit.start + i + 1,
                        old_region[i],
                        right_base + j + 1,
                        new_texts[j],
                        hunk.id,
                    )
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            pairs = 0 if unified else min(i2 - i1, j2 - j1)
            for k in range(pairs):
                i, j = i1 + k, j1 + k
                rows.append(
                    Row(
                        "changed",
                        edit.start + i + 1,
                        old_region[i],
                        right_base + j + 1,
                        new_texts[j],
                        hunk.id,
                    )
                )
            rows.extend(
                Row("removed", edit.start + i + 1, old_region[i], hunk_id=hunk.id)
                for i in range(i1 + pairs, i2)
            )
            rows.extend(
                Row("added", right_no=right_base + j + 1, right=new_texts[j], hunk_id=hunk.id)
                for j in range(j1 + pairs, j2)
            )
        shift += len(new_texts) - (edit.end - edit.start)
        following = placed[position + 1].edit.start if position + 1 < len(placed) else len(old_lines)  # type: ignore[union-attr]
        trail = min(edit.end + CONTEXT, following)
        for index in range(edit.end, trail):
            rows.append(
                Row("context", index + 1, old_lines[index], index + 1 + shift, old_lines[index], hunk.id)
            )
        shown = max(trail, edit.end)
    if placed and shown < len(old_lines):
        rest = len(old_lines) - shown
        rows.append(Row("elided", left=f"{rest} unchanged lines", right=f"{rest} unchanged lines"))
    for hunk in change.hunks:
        if hunk.edit is not None:
            continue
        rows.append(Row("hunk-header", left=_header_text(hunk), hunk_id=hunk.id))
        for line in hunk.lines:
            if line.kind == "added":
                rows.append(Row("added", right=line.text, hunk_id=hunk.id))
            elif line.kind == "removed":
                rows.append(Row("removed", left=line.text, hunk_id=hunk.id))
            else:
                rows.append(Row("context", left=line.text, right=line.text, hunk_id=hunk.id))
    return rows


def build_rows(change: FileChange) -> list[Row]:
    """Side-by-side rows: a changed line pairs its old and new text on one row."""
    return _rows(change, unified=False)


def build_unified_rows(change: FileChange) -> list[Row]:
    """Unified rows (the `s` toggle): removed lines, then added lines, never paired."""
    return _rows(change, unified=True)


def result_for(change: FileChange, accepted: Iterable[str]) -> str | None:
    """The file's text with only the accepted hunks applied; None when the file is deleted."""
    result = change.result_for(accepted)
    return None if result is None else result.text
