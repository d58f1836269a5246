"""The pieces hunk placement works with: a hunk's two sides worked out once, a candidate
place, a refusal with its closest region, and checks on an alignment."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tui.patch.closest import Region
from tui.patch.evidence import section_text
from tui.patch.fuzzy import Alignment, normalize, weight
from tui.patch.hunk_edit import indent_for
from tui.patch.model import HunkLine, LineEdit, Placement
from tui.patch.text_file import FileText
from tui.patch.unified_parse import ParsedHunk
from tui.plural import counted


@dataclass(frozen=True)
class Candidate:
    mapping: tuple[int | None, ...]
    start: int  # where old line 0 sits (estimated for fuzzy matches)
    kind: str  # "exact", "tolerant" or "fuzzy"
    score: float
    first: int
    last: int
    matched: tuple[int | None, ...] | None = None  # fuzzy: lines matched exactly (not drifted)

    @property
    def unmatched(self) -> int:
        return sum(1 for position in self.matched or self.mapping if position is None)

    @property
    def region(self) -> str:
        return f"lines {self.first + 1}-{self.last + 1} ({round(self.score * 100)}%)"


@dataclass(frozen=True)
class Sides:
    """What placing one hunk needs, worked out once."""

    lines: tuple[HunkLine, ...]
    old: list[str]
    old_keys: list[str]
    removed: list[bool]
    new_keys: list[str]
    stated: int | None
    expected: int | None
    section: str | None
    final_newline: bool | None
    not_before: int = 0  # a later part of a split hunk goes after the part before it

    @classmethod
    def of(cls, hunk: ParsedHunk, lines: Sequence[HunkLine], drift: int) -> Sides:
        old = [line.text for line in lines if line.kind != "added"]
        stated = hunk.old_start if hunk.old_start else None
        return cls(
            lines=tuple(lines),
            old=old,
            old_keys=[normalize(text) for text in old],
            removed=[line.kind == "removed" for line in lines if line.kind != "added"],
            new_keys=[normalize(line.text) for line in lines if line.kind != "removed"],
            stated=stated,
            expected=stated - 1 + drift if stated is not None else None,
            section=section_text(hunk.header),
            final_newline=False if hunk.new_no_eol else (True if hunk.old_no_eol else None),
        )


Outcome = tuple[Placement, LineEdit | None]


def failed(reason: str, closest: Candidate | Alignment | Region | None = None) -> Outcome:
    if closest is None:
        return Placement("failed", reason=reason), None
    region = (closest.first + 1, closest.last + 1)
    score = None if closest.score is None else round(closest.score, 2)
    note = closest.note if isinstance(closest, Region) else None
    return Placement("failed", reason=reason, closest=region, closest_score=score, closest_note=note), None


def later_part(sides: Sides, after: int) -> Sides:
    """A later part of a split hunk: its line is unknown; it goes after the part before it."""
    return replace(sides, stated=None, expected=None, not_before=after)


def shows_result(sides: Sides, start: int, size: int) -> bool:
    """Whether the new side found at `start` proves the change is done: it adds lines, or the
    context closing up around the removed lines shows they are gone. Removed lines at the edge
    of a hunk have context on one side only: the new side must then sit at that edge of the file
    (the top when the hunk says it starts at line 1, the end)."""
    lines = sides.lines
    if any(line.kind == "added" for line in lines):
        return True
    if lines[0].kind == "removed" and not (start == 0 and sides.stated == 1):
        return False
    return lines[-1].kind != "removed" or start + len(sides.new_keys) == size


def with_drifted(alignment: Alignment, removed: list[bool]) -> tuple[int | None, ...]:
    """The alignment's mapping with drifted context lines standing for their file lines (a
    removed line must match exactly, so it never does)."""
    mapping = list(alignment.mapping)
    for i, position in alignment.drifted:
        if not removed[i]:
            mapping[i] = position
    return tuple(mapping)


def anchored(mapping: Sequence[int | None], lines: Sequence[HunkLine]) -> bool:
    """Added lines between two context lines need those two lines matched and adjacent in the
    file: otherwise an insertion could land in drifted text, or be applied twice."""
    old_kinds: list[str] = []
    runs: list[int] = []  # old-side index just before each run of added lines (-1: none)
    in_run = False
    for line in lines:
        if line.kind == "added":
            if not in_run:
                runs.append(len(old_kinds) - 1)
            in_run = True
        else:
            old_kinds.append(line.kind)
            in_run = False
    for before in runs:
        after = before + 1
        has_before, has_after = before >= 0, after < len(old_kinds)
        if (has_before and old_kinds[before] == "removed") or (has_after and old_kinds[after] == "removed"):
            continue
        left = mapping[before] if has_before else None
        right = mapping[after] if has_after else None
        if (has_before and left is None) or (has_after and right is None):
            return False
        if left is not None and right is not None and right != left + 1:
            return False
    return True


def list_similarity(a: list[str], b: list[str]) -> float:
    return round(difflib.SequenceMatcher(None, a, b, autojunk=False).ratio(), 2)


def raw_similarity(old: list[str], region: list[str | None]) -> float:
    total = sum(weight(line) for line in old)
    same = sum(weight(line) for line, other in zip(old, region, strict=True) if line == other)
    rest = sum(weight(line) * 0.9 for line, other in zip(old, region, strict=True) if line != other)
    return (same + rest) / total if total else 1.0


def describe_tolerance(old: list[str], match: Candidate, file: FileText) -> str:
    if match.kind == "fuzzy":
        unmatched = match.unmatched
        return (
            f"{counted(unmatched, 'context line')} differ{'s' if unmatched == 1 else ''}"
            if unmatched
            else "whitespace"
        )
    indent = indent_for(old, [True] * len(old), match.mapping, file)
    if indent.delta:
        return f"indentation {indent.delta:+d}"
    return "whitespace"
