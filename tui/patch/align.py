"""Aligning a hunk's old side with the file around one candidate place.

Each candidate is aligned on its own: a dynamic programme over the lines near the candidate
finds the monotone matching of equal lines that keeps the most line weight while paying for
file lines the hunk skips, and breaks ties toward the candidate's own diagonal. (A longest-run
matcher such as difflib's anchors on the earliest equal run in the window, so when the window
also holds a neighbouring copy of the same block, the candidate itself is never scored.)
Unmatched lines between and around the matched ones then earn credit for their similarity.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

# A file line the hunk skips inside its region costs this share of its weight: the score's
# denominator averages the hunk's weight and the region's, so a skipped line costs half.
SKIP_COST = 0.5
# Ties between equally good matchings go to the one nearest the candidate's diagonal.
DIAGONAL_COST = 1e-6
# How far (in lines) the file may drift from the hunk inside one candidate window.
MAX_SLACK = 40
# An unmatched hunk line counts as a drifted version of a file line only when at least this
# similar; below it, it is simply unmatched (and lines beyond the matched ones stay outside).
EDGE_SIMILARITY = 0.6
# Unmatched lines between two matched ones are paired by best similarity when there are this
# few of them on each side; longer gaps are paired in order.
PAIRING_LIMIT = 12


def weight(key: str) -> int:
    # Blank and tiny lines say little about a place; long lines say much.
    return len(key) + 1


def similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


@dataclass(frozen=True)
class Alignment:
    start: int  # candidate start that produced it (0-based, may be < 0)
    mapping: tuple[int | None, ...]  # file index for each old-side line, None = unmatched
    first: int  # file region [first, last] covered by matched and similar lines
    last: int
    score: float
    # Unmatched old-side lines similar enough to a file line to stand for it (a drifted
    # line): (old index, file index), in order.
    drifted: tuple[tuple[int, int], ...] = ()

    @property
    def estimated_start(self) -> int:
        """Where old line 0 would sit, judged from the first matched line."""
        for offset, position in enumerate(self.mapping):
            if position is not None:
                return position - offset
        return self.first

    @property
    def unmatched(self) -> int:
        return sum(1 for position in self.mapping if position is None)


def align_at(keys: Sequence[str], old_keys: Sequence[str], start: int) -> Alignment | None:
    """Align the old side to the file lines around `start`; None when no line matches."""
    size = len(old_keys)
    slack = min(max(4, size // 2), MAX_SLACK)
    low = max(0, start - slack)
    high = min(len(keys), start + size + slack)
    if low >= high or size == 0:
        return None
    mapping = _match_lines(keys, old_keys, start, low, high)
    if all(position is None for position in mapping):
        return None
    return _score(keys, old_keys, start, mapping, low, high)


def _match_lines(
    keys: Sequence[str], old_keys: Sequence[str], start: int, low: int, high: int
) -> list[int | None]:
    """The best monotone matching of equal lines in keys[low:high] (see the module docstring).

    best[p]: the best score of old[:i+1] against the window with its last match at or before p,
    the file lines after that match up to p already paid for.
    """
    width = high - low
    window = keys[low:high]
    skip = [SKIP_COST * weight(key) for key in window]
    minus = float("-inf")
    previous = [minus] * width
    # Per old line, how best[p] was reached (0: a match at p, 1: file line p skipped, 2: old
    # line unmatched) and, for matches, whether the match began the alignment.
    choices: list[tuple[bytearray, bytearray]] = []
    best_score, best_at = minus, (0, 0)
    for i, key in enumerate(old_keys):
        gain = weight(key)
        diagonal = start + i - low
        current = [minus] * width
        how = bytearray(width)
        fresh = bytearray(width)
        for p in range(width):
            value, reached = minus, 0
            if window[p] == key:
                before = previous[p - 1] if p else minus
                value = gain - DIAGONAL_COST * abs(p - diagonal)
                if before > 0:
                    value += before
                else:
                    fresh[p] = 1
                if value > best_score:
                    best_score, best_at = value, (i, p)
            if p and current[p - 1] - skip[p] > value:
                value, reached = current[p - 1] - skip[p], 1
            if previous[p] > value:
                value, reached = previous[p], 2
            current[p] = value
            how[p] = reached
        choices.append((how, fresh))
        previous = current
    mapping: list[int | None] = [None] * len(old_keys)
    if best_score == minus:
        return mapping
    i, p = best_at
    while True:
        mapping[i] = low + p
        if choices[i][1][p]:
            return mapping
        i, p = i - 1, p - 1
        while choices[i][0][p] != 0:
            if choices[i][0][p] == 1:
                p -= 1
            else:
                i -= 1


def _score(
    keys: Sequence[str],
    old_keys: Sequence[str],
    start: int,
    mapping: list[int | None],
    low: int,
    high: int,
) -> Alignment:
    matched = sum(weight(old_keys[i]) for i, position in enumerate(mapping) if position is not None)
    hits = [(i, position) for i, position in enumerate(mapping) if position is not None]
    similar: list[tuple[int, int, float]] = []
    # Between matched lines: the unmatched lines on both sides, paired by similarity.
    for (i1, p1), (i2, p2) in pairwise(hits):
        if i2 - i1 > 1 and p2 - p1 > 1:
            similar.extend(_pair(keys, old_keys, range(i1 + 1, i2), range(p1 + 1, p2)))
    # Before the first and after the last: walk outward while lines stay similar.
    first_i, first_p = hits[0]
    last_i, last_p = hits[-1]
    first, last = first_p, last_p
    i, p = first_i - 1, first_p - 1
    while i >= 0 and p >= low:
        ratio = similarity(old_keys[i], keys[p])
        if ratio < EDGE_SIMILARITY:
            break
        similar.append((i, p, ratio))
        first = p
        i, p = i - 1, p - 1
    i, p = last_i + 1, last_p + 1
    while i < len(old_keys) and p < high:
        ratio = similarity(old_keys[i], keys[p])
        if ratio < EDGE_SIMILARITY:
            break
        similar.append((i, p, ratio))
        last = p
        i, p = i + 1, p + 1
    partial = sum(ratio**2 * (weight(old_keys[i]) + weight(keys[p])) / 2 for i, p, ratio in similar)
    old_weight = sum(weight(key) for key in old_keys)
    region_weight = sum(weight(key) for key in keys[first : last + 1])
    score = (matched + partial) / ((old_weight + region_weight) / 2)
    pairs = tuple(sorted((i, p) for i, p, ratio in similar if ratio >= EDGE_SIMILARITY))
    return Alignment(start, tuple(mapping), first, last, min(score, 1.0), pairs)


def _pair(
    keys: Sequence[str], old_keys: Sequence[str], olds: range, files: range
) -> list[tuple[int, int, float]]:
    """Pair unmatched old lines with unmatched file lines in order, most similar first."""
    if len(olds) > PAIRING_LIMIT or len(files) > PAIRING_LIMIT:
        return [(i, p, similarity(old_keys[i], keys[p])) for i, p in zip(olds, files, strict=False)]
    ratios = [[similarity(old_keys[i], keys[p]) for p in files] for i in olds]
    rows, cols = len(olds), len(files)
    table = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for a in range(rows - 1, -1, -1):
        for b in range(cols - 1, -1, -1):
            table[a][b] = max(table[a + 1][b], table[a][b + 1], ratios[a][b] + table[a + 1][b + 1])
    pairs = []
    a = b = 0
    while a < rows and b < cols:
        if table[a][b] == ratios[a][b] + table[a + 1][b + 1] and ratios[a][b] > 0:
            pairs.append((olds[a], files[b], ratios[a][b]))
            a, b = a + 1, b + 1
        elif table[a][b] == table[a + 1][b]:
            a += 1
        else:
            b += 1
    return pairs
