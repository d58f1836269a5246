"""What every edit format parses into before placement: one file's edit as a FilePatch (the
same structure a unified diff becomes), with the paths named around it and the format it came
from. Whole-file contents are kept as text and diffed against the file later."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tui.patch.line_diff import line_opcodes
from tui.patch.model import HunkLine
from tui.patch.unified_parse import FilePatch, ParsedHunk

EditFormat = Literal["unified_diff", "search_replace", "apply_patch", "whole_file"]
EDIT_FORMATS: tuple[str, ...] = ("unified_diff", "search_replace", "apply_patch", "whole_file")
# Past any file's length: `_place_insertion` clamps it, so the lines go at the end.
AT_END = 1 << 40


@dataclass
class FoundEdit:
    """One file's edit found in an answer, in any format."""

    fmt: EditFormat
    patch: FilePatch
    hints: list[str] = field(default_factory=list)  # paths named around it, nearest first
    line: int = 1  # 1-based line of the answer where it starts
    end: int = 0  # 1-based last line of the answer it takes up
    content: str | None = None  # whole_file: the new text of the file
    error: str | None = None  # a block that cannot be used, in one sentence
    appends: bool = False  # search_replace: an empty SEARCH that appends to an existing file
    at_end: list[ParsedHunk] = field(default_factory=list)  # apply_patch: hunks ending the file
    delete_unseen: bool = False  # apply_patch `*** Delete File`: lines come from the file
    guessed: bool = False  # whole_file found by `auto`: refused when it looks like a fragment


def replacement_hunk(search: list[str], replace: list[str], header: str = "") -> ParsedHunk:
    """A hunk turning `search` into `replace`: lines both share become context, so they may
    drift like a diff's context does, while the lines that change must be found."""
    lines: list[HunkLine] = []
    for tag, i1, i2, j1, j2 in line_opcodes(search, replace):
        if tag == "equal":
            lines.extend(HunkLine("context", text) for text in search[i1:i2])
            continue
        lines.extend(HunkLine("removed", text) for text in search[i1:i2])
        lines.extend(HunkLine("added", text) for text in replace[j1:j2])
    old_count = sum(1 for line in lines if line.kind != "added")
    new_count = sum(1 for line in lines if line.kind != "removed")
    return ParsedHunk(header, None, old_count, None, new_count, lines)


def added_hunk(lines: list[str], *, at_end: bool) -> ParsedHunk:
    """Lines of a new file, or lines to append (`-N,0` style, N past the end)."""
    body = [HunkLine("added", text) for text in lines]
    return ParsedHunk("", AT_END if at_end else 0, 0, 1, len(body), body)
