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

from collections import defaultdict
from dataclasses import dataclass

from tui.patch.align import Alignment, align_at, weight

__all__ = ["Alignment", "FuzzyConfig", "KeyIndex", "cost", "fuzzy_alignments", "normalize", "weight"]


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
    # An insertion below min_insert_score (but above min_score) is still placed when every
    # other place scores at least this much lower.
    unique_margin: float = 0.2
    # A line found more often than this in the file is too common to vote for a place.
    max_anchor_hits: int = 64
    # How many voted places to align and score.
    max_candidates: int = 12


def normalize(line: str) -> str:
    """Whitespace-insensitive key: runs of spaces/tabs collapse, ends are stripped."""
    return " ".join(line.split())


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


def fuzzy_alignments(
    index: KeyIndex,
    old_keys: list[str],
    expected: int | None,
    config: FuzzyConfig,
    exact_only: list[bool] | None = None,
) -> list[Alignment]:
    """Distinct alignments, best (highest score) first. `exact_only` marks old lines that may
    only match exactly (removed lines)."""
    seen: set[tuple[int, int]] = set()
    found: list[Alignment] = []
    memo: dict[tuple[str, str], float] = {}
    for start in candidate_starts(index, old_keys, expected, config):
        alignment = align_at(index.keys, old_keys, start, exact_only, memo)
        if alignment is None or (alignment.first, alignment.last) in seen:
            continue
        seen.add((alignment.first, alignment.last))
        found.append(alignment)
    found.sort(key=lambda item: -item.score)
    return found


def cost(alignment: Alignment, expected: int | None, config: FuzzyConfig) -> float:
    distance = abs(alignment.estimated_start - expected) if expected is not None else 0
    return (1.0 - alignment.score) + distance / config.match_distance
