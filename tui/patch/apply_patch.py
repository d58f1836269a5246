"""The `*** Begin Patch` envelope of OpenAI's apply_patch tool:

    *** Begin Patch
    *** Update File: src/app.py
    *** Move to: src/main.py          (optional: a rename)
    @@ def handler(request):          (anchor lines, no numbers; stacked ones narrow down)
     context
    -old
    +new
    *** End of File                   (optional: the hunk ends at the end of the file)
    *** Add File: docs/notes.md
    +every line starts with +
    *** Delete File: old.py
    *** End Patch

Sloppy variants are read like sloppy diffs: a missing End Patch, markers with trailing spaces or
odd case, context lines without their leading space."""

from __future__ import annotations

import re

from tui.patch.edit_blocks import FoundEdit, added_hunk
from tui.patch.model import HunkLine
from tui.patch.unified_parse import DEV_NULL, FilePatch, ParsedHunk

BEGIN = re.compile(r"^\s*\*{3}\s*begin\s+patch\s*\**\s*$", re.I)
END = re.compile(r"^\s*\*{3}\s*end\s+patch\s*\**\s*$", re.I)
_ACTION = re.compile(r"^\s*\*{3}\s*(update|add|delete)\s+file\s*:\s*(?P<path>.+?)\s*$", re.I)
_MOVE = re.compile(r"^\s*\*{3}\s*move\s+to\s*:\s*(?P<path>.+?)\s*$", re.I)
_EOF = re.compile(r"^\s*\*{3}\s*end\s+of\s+file\s*\**\s*$", re.I)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def has_envelope(lines: list[str]) -> bool:
    return any(BEGIN.match(line) for line in lines) or any(_ACTION.match(line) for line in lines)


def _clean(path: str) -> str:
    text = path.strip().strip("`'\"")
    while text.startswith("./"):
        text = text[2:]
    return text


def envelope_spans(lines: list[str]) -> list[tuple[int, int]]:
    """[start, end) line ranges of every envelope: Begin … End Patch, or to the closing fence or
    the end of the answer when End Patch is missing. A file action without Begin Patch starts one."""
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(lines):
        if not (BEGIN.match(lines[index]) or _ACTION.match(lines[index])):
            index += 1
            continue
        start = index
        index += 1
        while index < len(lines) and not END.match(lines[index]) and not BEGIN.match(lines[index]):
            if _FENCE.match(lines[index]):
                break
            index += 1
        closed = index < len(lines) and END.match(lines[index])
        spans.append((start, index + 1 if closed else index))
        if closed:
            index += 1
    return spans


def parse_envelope(lines: list[str], *, first_line: int = 1) -> list[FoundEdit]:
    """The file edits of one envelope (`lines` may include its Begin and End lines)."""
    found: list[FoundEdit] = []
    current: FoundEdit | None = None
    hunk: ParsedHunk | None = None
    anchors: list[str] = []
    blanks = 0  # empty lines inside a hunk: context only if more hunk lines follow
    for offset, raw in enumerate(lines):
        line = raw.rstrip("\r")
        where = first_line + offset
        if hunk is not None and line == "":
            blanks += 1
            continue
        if blanks and hunk is not None and not line.startswith(("***", "@@")):
            hunk.lines.extend(HunkLine("context", "") for _ in range(blanks))
        blanks = 0
        if BEGIN.match(line) or END.match(line):
            continue
        if action := _ACTION.match(line):
            current, hunk, anchors = (
                _start(action.group(1).lower(), _clean(action.group("path")), where),
                None,
                [],
            )
            found.append(current)
            continue
        if current is None:
            continue
        if move := _MOVE.match(line):
            current.patch.rename_from = current.patch.old_path
            current.patch.rename_to = _clean(move.group("path"))
            current.patch.new_path = current.patch.rename_to
            continue
        if current.patch.deleted_file:
            continue  # a Delete File has no body; stray lines are ignored
        if current.patch.new_file:
            current.patch.hunks[0].lines.append(HunkLine("added", line[1:] if line.startswith("+") else line))
            continue
        if _EOF.match(line):
            if hunk is not None:
                current.at_end.append(hunk)
            hunk = None
            continue
        if line.startswith("@@"):
            anchor = line.lstrip("@").strip()
            if hunk is not None and hunk.lines:
                hunk, anchors = None, []
            if anchor:
                anchors.append(anchor)
            continue
        if hunk is None:
            if not line.strip() and not anchors:
                continue  # blank lines between sections
            hunk = _new_hunk(anchors)
            current.patch.hunks.append(hunk)
        hunk.lines.append(_body_line(line))
    for edit in found:
        _finish(edit)
    return found


def _start(action: str, path: str, line: int) -> FoundEdit:
    if action == "add":
        patch = FilePatch(DEV_NULL, path, [added_hunk([], at_end=False)], line=line, new_file=True)
        return FoundEdit("apply_patch", patch, line=line)
    if action == "delete":
        patch = FilePatch(path, DEV_NULL, [], line=line, deleted_file=True)
        return FoundEdit("apply_patch", patch, line=line, delete_unseen=True)
    return FoundEdit("apply_patch", FilePatch(path, path, [], line=line), line=line)


def _new_hunk(anchors: list[str]) -> ParsedHunk:
    # The innermost anchor goes where a diff puts its section text, so placement weighs it.
    header = f"@@ @@ {anchors[-1]}" if anchors else "@@"
    return ParsedHunk(header, None, None, None, None, [])


def _body_line(line: str) -> HunkLine:
    if line.startswith("+"):
        return HunkLine("added", line[1:])
    if line.startswith("-"):
        return HunkLine("removed", line[1:])
    if line.startswith(" "):
        return HunkLine("context", line[1:])
    return HunkLine("context", line)  # a context line that lost its leading space


def _finish(edit: FoundEdit) -> None:
    patch = edit.patch
    for hunk in patch.hunks:
        hunk.old_len = sum(1 for line in hunk.lines if line.kind != "added")
        hunk.new_len = sum(1 for line in hunk.lines if line.kind != "removed")
    if patch.new_file:
        return
    patch.hunks = [hunk for hunk in patch.hunks if hunk.has_changes()]
    if not patch.hunks and not patch.deleted_file and not patch.renames:
        edit.error = f"the `*** Update File: {patch.old_path}` at line {edit.line} changes no lines"
