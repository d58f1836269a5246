"""The closest region a refused hunk is named with: the window of the file most like the hunk's
lines or, when nothing in the file resembles them, the lines around the line its header states
(said as such, so nobody takes them for a near match)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from tui.patch.fuzzy import normalize
from tui.plural import counted

# Below this similarity no window counts as resembling the lines: naming it would mislead.
MIN_SIMILARITY = 0.3
# A stated line's neighbourhood: this many lines either side of it.
AROUND = 2


@dataclass(frozen=True)
class Region:
    first: int  # 0-based, inclusive
    last: int
    score: float | None  # similarity to the hunk's lines; None: chosen by its stated line only
    note: str | None = None  # how the region was chosen when it is not by similarity


def closest_region(
    lines: Sequence[str], wanted: Sequence[str], near: int | None = None
) -> tuple[int, int, float] | None:
    """(first, last, similarity): the window of the file most like `wanted` (0-based lines).
    Of windows alike (repeated code), the one nearest 0-based line `near`, else the first."""
    size = len(wanted)
    if not size or not lines:
        return None
    target = "\n".join(normalize(line) for line in wanted)
    keys = [normalize(line) for line in lines]
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(target)
    best: tuple[int, int, float] | None = None
    for start in range(max(len(keys) - size + 1, 1)):
        matcher.set_seq1("\n".join(keys[start : start + size]))
        if best is not None:
            closer = near is not None and abs(start - near) < abs(best[0] - near)
            if not _may_beat(matcher.real_quick_ratio(), best[2], closer):
                continue
            if not _may_beat(matcher.quick_ratio(), best[2], closer):
                continue
            if not _may_beat(matcher.ratio(), best[2], closer):
                continue
        best = (start, min(start + size, len(keys)) - 1, matcher.ratio())
    return best if best is not None and best[2] >= MIN_SIMILARITY else None


def _may_beat(score: float, best: float, closer: bool) -> bool:
    return score > best or (closer and score == best)


def around_line(stated: int, size: int, why: str = "") -> Region | None:
    """The lines around 1-based line `stated` of a file of `size` lines (None: the file is empty)."""
    if size <= 0:
        return None
    line = min(max(stated, 1), size)
    first, last = max(line - 1 - AROUND, 0), min(line - 1 + AROUND, size - 1)
    if stated > size:
        where = f"the file's last lines: its stated line {stated} is past the end ({counted(size, 'line')})"
    else:
        where = f"around its stated line {stated}"
    return Region(first, last, None, f"{where}{why}")


def nearest(lines: Sequence[str], wanted: Sequence[str], stated: int | None) -> tuple[Region | None, str]:
    """The region to name for a hunk that fits nowhere, and what to add to the refusal's reason
    when there is none: the best match by similarity, else the stated line's neighbourhood."""
    found = closest_region(lines, wanted, None if stated is None else stated - 1)
    if found is not None:
        return Region(found[0], found[1], found[2]), ""
    if not lines:
        return None, "; the file is empty"
    resembles = "; nothing in the file resembles the hunk" if wanted else ""
    if stated is None:
        return None, f"{resembles}; it states no line number to look around"
    return around_line(stated, len(lines), resembles), ""
