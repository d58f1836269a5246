"""The review screen's rows for one file of a change set: the one diff-row model.

Side-by-side rows pair an old line with its new line; the unified rows are derived from them.
Word-level spans are computed only when a row is drawn. Rows are built the first time a file is
shown. Plain Python: the diff view only draws the rows it is given (wrapped by `review_layout`).
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, NamedTuple

from tui.patch.model import FileChange, Hunk
from tui.patch.review_state import display_order
from tui.patch.spans import Span, changed_spans
from tui.plural import counted

__all__ = ["CONTEXT_LINES", "DiffRow", "FileRows", "Span", "build_file_rows", "changed_spans", "unify"]

RowKind = Literal["context", "change", "removed", "added", "hunk", "fold"]
CONTEXT_LINES = 3


class DiffRow(NamedTuple):
    """One logical row. `old`/`new` are the texts shown on each side (None: that side is empty).

    Unified rows show one side only (`side`), but keep the partner line so changed words can be found.
    Immutable; a tuple rather than a frozen dataclass because a big file's rows are all built before
    its first frame, and a frozen dataclass costs six times as much to make.
    """

    kind: RowKind
    hunk: str | None = None
    old_no: int | None = None
    old: str | None = None
    new_no: int | None = None
    new: str | None = None
    side: Literal["both", "old", "new"] = "both"
    label: str = ""  # hunk and fold rows: the text shown across the row

    @property
    def paired(self) -> bool:
        return self.old is not None and self.new is not None and self.kind in ("change", "removed", "added")


@dataclass
class FileRows:
    """The rows of one file in both layouts, plus where each hunk starts."""

    side_by_side: list[DiffRow]
    number_width: int
    _unified: list[DiffRow] | None = field(default=None, repr=False)

    @property
    def unified(self) -> list[DiffRow]:
        """Derived from the side-by-side rows the first time the unified layout is asked for."""
        if self._unified is None:
            self._unified = unify(self.side_by_side)
        return self._unified

    def rows(self, unified: bool) -> list[DiffRow]:
        return self.unified if unified else self.side_by_side

    def hunk_start(self, hunk_id: str, unified: bool) -> int | None:
        for index, row in enumerate(self.rows(unified)):
            if row.kind == "hunk" and row.hunk == hunk_id:
                return index
        return None

    def hunk_span(self, hunk_id: str, unified: bool) -> tuple[int, int] | None:
        """First and last row index of a hunk (header to its last line)."""
        rows = self.rows(unified)
        start = self.hunk_start(hunk_id, unified)
        if start is None:
            return None
        end = start
        while end + 1 < len(rows) and rows[end + 1].hunk == hunk_id:
            end += 1
        return start, end


def build_file_rows(change: FileChange, attempts: Mapping[str, int] | None = None) -> FileRows:
    """Each placed hunk with up to three lines of context either side; the rest folded.

    Context is shared, never repeated: a hunk's trailing context stops where the next hunk's
    region begins, so an old line shows once however close two hunks sit.
    """
    old_lines = change.old.lines if change.old is not None else ()
    rows: list[DiffRow] = []
    shown_until = 0  # old lines before this index have been shown (or folded)
    delta = _new_side_deltas(change)
    ordered = display_order(change)
    starts = sorted(hunk.edit.start for hunk in change.hunks if hunk.edit is not None)
    total = len(change.hunks)
    unit = change.unit  # worked out from the file's format: once, not once a hunk
    # Numbered by place in the file's list: a follow-up's hunks carry ids past the first answer's.
    place_of = {hunk.id: place for place, hunk in enumerate(change.hunks, start=1)}
    for hunk in ordered:
        label = f"{unit} {place_of[hunk.id]}/{total} · {hunk.placement.describe()}"
        if attempts and attempts.get(hunk.id, 1) > 1:  # a hunk asked for again says which version
            label += f" · attempt {attempts[hunk.id]}"
        if hunk.edit is None:
            rows.append(DiffRow("hunk", hunk.id, label=label))
            rows.extend(_written_rows(hunk))
            continue
        edit = hunk.edit
        first = max(shown_until, edit.start - CONTEXT_LINES)
        if first - shown_until == 1:
            first = shown_until  # folding one line costs a row anyway: show it
        if first > shown_until:
            rows.append(DiffRow("fold", None, label=f"⋯ {counted(first - shown_until, 'unchanged line')}"))
        rows.append(DiffRow("hunk", hunk.id, label=label))
        shift = delta[hunk.id]
        for number in range(first, edit.start):
            rows.append(_context(hunk.id, number, number + shift, old_lines[number]))
        rows.extend(_paired_rows(hunk, old_lines, shift))
        # The next hunk's region that begins at or after this one's end (starts are sorted).
        following = bisect_left(starts, max(edit.end, edit.start + 1))
        last = min(len(old_lines), edit.end + CONTEXT_LINES)
        if following < len(starts):
            last = min(last, starts[following])
        after = shift + edit.added - edit.removed
        for number in range(max(edit.end, shown_until), last):
            rows.append(_context(hunk.id, number, number + after, old_lines[number]))
        shown_until = max(shown_until, last, edit.end)
    if shown_until < len(old_lines) and rows:
        rows.append(
            DiffRow("fold", None, label=f"⋯ {counted(len(old_lines) - shown_until, 'unchanged line')}")
        )
    largest = max(len(old_lines), len(old_lines) + change.added - change.removed, 1)
    return FileRows(rows, len(str(largest)))


def with_earlier_version(
    change: FileChange, hunk_id: str, earlier: Hunk, attempt: int
) -> tuple[FileChange, FileRows]:
    """The file with one hunk swapped for its earlier version (`p` in the review), under the
    current hunk's id so the decision keys still act on the hunk under review."""
    shown = replace(earlier, id=hunk_id)
    swapped = replace(change, hunks=[shown if hunk.id == hunk_id else hunk for hunk in change.hunks])
    return swapped, build_file_rows(swapped, {hunk_id: attempt})


def _new_side_deltas(change: FileChange) -> dict[str, int]:
    """How far each placed hunk's new-side numbers sit from its old-side ones (earlier hunks applied)."""
    deltas: dict[str, int] = {}
    running = 0
    placed = sorted((hunk for hunk in change.hunks if hunk.edit is not None), key=lambda h: h.edit.start)  # type: ignore[union-attr]
    for hunk in placed:
        assert hunk.edit is not None
        deltas[hunk.id] = running
        running += hunk.edit.added - hunk.edit.removed
    return deltas


def _context(hunk_id: str, old_index: int, new_index: int, text: str) -> DiffRow:
    return DiffRow("context", hunk_id, old_index + 1, text, new_index + 1, text)


def _paired_rows(hunk: Hunk, old_lines: tuple[str, ...], shift: int) -> list[DiffRow]:
    edit = hunk.edit
    assert edit is not None
    before = list(old_lines[edit.start : edit.end])
    after = [text for text, _ending in edit.new]
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                number = edit.start + i1 + offset
                rows.append(_context(hunk.id, number, edit.start + shift + j1 + offset, before[i1 + offset]))
            continue
        rows.extend(
            _pair_block(
                hunk.id,
                [(edit.start + i + 1, before[i]) for i in range(i1, i2)],
                [(edit.start + shift + j + 1, after[j]) for j in range(j1, j2)],
            )
        )
    return rows


def _pair_block(
    hunk_id: str | None, removed: list[tuple[int | None, str]], added: list[tuple[int | None, str]]
) -> list[DiffRow]:
    rows = []
    for position in range(max(len(removed), len(added))):
        old_no, old = removed[position] if position < len(removed) else (None, None)
        new_no, new = added[position] if position < len(added) else (None, None)
        kind: RowKind = (
            "change" if old is not None and new is not None else "removed" if old is not None else "added"
        )
        rows.append(DiffRow(kind, hunk_id, old_no, old, new_no, new))
    return rows


def _written_rows(hunk: Hunk) -> list[DiffRow]:
    """A hunk that could not be placed: its lines as the model wrote them, without line numbers."""
    rows: list[DiffRow] = []
    removed: list[tuple[int | None, str]] = []
    added: list[tuple[int | None, str]] = []
    for line in [*hunk.lines, None]:
        if line is not None and line.kind == "removed":
            removed.append((None, line.text))
            continue
        if line is not None and line.kind == "added":
            added.append((None, line.text))
            continue
        rows.extend(_pair_block(hunk.id, removed, added))
        removed, added = [], []
        if line is not None:
            rows.append(DiffRow("context", hunk.id, None, line.text, None, line.text))
    return rows


def unify(rows: list[DiffRow]) -> list[DiffRow]:
    """The unified layout: each run of changed rows becomes its old lines, then its new lines."""
    unified: list[DiffRow] = []
    block: list[DiffRow] = []

    def flush() -> None:
        for row in block:
            if row.old is not None:
                unified.append(DiffRow("removed", row.hunk, row.old_no, row.old, None, row.new, "old"))
        for row in block:
            if row.new is not None:
                unified.append(DiffRow("added", row.hunk, None, row.old, row.new_no, row.new, "new"))
        block.clear()

    for row in rows:
        if row.kind in ("change", "removed", "added") and (not block or block[-1].hunk == row.hunk):
            block.append(row)
            continue
        flush()
        if row.kind in ("change", "removed", "added"):
            block.append(row)
        else:
            unified.append(row)
    flush()
    return unified


def result_for(change: FileChange, accepted: Iterable[str]) -> str | None:
    """The file's text with only the accepted hunks applied; None when the file is deleted."""
    result = change.result_for(accepted)
    return None if result is None else result.text
