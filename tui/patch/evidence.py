"""What a hunk says about its own place besides its lines: the section text after its `@@`
header (`@@ -14,4 +14,4 @@ def test_mul`), distinctive context lines that sit elsewhere in the
file, and whether its new side is already there."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tui.patch.fuzzy import KeyIndex

_SECTION = re.compile(r"^@@.*?@@(.*)$")
# Lines that open a scope, at any indentation (git's default funcname rule only knows
# unindented ones; a model copies whichever it saw).
_SCOPE = re.compile(
    r"^(?:(?:async\s+def|def|class|function|fn|func|impl|struct|enum|interface|trait|module|sub)\b"
    r"|(?:public|private|protected|static|export)\b.*\()"
)
# A context line is distinctive enough to point at a place when it is at least this long
# (normalised) and occurs at most this often in the file.
DISTINCT_LENGTH = 6
DISTINCT_HITS = 2
# Occurrences this close to a placed region count as inside it (lines moved a little).
NEARBY = 2


def section_text(header: str) -> str | None:
    """The text after the second `@@` of a hunk header, normalised; None when there is none."""
    match = _SECTION.match(header)
    if not match:
        return None
    text = " ".join(match.group(1).split()).rstrip(":{ ")
    return text or None


def _is_heading(line: str) -> bool:
    if not line.strip():
        return False
    if line[0].isalpha() or line[0] in "_$":
        return True
    return bool(_SCOPE.match(line.lstrip()))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


class Sections:
    """Which places a hunk's section text can describe."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines

    def names(self, first: int, last: int) -> list[str]:
        """Headings of the scopes around lines [first, last]: those inside it, the nearest one
        before it, and the ones enclosing that (each less indented than the previous)."""
        found = [self.lines[p] for p in range(max(first, 0), last + 1) if _is_heading(self.lines[p])]
        limit: int | None = None
        for position in range(min(first, len(self.lines)) - 1, -1, -1):
            line = self.lines[position]
            if not _is_heading(line):
                continue
            indent = _indent(line)
            if limit is None or indent < limit:
                found.append(line)
                limit = indent
                if indent == 0:
                    break
        return found

    def matches(self, section: str, first: int, last: int) -> bool:
        pattern = re.compile(r"(?<![\w$])" + re.escape(section) + r"(?![\w$])")
        return any(pattern.search(" ".join(name.split())) for name in self.names(first, last))


def distinctive(index: KeyIndex, key: str) -> bool:
    return (
        len(key) >= DISTINCT_LENGTH
        and any(char.isalnum() for char in key)
        and 0 < len(index.where.get(key, ())) <= DISTINCT_HITS
    )


@dataclass(frozen=True)
class Conflict:
    text: str  # the context line, as the hunk wrote it
    elsewhere: int  # 0-based file line where it does sit


def context_elsewhere(
    index: KeyIndex,
    old_keys: Sequence[str],
    old_texts: Sequence[str],
    removed: Sequence[bool],
    mapping: Sequence[int | None],
    first: int,
    last: int,
) -> Conflict | None:
    """A distinctive context line the placement left unmatched although the file has it where
    the placement cannot have it (outside the gap between the matched lines around it, give or
    take NEARBY lines at the ends): the hunk's context points at one place, its lines at another."""
    for i, position in enumerate(mapping):
        if position is not None or removed[i] or not distinctive(index, old_keys[i]):
            continue
        before = [p for p in mapping[:i] if p is not None]
        after = [p for p in mapping[i + 1 :] if p is not None]
        low = before[-1] + 1 if before else first - NEARBY
        high = after[0] - 1 if after else last + NEARBY
        for where in index.where.get(old_keys[i], ()):
            if not low <= where <= high:
                return Conflict(old_texts[i].strip(), where)
    return None


def occurrences(index: KeyIndex, keys: Sequence[str], limit: int) -> list[int]:
    """Where the whole run of (normalised) lines `keys` occurs in the file."""
    if not keys:
        return []
    where = index.where
    rarest = min(range(len(keys)), key=lambda i: len(where.get(keys[i], ())))
    found = []
    for position in where.get(keys[rarest], ()):
        start = position - rarest
        if start >= 0 and index.keys[start : start + len(keys)] == list(keys):
            found.append(start)
            if len(found) >= limit:
                break
    return found
