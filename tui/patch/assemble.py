"""Build a file from its old lines and a set of non-overlapping line edits, keeping the file's
line endings, BOM and final-newline convention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui.errors import PatchbayError
from tui.patch.text_file import FileText

if TYPE_CHECKING:  # model.py calls assemble(): a runtime import back would be a cycle
    from tui.patch.model import LineEdit


def assemble(old: FileText, edits: Sequence[LineEdit]) -> FileText:
    eol = old.eol
    lines: list[str] = []
    eols: list[str] = []
    cursor = 0
    final_newline: bool | None = None
    reaches_end = False
    for edit in sorted(edits, key=lambda item: (item.start, item.end)):
        if edit.start < cursor:
            raise PatchbayError("Two accepted hunks change the same lines; accept only one of them.")
        lines.extend(old.lines[cursor : edit.start])
        eols.extend(old.eols[cursor : edit.start])
        for text, ending in edit.new:
            lines.append(text)
            eols.append(eol if ending is None else ending)
        cursor = edit.end
        if edit.end >= len(old.lines):
            reaches_end = True
            if edit.final_newline is not None:
                final_newline = edit.final_newline
    lines.extend(old.lines[cursor:])
    eols.extend(old.eols[cursor:])
    if not lines:
        return FileText((), (), old.bom)
    # Every line but the last needs an ending (an old last line may now be followed by more).
    for position in range(len(eols) - 1):
        if eols[position] == "":
            eols[position] = eol
    wants_newline = old.ends_with_newline  # True for a new (empty) file
    if reaches_end and final_newline is not None:
        wants_newline = final_newline
    if wants_newline and eols[-1] == "":
        eols[-1] = eol
    elif not wants_newline:
        eols[-1] = ""
    return FileText(tuple(lines), tuple(eols), old.bom)
