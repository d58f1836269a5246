"""Line-level fuzzy matching of a hunk's old side against a file.

diff-match-patch's own matcher (bitap over characters) is a poor fit for hunks: it scores a match
by `errors/len + distance/Match_Distance`, so with the default Match_Distance (1000 chars) an exact
copy 500+ characters away from the stated place is rejected, and patterns are capped at
Match_MaxBits (32) characters. So the same two knobs are kept, but over lines: candidate places
are found by line votes, each is aligned line by line and scored by a similarity ratio
(`Match_Threshold` becomes min_score), and distance from the stated line (`Match_Distance`, in
lines) only adds a small cost that breaks near-ties; it never rejects a match on its own.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class FuzzyConfig:
    # Similarity (0..1) a placement needs when the hunk removes lines; the removed lines
    # themselves must match exactly after whitespace normalisation whatever this says.
    min_score: float = 0.7
    # Hunks that only add lines have nothing but context to go by: ask for more.
    min_insert_score: float = 0.8
    # In lines: a candidate this far from the expected line pays 1.0 in cost (dmp's
    # Match_Distance, in lines, and large, so that wrong line numbers cannot outvote the text).
    match_distance: int = 10_000
    # Candidates whose costs differ by less than this are "equally good": the hunk fails.
    tie_margin: float = 0.05
    # A line found more often than this in the file is too common to vote for a place.
    max_anchor_hits: int = 64
    # How many voted places to align and score.
    max_candidates: int = 12


def normalize(line: str) -> str:
    """Whitespace-insensitive key: runs of spaces/tabs collapse, ends are stripped."""
    return " ".join(line.split())


def weight(key: str) -> int:
    # Blank and tiny lines say little about a place; long lines say much.
    return len(key) + 1


@dataclass(frozen=True)
class Alignment:
    start: int  # candidate start that produced it (0-based, may be < 0)
    mapping: tuple[int | None, ...]  # file index for each old-side line, None = unmatched
    first: int  # file region [first, last] covered by matched lines
    last: int
    score: float

    @property
    def estimated_start(self) -> int:
        """Where old line 0 would sit, judged from the first matched line."""
        for offset, position in enumerate(self.mapping):
            if position is not None:
                return position - offset
        return self.first


class KeyIndex:
    """Normalised keys of a file's lines and where each key occurs."""

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.keys = [normalize(line) for line in lines]
        self.where: dict[str, list[int]] = defaultdict(list)
        for position, key in enumerate(self.keys):
            self.where[key].append(position)


def candidate_starts(
    index: KeyIndex, old_keys: list[str], expected: int | None, config: FuzzyConfig
) -> list[int]:
    """Places where the old side could start, by votes of the lines it shares with the file."""
    votes: dict[int, int] = defaultdict(int)
    for offset, key in enumerate(old_keys):
        if not key:
            continue
        positions = index.where.get(key)
        if not positions or len(positions) > config.max_anchor_hits:
            continue
        for position in positions:
            votes[position - offset] += weight(key)
    ranked = sorted(
        votes, key=lambda start: (-votes[start], abs(start - expected) if expected is not None else 0)
    )
    starts = ranked[: config.max_candidates]
    if expected is not None and expected not in starts:
        starts.append(expected)
    return starts


def align_at(index: KeyIndex, old_keys: list[str], start: int) -> Alignment | None:
    """Align the old side to the file around `start`; None when no line matches."""
    size = len(old_keys)
    slack = max(4, size // 2)
    low = max(0, start - slack)
    high = min(len(index.keys), start + size + slack)
    if low >= high:
        return None
    window = index.keys[low:high]
    # SequenceMatcher anchors on the longest common runs and takes the earliest of equal
    # choices; a minimal edit script (Myers) may instead match a blank line far below.
    matcher = difflib.SequenceMatcher(None, old_keys, window, autojunk=False)
    mapping: list[int | None] = [None] * size
    matched = 0.0
    partial = 0.0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for step in range(i2 - i1):
                mapping[i1 + step] = low + j1 + step
                matched += weight(old_keys[i1 + step])
        elif tag == "replace":
            # Changed lines still say something about the place: credit their similarity.
            for old_index, file_index in zip(range(i1, i2), range(j1, j2), strict=False):
                a, b = old_keys[old_index], window[file_index]
                ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() if a and b else 0.0
                partial += ratio * (weight(a) + weight(b)) / 2
    hits = [position for position in mapping if position is not None]
    if not hits:
        return None
    first, last = hits[0], hits[-1]
    old_weight = sum(weight(key) for key in old_keys)
    region_weight = sum(weight(key) for key in index.keys[first : last + 1])
    score = (matched + partial) / ((old_weight + region_weight) / 2)
    return Alignment(start, tuple(mapping), first, last, min(score, 1.0))


def fuzzy_alignments(
    index: KeyIndex, old_keys: list[str], expected: int | None, config: FuzzyConfig
) -> list[Alignment]:
    """Distinct alignments, best (highest score) first."""
    seen: set[tuple[int, int]] = set()
    found: list[Alignment] = []
    for start in candidate_starts(index, old_keys, expected, config):
        alignment = align_at(index, old_keys, start)
        if alignment is None or (alignment.first, alignment.last) in seen:
            continue
        seen.add((alignment.first, alignment.last))
        found.append(alignment)
    found.sort(key=lambda item: -item.score)
    return found


def cost(alignment: Alignment, expected: int | None, config: FuzzyConfig) -> float:
    distance = abs(alignment.estimated_start - expected) if expected is not None else 0
    return (1.0 - alignment.score) + distance / config.match_distance
