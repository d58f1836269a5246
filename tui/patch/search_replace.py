"""Aider-style SEARCH/REPLACE blocks:

    path/to/file.py
    ```python
    <<<<<<< SEARCH
    old lines
    =======
    new lines
    >>>>>>> REPLACE
    ```

Markers of 5 to 9 characters; the path on the line before the fence, as the fence's first line,
in its info string, or on the line before a bare block; a block with none takes the previous
block's path (or, later, the task's one file). An empty SEARCH creates the file, or appends to it
when the prose just before the block says so."""

from __future__ import annotations

import re

from tui.patch.edit_blocks import FoundEdit, added_hunk, replacement_hunk
from tui.patch.fences import hint_paths, info_string_path, paths_in_line
from tui.patch.unified_parse import DEV_NULL, FilePatch

HEAD = re.compile(r"^\s*<{5,9}\s*SEARCH\b.*$")
DIVIDER = re.compile(r"^\s*={5,9}\s*$")
UPDATED = re.compile(r"^\s*>{5,9}\s*(?:REPLACE|UPDATED)\b.*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*(.*)$")
_APPEND_WORDS = re.compile(r"\b(append|appends|appending|at the end|to the end|end of (?:the )?file)\b", re.I)


def has_blocks(lines: list[str]) -> bool:
    return any(HEAD.match(line) for line in lines)


def _lone_path(line: str) -> str | None:
    """A line that is only a path (with decoration: `x.py`, **x.py**, # x.py, x.py:)."""
    found = paths_in_line(line)
    if len(found) != 1:
        return None
    rest = line.replace(found[0], "", 1)
    rest = re.sub(r"[`*#:\s]|^\s*(?:file|path|filename)\b", "", rest, flags=re.I)
    return found[0] if len(rest) <= 2 else None


def _path_before(lines: list[str], head: int, floor: int) -> tuple[str | None, bool]:
    """(path named for the block starting at `head`, whether the line before is a fence)."""
    above = head - 1
    if above >= floor and (fence := _FENCE.match(lines[above])):
        named = info_string_path(fence.group(2))
        if named:
            return named, True
        before = next((i for i in range(above - 1, floor - 1, -1) if lines[i].strip()), None)
        if before is not None and (path := _lone_path(lines[before])):
            return path, True  # a line that is only a path names it, extension or not
        hints = _prose_paths(lines, above, floor, depth=2)
        return (hints[0] if hints else None), True
    if above >= floor and (path := _lone_path(lines[above])):
        # Diff-fenced: the path is the fence's first line; or a bare block under its path.
        return path, False
    return None, False


def parse_blocks(lines: list[str], *, first_line: int = 1) -> list[FoundEdit]:
    """Every SEARCH/REPLACE block of `lines` (LF-split), in order, one FoundEdit per block."""
    found: list[FoundEdit] = []
    index = 0
    floor = 0
    previous_path: str | None = None
    while index < len(lines):
        if not HEAD.match(lines[index]):
            index += 1
            continue
        head = index
        path, after_fence = _path_before(lines, head, floor)
        if path is None and not after_fence and previous_path is not None and _same_fence(lines, floor, head):
            path = previous_path
        if path is None:
            hints = _prose_paths(lines, head, floor, depth=3)
            path = hints[0] if hints else previous_path  # as Aider does: the file before
        search, index = _section(lines, head + 1, (DIVIDER,))
        where = first_line + head
        if index >= len(lines):
            found.append(_broken(path, where, "has no ======= line between SEARCH and REPLACE"))
            found[-1].end = first_line + len(lines) - 1
            break
        replace, end = _section(lines, index + 1, (UPDATED, HEAD))
        closed = end < len(lines) and UPDATED.match(lines[end])
        if not closed:
            # Sloppy: the block ends at its fence without the marker. Outside a fence nothing
            # says where it ends, so it is refused rather than swallow the prose after it.
            ended = _unterminated(lines, index + 1)
            if ended is None:
                found.append(_broken(path, where, "has no >>>>>>> REPLACE line"))
                found[-1].end = first_line + len(lines) - 1
                break
            replace, end = ended
        prose = [lines[i] for i in range(max(floor, head - 4), head)]
        found.append(_block(path, search, replace, where, prose))
        found[-1].end = first_line + (end if closed else end - 1)
        previous_path = path
        floor = end + 1 if closed else end
        index = floor
    return found


def _same_fence(lines: list[str], floor: int, head: int) -> bool:
    """Only blank lines since the previous block: the same fence, so the same file."""
    return all(not lines[i].strip() for i in range(floor, head))


def _section(lines: list[str], start: int, stops: tuple[re.Pattern[str], ...]) -> tuple[list[str], int]:
    end = start
    while end < len(lines) and not any(stop.match(lines[end]) for stop in stops):
        end += 1
    return lines[start:end], end


def _unterminated(lines: list[str], start: int) -> tuple[list[str], int] | None:
    end = start
    while end < len(lines) and not HEAD.match(lines[end]) and not _FENCE.match(lines[end]):
        end += 1
    if end >= len(lines) or not _FENCE.match(lines[end]):
        return None
    return lines[start:end], end


def _prose_paths(lines: list[str], before: int, floor: int, depth: int) -> list[str]:
    """Paths named in the prose above a block: only names with an extension, since prose is
    full of slashed words ("SEARCH/REPLACE", "and/or") that are not files."""
    return [path for path in hint_paths(lines, before, floor, depth) if "." in path.rsplit("/", 1)[-1]]


def _broken(path: str | None, line: int, why: str) -> FoundEdit:
    patch = FilePatch(path, path, [], line=line)
    return FoundEdit(
        "search_replace", patch, line=line, error=f"the SEARCH/REPLACE block at line {line} {why}"
    )


def _block(path: str | None, search: list[str], replace: list[str], line: int, prose: list[str]) -> FoundEdit:
    # No SEARCH line (or one blank line, as models write an empty one) creates or appends; blank
    # lines alone are otherwise lines to find like any others.
    if not search or (len(search) == 1 and not search[0].strip()):
        appends = any(_APPEND_WORDS.search(text) for text in prose)
        patch = FilePatch(
            DEV_NULL if not appends else path, path, [added_hunk(replace, at_end=appends)], line=line
        )
        patch.new_file = not appends
        return FoundEdit("search_replace", patch, line=line, appends=appends)
    patch = FilePatch(path, path, [replacement_hunk(search, replace)], line=line)
    edit = FoundEdit("search_replace", patch, line=line)
    if search == replace:
        edit.error = f"the SEARCH/REPLACE block at line {line} replaces its lines with the same lines"
    return edit
