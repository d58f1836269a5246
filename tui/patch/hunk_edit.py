"""The edit a placed hunk makes in the file, with the model's indentation brought in line with
the file's (a consistent shift, tabs vs spaces)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tui.patch.model import HunkLine, LineEdit
from tui.patch.text_file import FileText


@dataclass(frozen=True)
class Indent:
    delta: int  # columns to add to the model's lines
    tabs: bool  # the file indents with tabs here
    tabsize: int

    def apply(self, text: str) -> str:
        body = text.lstrip(" \t")
        if not body:
            return text
        lead = text[: len(text) - len(body)]
        uses_tabs = "\t" in lead
        if self.delta == 0 and uses_tabs == self.tabs:
            return text
        width = max(0, len(lead.expandtabs(self.tabsize)) + self.delta)
        lead = "\t" * (width // self.tabsize) + " " * (width % self.tabsize) if self.tabs else " " * width
        return lead + body


def _leading_width(text: str, tabsize: int) -> int:
    body = text.lstrip(" \t")
    return len(text[: len(text) - len(body)].expandtabs(tabsize))


def indent_for(old: list[str], removed: list[bool], mapping: Sequence[int | None], file: FileText) -> Indent:
    pairs = [
        (old[i], file.lines[position], removed[i])
        for i, position in enumerate(mapping)
        if position is not None and old[i].strip() and file.lines[position].strip()
    ]
    # Removed lines carry an explicit "-" prefix like added lines do, so their drift is the
    # added lines' drift; context lines may just have lost their leading space.
    chosen = [pair for pair in pairs if pair[2]] or pairs
    file_tabs = sum(1 for _, line, _ in chosen if line[:1] == "\t") > len(chosen) / 2
    best = Indent(0, file_tabs, 4)
    best_count = -1
    for tabsize in (4, 8):
        deltas = Counter(_leading_width(f, tabsize) - _leading_width(h, tabsize) for h, f, _ in chosen)
        if not deltas:
            continue
        delta, count = max(deltas.items(), key=lambda item: (item[1], -abs(item[0])))
        if count > best_count:
            best, best_count = Indent(delta if abs(delta) > 1 else 0, file_tabs, tabsize), count
    return best


def build_edit(
    lines: Sequence[HunkLine],
    mapping: Sequence[int | None],
    file: FileText,
    indent: Indent | None,
    final_newline: bool | None,
) -> LineEdit | None:
    """The region edit a placed hunk makes: removed lines go, added lines land after the file
    line matched by the previous old-side line (or before the next one)."""
    removed_at: set[int] = set()
    inserts: list[tuple[int, str]] = []
    waiting: list[str] = []  # added lines before any matched old line
    after: int | None = None  # file index just past the last matched old line
    old_index = 0
    for line in lines:
        if line.kind == "added":
            text = indent.apply(line.text) if indent else line.text
            if after is None:
                waiting.append(text)
            else:
                inserts.append((after, text))
            continue
        position = mapping[old_index]
        old_index += 1
        if position is None:
            continue
        if waiting:
            inserts.extend((position, text) for text in waiting)
            waiting.clear()
        if line.kind == "removed":
            removed_at.add(position)
        after = position + 1
    if waiting:
        return None
    if not removed_at and not inserts:
        return None
    touched = list(removed_at) + [position for position, _ in inserts]
    start = min(touched)
    end = max([position + 1 for position in removed_at] + [position for position, _ in inserts])
    new: list[tuple[str, str | None]] = []
    cursor = 0
    for position in range(start, end + 1):
        while cursor < len(inserts) and inserts[cursor][0] == position:
            new.append((inserts[cursor][1], None))
            cursor += 1
        if position < end and position not in removed_at:
            new.append((file.lines[position], file.eols[position]))
    kept = (end - start) - len(removed_at)
    return LineEdit(start, end, tuple(new), len(new) - kept, len(removed_at), final_newline)


def overlaps(edit: LineEdit, taken: list[tuple[LineEdit, int]]) -> int | None:
    for other, hunk_number in taken:
        if edit.start < other.end and other.start < edit.end:
            return hunk_number
        # An insertion strictly inside a replaced region (or the reverse) also collides.
        if edit.start == edit.end and other.start < edit.start < other.end:
            return hunk_number
        if other.start == other.end and edit.start < other.start < edit.end:
            return hunk_number
    return None
