"""Aligning a hunk's old side with the file around one candidate place.

Each candidate is aligned on its own: a dynamic programme over the lines near the candidate
finds the monotone pairing of lines that keeps the most line weight (equal lines earn their
weight, a drifted line near the candidate's diagonal a share of it) while paying for file lines
the hunk skips, and breaks ties toward the candidate's own diagonal. (A longest-run matcher such
as difflib's anchors on the earliest equal run in the window, so when the window also holds a
neighbouring copy of the same block, the candidate itself is never scored.) Unpaired lines
between and around the paired ones then earn credit for their similarity.
"""

from __future__ import annotations

import difflib
from collections import Counter
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
# How far from the candidate's diagonal a drifted line may pair with a file line.
DRIFT_BAND = 3
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


def align_at(
    keys: Sequence[str],
    old_keys: Sequence[str],
    start: int,
    exact_only: Sequence[bool] | None = None,
    memo: dict[tuple[str, str], float] | None = None,
) -> Alignment | None:
    """Align the old side to the file lines around `start`; None when no line matches.
    `exact_only` marks old lines that may only match exactly (removed lines)."""
    size = len(old_keys)
    slack = min(max(4, size // 2), MAX_SLACK)
    low = max(0, start - slack)
    high = min(len(keys), start + size + slack)
    if low >= high or size == 0:
        return None
    similar = _Similarity(memo if memo is not None else {})
    mapping, drifted = _match_lines(keys, old_keys, start, (low, high, slack), exact_only, similar)
    if all(position is None for position in mapping):
        return None
    return _score(keys, old_keys, start, mapping, drifted, low, high, similar)


class _Similarity:
    """Line similarity, remembered across the candidates of one hunk."""

    def __init__(self, memo: dict[tuple[str, str], float]) -> None:
        self.memo = memo

    def __call__(self, a: str, b: str) -> float:
        found = self.memo.get((a, b))
        if found is None:
            found = self.memo[(a, b)] = similarity(a, b)
        return found

    def drifted(self, a: str, b: str) -> float:
        """The similarity when it is enough for `a` to be a drifted `b`, else 0."""
        if not a or not b:
            return 0.0
        shorter, longer = sorted((len(a), len(b)))
        if 2 * shorter / (shorter + longer) < EDGE_SIMILARITY:  # upper bounds of the ratio,
            return 0.0
        common = (Counter(a) & Counter(b)).total()  # cheap ones first
        if 2 * common / (len(a) + len(b)) < EDGE_SIMILARITY:
            return 0.0
        ratio = self(a, b)
        return ratio if ratio >= EDGE_SIMILARITY else 0.0


def _match_lines(
    keys: Sequence[str],
    old_keys: Sequence[str],
    start: int,
    bounds: tuple[int, int, int],
    exact_only: Sequence[bool] | None,
    similar: _Similarity,
) -> tuple[list[int | None], list[tuple[int, int, float]]]:
    """The best monotone pairing of old lines with the lines keys[low:high] (see the module
    docstring): equal lines earn their weight; near the candidate's diagonal, a drifted line
    earns its similarity's share. Returns the exact matches and the drifted pairs.

    best[p]: the best score of old[:i+1] against the window with its last pair at or before p,
    the file lines after that pair up to p already paid for. Old line i only pairs within
    `slack` lines of the candidate's diagonal (the window is that wide on each side anyway).
    """
    low, high, slack = bounds
    width = high - low
    window = keys[low:high]
    skip = [SKIP_COST * weight(key) for key in window]
    minus = float("-inf")
    previous = [minus] * width
    # Per old line, how best[p] was reached (0: a pair at p, 1: file line p skipped, 2: old
    # line unpaired) and, for pairs, whether the pair began the alignment.
    choices: list[tuple[bytearray, bytearray]] = []
    best_score, best_at = minus, (0, 0)
    present = set(window)
    for i, key in enumerate(old_keys):
        gain = weight(key)
        diagonal = start + i - low
        near = range(max(0, diagonal - DRIFT_BAND), min(width, diagonal + DRIFT_BAND + 1))
        # A line that is in the window as it stands matches there or nowhere.
        may_drift = not (exact_only and exact_only[i]) and key not in present
        current = [minus] * width
        how = bytearray(width)
        fresh = bytearray(width)
        for p in range(max(0, diagonal - slack), min(width, diagonal + slack + 1)):
            value, reached = minus, 0
            if window[p] == key:
                value = gain
            elif may_drift and p in near:
                ratio = similar.drifted(key, window[p])
                if ratio:
                    value = ratio * ratio * (gain + weight(window[p])) / 2
            if value > minus:
                value -= DIAGONAL_COST * abs(p - diagonal)
                before = previous[p - 1] if p else minus
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
    drifted: list[tuple[int, int, float]] = []
    if best_score == minus:
        return mapping, drifted
    i, p = best_at
    while True:
        if window[p] == old_keys[i]:
            mapping[i] = low + p
        else:
            drifted.append((i, low + p, similar(old_keys[i], window[p])))
        if choices[i][1][p]:
            return mapping, drifted
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
    drifted: list[tuple[int, int, float]],
    low: int,
    high: int,
    similar: _Similarity,
) -> Alignment:
    matched = sum(weight(old_keys[i]) for i, position in enumerate(mapping) if position is not None)
    pairs = list(drifted)
    anchors = sorted(
        [(i, p) for i, p in enumerate(mapping) if p is not None] + [(i, p) for i, p, _ in drifted]
    )
    # Between paired lines: the unpaired lines on both sides, paired by similarity.
    for (i1, p1), (i2, p2) in pairwise(anchors):
        if i2 - i1 > 1 and p2 - p1 > 1:
            pairs.extend(_pair(keys, old_keys, range(i1 + 1, i2), range(p1 + 1, p2), similar))
    # Before the first and after the last: walk outward while lines stay similar.
    first_i, first = anchors[0]
    last_i, last = anchors[-1]
    i, p = first_i - 1, first - 1
    while i >= 0 and p >= low:
        ratio = similar.drifted(old_keys[i], keys[p])
        if not ratio:
            break
        pairs.append((i, p, ratio))
        first = p
        i, p = i - 1, p - 1
    i, p = last_i + 1, last + 1
    while i < len(old_keys) and p < high:
        ratio = similar.drifted(old_keys[i], keys[p])
        if not ratio:
            break
        pairs.append((i, p, ratio))
        last = p
        i, p = i + 1, p + 1
    # Similar lines earn less than equal ones (the square), so that a neighbour whose lines
    # merely look alike stays clearly behind the place whose lines are the same.
    partial = sum(ratio**2 * (weight(old_keys[i]) + weight(keys[p])) / 2 for i, p, ratio in pairs)
    old_weight = sum(weight(key) for key in old_keys)
    region_weight = sum(weight(key) for key in keys[first : last + 1])
    score = (matched + partial) / ((old_weight + region_weight) / 2)
    drift = tuple(sorted((i, p) for i, p, ratio in pairs if ratio >= EDGE_SIMILARITY))
    return Alignment(start, tuple(mapping), first, last, min(score, 1.0), drift)


def _pair(
    keys: Sequence[str], old_keys: Sequence[str], olds: range, files: range, similar: _Similarity
) -> list[tuple[int, int, float]]:
    """Pair unmatched old lines with unmatched file lines in order, most similar first."""
    if len(olds) > PAIRING_LIMIT or len(files) > PAIRING_LIMIT:
        return [(i, p, similar(old_keys[i], keys[p])) for i, p in zip(olds, files, strict=False)]
    ratios = [[similar(old_keys[i], keys[p]) for p in files] for i in olds]
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
