"""Whole files written as fenced blocks, each named on the line before its fence or in its info
string (```python path=src/app.py, ```src/app.py): the new content of that file."""

from __future__ import annotations

import re

from tui.patch.edit_blocks import FoundEdit
from tui.patch.fences import Fence, fence_language, find_fences, info_string_path, paths_in_line
from tui.patch.unified_parse import FilePatch, looks_like_diff

_SHELLS = {"sh", "bash", "shell", "zsh", "console", "powershell", "cmd", "fish", "output"}
# Lines that stand for code the model left out: taking such a block as the whole file would
# delete that code.
_ELISION = re.compile(
    r"^\s*(?:#|//|/\*|<!--|--|;)\s*(?:\.\.\.|…)\s*(?:\*/|-->)?\s*$"  # a comment that is only `# ...`
    r"|(?:\.\.\.|…)[\s#(]*(?:rest|existing|remaining|unchanged|same as before|other)\b",
    re.I,
)


def elided_line(content: str) -> int | None:
    """1-based line of the first `# ... rest unchanged` style placeholder, None when there is none."""
    for number, line in enumerate(content.split("\n"), start=1):
        if _ELISION.search(line):
            return number
    return None


def _named(lines: list[str], fence: Fence, floor: int) -> str | None:
    named = info_string_path(fence.lang)
    if named:
        return named
    for index in range(fence.start - 1, max(floor, fence.start - 3) - 1, -1):
        line = lines[index]
        if not line.strip():
            continue
        found = paths_in_line(line)
        return found[0] if len(found) == 1 else None
    return None


def parse_files(lines: list[str], *, guessed: bool = False, unnamed_ok: bool = False) -> list[FoundEdit]:
    """One FoundEdit per fenced file. `unnamed_ok`: a lone unnamed fence is kept (its file is the
    task's one file); `guessed`: found by format detection, checked harder before use."""
    fences = [
        fence
        for fence in find_fences(lines)
        if any(line.strip() for line in fence.body)
        and not looks_like_diff(fence.body, fence_language(fence.lang))
        and fence_language(fence.lang) not in _SHELLS
    ]
    found: list[FoundEdit] = []
    floor = 0
    for fence in fences:
        path = _named(lines, fence, floor)
        floor = fence.end + 1
        if path is None and not (unnamed_ok and len(fences) == 1):
            continue
        content = "\n".join(fence.body)
        edit = FoundEdit(
            "whole_file", FilePatch(path, path, []), line=fence.start + 1, content=content, guessed=guessed
        )
        edit.end = fence.end + 1
        if path is not None:
            edit.hints = [path]
        found.append(edit)
    return found
