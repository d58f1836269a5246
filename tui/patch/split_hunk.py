"""A hunk that is really several: models sometimes write two hunks with no `@@` line between
them, so the context jumps over the lines in between and the hunk as a whole is found nowhere.
Each change run is then placed on its own with the context around it (as Aider does), and the
parts are joined into one edit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui.patch.model import HunkLine, LineEdit
from tui.patch.text_file import FileText


@dataclass(frozen=True)
class Layout:
    """A hunk's lines as context runs around change runs: contexts[i] precedes changes[i], and
    contexts[-1] follows the last change."""

    contexts: tuple[tuple[HunkLine, ...], ...]
    changes: tuple[tuple[HunkLine, ...], ...]


def layout(lines: Sequence[HunkLine]) -> Layout:
    contexts: list[list[HunkLine]] = [[]]
    changes: list[list[HunkLine]] = []
    for line in lines:
        if line.kind == "context":
            if len(contexts) == len(changes):
                contexts.append([])
            contexts[-1].append(line)
        else:
            if len(contexts) > len(changes):
                changes.append([])
            changes[-1].append(line)
    if len(contexts) == len(changes):
        contexts.append([])
    return Layout(tuple(map(tuple, contexts)), tuple(map(tuple, changes)))


def join_edits(file: FileText, parts: Sequence[LineEdit]) -> LineEdit:
    """One edit doing every part's change, keeping the file lines between the parts."""
    new: list[tuple[str, str | None]] = []
    for index, part in enumerate(parts):
        if index:
            between = range(parts[index - 1].end, part.start)
            new.extend((file.lines[p], file.eols[p]) for p in between)
        new.extend(part.new)
    return LineEdit(
        parts[0].start,
        parts[-1].end,
        tuple(new),
        sum(part.added for part in parts),
        sum(part.removed for part in parts),
        parts[-1].final_newline,
    )
