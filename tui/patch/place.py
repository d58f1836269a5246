"""Placing hunks in a file: exact at the stated line → exact elsewhere → whitespace-tolerant →
fuzzy → failed. All hunks are placed against the current file (not one after another), so a
hunk's edit is a region of the current file; later hunks expect the drift of earlier ones.

A hunk whose removed lines are not in the file fails: removed lines must match (after whitespace
normalisation) at every stage; only context may drift. Two equally good places fail too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui.patch.fuzzy import Alignment, FuzzyConfig, KeyIndex, cost, fuzzy_alignments, normalize, weight
from tui.patch.hunk_edit import build_edit, indent_for, overlaps
from tui.patch.model import HunkLine, LineEdit, Placement
from tui.patch.text_file import FileText
from tui.patch.unified_parse import ParsedHunk

# A stated line picks one of several equally good places only when it is this close to it.
NEAR_LINES = 10


@dataclass(frozen=True)
class _Match:
    mapping: tuple[int | None, ...]
    start: int  # where old line 0 sits (estimated for fuzzy matches)
    kind: str  # "exact", "tolerant" or "fuzzy"
    score: float
    first: int
    last: int


class HunkPlacer:
    """Places the hunks of one file, in order, remembering drift and taken regions."""

    def __init__(self, file: FileText, config: FuzzyConfig | None = None) -> None:
        self.file = file
        self.config = config or FuzzyConfig()
        self._exact: dict[str, list[int]] | None = None
        self._keys: KeyIndex | None = None
        self.drift = 0
        self.previous_end: int | None = None
        self.taken: list[tuple[LineEdit, int]] = []

    @property
    def exact_index(self) -> dict[str, list[int]]:
        if self._exact is None:
            self._exact = {}
            for position, line in enumerate(self.file.lines):
                self._exact.setdefault(line, []).append(position)
        return self._exact

    @property
    def keys(self) -> KeyIndex:
        if self._keys is None:
            self._keys = KeyIndex(self.file.lines)
        return self._keys

    def place(self, hunk: ParsedHunk, number: int) -> tuple[Placement, LineEdit | None]:
        lines = hunk.lines
        old = [line.text for line in lines if line.kind != "added"]
        removed = [line.kind == "removed" for line in lines if line.kind != "added"]
        final_newline = False if hunk.new_no_eol else (True if hunk.old_no_eol else None)
        stated = hunk.old_start if hunk.old_start else None
        expected = stated - 1 + self.drift if stated is not None else None
        if not old:
            return self._place_insertion(hunk, final_newline)

        attempts = [
            ("exact", self._exact_starts(old)),
            ("tolerant", self._tolerant_starts(old)),
        ]
        for kind, starts in attempts:
            if not starts:
                continue
            matches = [
                _Match(tuple(range(start, start + len(old))), start, kind, 1.0, start, start + len(old) - 1)
                for start in starts
            ]
            outcome = self._choose(matches, hunk, number, stated, expected, old, removed, final_newline)
            if outcome is not None:
                return outcome
        return self._place_fuzzy(hunk, number, stated, expected, old, removed, final_newline)

    # -- stages -------------------------------------------------------------------------------

    def _exact_starts(self, old: list[str]) -> list[int]:
        index = self.exact_index
        rarest = min(range(len(old)), key=lambda i: len(index.get(old[i], ())))
        size = len(self.file.lines)
        starts = []
        for position in index.get(old[rarest], ()):
            start = position - rarest
            if (
                start >= 0
                and start + len(old) <= size
                and list(self.file.lines[start : start + len(old)]) == old
            ):
                starts.append(start)
        return starts

    def _tolerant_starts(self, old: list[str]) -> list[int]:
        keys = self.keys
        old_keys = [normalize(line) for line in old]
        rarest = min(range(len(old)), key=lambda i: len(keys.where.get(old_keys[i], ())))
        size = len(keys.keys)
        starts = []
        for position in keys.where.get(old_keys[rarest], ()):
            start = position - rarest
            if start >= 0 and start + len(old) <= size and keys.keys[start : start + len(old)] == old_keys:
                starts.append(start)
        return starts

    def _place_fuzzy(
        self,
        hunk: ParsedHunk,
        number: int,
        stated: int | None,
        expected: int | None,
        old: list[str],
        removed: list[bool],
        final_newline: bool | None,
    ) -> tuple[Placement, LineEdit | None]:
        config = self.config
        old_keys = [normalize(line) for line in old]
        hint = expected if expected is not None else self.previous_end
        alignments = fuzzy_alignments(self.keys, old_keys, hint, config)
        threshold = config.min_score if any(removed) else config.min_insert_score
        valid = [
            item
            for item in alignments
            if self._removed_ok(item, removed)
            and self._anchored(item, hunk.lines)
            and item.score >= threshold
        ]
        if valid:
            matches = [
                _Match(item.mapping, item.estimated_start, "fuzzy", item.score, item.first, item.last)
                for item in sorted(valid, key=lambda item: cost(item, hint, config))
            ]
            outcome = self._choose(matches, hunk, number, stated, hint, old, removed, final_newline)
            if outcome is not None:
                return outcome
        return self._failure(alignments, removed, threshold, old, hunk), None

    def _place_insertion(
        self, hunk: ParsedHunk, final_newline: bool | None
    ) -> tuple[Placement, LineEdit | None]:
        added = tuple((line.text, None) for line in hunk.lines)
        size = len(self.file.lines)
        if size == 0:
            at = 0
        elif hunk.old_len == 0 and hunk.old_start is not None:
            at = min(hunk.old_start, size)  # `-N,0`: insert after line N (diff -U0 style)
        else:
            return Placement("failed", reason="the hunk has no context or removed lines to place it by"), None
        edit = LineEdit(at, at, added, len(added), 0, final_newline)
        if overlaps(edit, self.taken) is not None:
            return Placement("failed", reason="it collides with an earlier hunk"), None
        self.taken.append((edit, 0))
        return Placement("exact", line=at + 1, score=1.0), edit

    # -- choosing among candidates -----------------------------------------------------------

    def _choose(
        self,
        matches: list[_Match],
        hunk: ParsedHunk,
        number: int,
        stated: int | None,
        expected: int | None,
        old: list[str],
        removed: list[bool],
        final_newline: bool | None,
    ) -> tuple[Placement, LineEdit | None] | None:
        """Pick the one best match (None: none usable here, try the next stage)."""
        usable: list[tuple[_Match, LineEdit]] = []
        collided: int | None = None
        for match in matches:
            indent = None if match.kind == "exact" else indent_for(old, removed, match.mapping, self.file)
            edit = build_edit(hunk.lines, match.mapping, self.file, indent, final_newline)
            if edit is None:
                continue
            other = overlaps(edit, self.taken)
            if other is not None:
                collided = other
                continue
            usable.append((match, edit))
        if not usable:
            if collided is not None:
                return Placement("failed", reason=f"it overlaps hunk {collided}"), None
            return None
        chosen = self._pick(usable, expected)
        if isinstance(chosen, str):
            return Placement("failed", reason=chosen), None
        match, edit = chosen
        return self._accept(match, edit, number, stated, old)

    def _pick(
        self, usable: list[tuple[_Match, LineEdit]], expected: int | None
    ) -> tuple[_Match, LineEdit] | str:
        """One place, or the reason there is none. A stated line settles a choice between equal
        places only when it points (within NEAR_LINES) at exactly one of them: line numbers from
        small models are often far off, and a wrong guess is worse than a refusal."""
        if len(usable) == 1:
            return usable[0]
        if usable[0][0].kind == "fuzzy":
            # Sorted by cost already; overlapping regions are the same place.
            best = usable[0]
            ties = [best]
            for item in usable[1:]:
                match = item[0]
                if match.first <= best[0].last and best[0].first <= match.last:
                    continue
                if self._cost(match, expected) - self._cost(best[0], expected) < self.config.tie_margin:
                    ties.append(item)
            if len(ties) == 1:
                return best
            return self._by_stated_line(ties, expected)
        if expected is None and self.previous_end is not None:
            # No line number: hunks come in file order, so places after the previous hunk count.
            later = [item for item in usable if item[0].start >= self.previous_end]
            if len(later) == 1:
                return later[0]
        return self._by_stated_line(usable, expected)

    def _by_stated_line(
        self, tied: list[tuple[_Match, LineEdit]], expected: int | None
    ) -> tuple[_Match, LineEdit] | str:
        if expected is not None:
            ranked = sorted(tied, key=lambda item: abs(item[0].start - expected))
            near = [item for item in ranked if abs(item[0].start - expected) <= NEAR_LINES]
            if near and (
                len(near) == 1 or abs(near[0][0].start - expected) < abs(near[1][0].start - expected)
            ):
                return near[0]
            tied = ranked
        return _ambiguous(tied[0][0], tied[1][0])

    def _cost(self, match: _Match, expected: int | None) -> float:
        distance = abs(match.start - expected) if expected is not None else 0
        return (1 - match.score) + distance / self.config.match_distance

    def _accept(
        self, match: _Match, edit: LineEdit, number: int, stated: int | None, old: list[str]
    ) -> tuple[Placement, LineEdit]:
        self.taken.append((edit, number))
        self.previous_end = max(match.last + 1, edit.end)
        line = match.start + 1
        if stated is not None:
            self.drift = match.start - (stated - 1)
        offset = line - stated if stated is not None else None
        if match.kind == "exact":
            status = "exact" if not offset else "offset"
            return Placement(status, line=line, offset=offset, score=1.0), edit
        region = [self.file.lines[p] if p is not None else None for p in match.mapping]
        score = match.score if match.kind == "fuzzy" else _raw_similarity(old, region)
        note = _describe_tolerance(old, match, self.file, edit)
        return Placement("fuzzy", line=max(line, 1), offset=offset, score=round(score, 3), reason=note), edit

    def _removed_ok(self, alignment: Alignment, removed: list[bool]) -> bool:
        previous: int | None = None
        for i, flag in enumerate(removed):
            position = alignment.mapping[i]
            if flag and position is None:
                return False
            # A run of removed lines must be a run in the file too.
            if flag and i and removed[i - 1] and previous is not None and position != previous + 1:
                return False
            previous = position
        return True

    @staticmethod
    def _anchored(alignment: Alignment, lines: Sequence[HunkLine]) -> bool:
        """Added lines between two context lines need those two lines matched and adjacent in
        the file: otherwise an insertion could land in drifted text, or be applied twice."""
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
            if (has_before and old_kinds[before] == "removed") or (
                has_after and old_kinds[after] == "removed"
            ):
                continue
            left = alignment.mapping[before] if has_before else None
            right = alignment.mapping[after] if has_after else None
            if (has_before and left is None) or (has_after and right is None):
                return False
            if left is not None and right is not None and right != left + 1:
                return False
        return True

    def _failure(
        self,
        alignments: list[Alignment],
        removed: list[bool],
        threshold: float,
        old: list[str],
        hunk: ParsedHunk,
    ) -> Placement:
        best = alignments[0] if alignments else None
        closest = (best.first + 1, best.last + 1) if best else None
        closest_score = round(best.score, 2) if best else None
        if any(removed):
            if any(self._removed_ok(item, removed) for item in alignments):
                reason = f"the context matches too weakly (below {threshold:.2f})"
            else:
                reason = "removed lines not found"
        else:
            reason = (
                "context not found"
                if not alignments
                else f"the context matches too weakly (below {threshold:.2f})"
            )
        applied = self._already_applied(hunk)
        if applied is not None:
            reason += f"; the change looks already applied at line {applied}"
        return Placement("failed", reason=reason, closest=closest, closest_score=closest_score)

    def _already_applied(self, hunk: ParsedHunk) -> int | None:
        if not any(line.kind == "added" for line in hunk.lines):
            return None
        new = [line.text for line in hunk.lines if line.kind != "removed"]
        keys = [normalize(line) for line in new]
        for position in self.keys.where.get(keys[0], ())[: self.config.max_anchor_hits]:
            if self.keys.keys[position : position + len(keys)] == keys:
                return position + 1
        return None


def _ambiguous(first: _Match, second: _Match) -> str:
    a, b = sorted((first.start + 1, second.start + 1))
    return f"ambiguous: it fits equally well at lines {a} and {b}"


def _raw_similarity(old: list[str], region: list[str | None]) -> float:
    total = sum(weight(line) for line in old)
    same = sum(weight(line) for line, other in zip(old, region, strict=True) if line == other)
    rest = sum(weight(line) * 0.9 for line, other in zip(old, region, strict=True) if line != other)
    return (same + rest) / total if total else 1.0


def _describe_tolerance(old: list[str], match: _Match, file: FileText, edit: LineEdit) -> str:
    if match.kind == "fuzzy":
        unmatched = sum(1 for position in match.mapping if position is None)
        return (
            f"{unmatched} context line{'s' if unmatched != 1 else ''} differ" if unmatched else "whitespace"
        )
    indent = indent_for(old, [True] * len(old), match.mapping, file)
    if indent.delta:
        return f"indentation {indent.delta:+d}"
    return "whitespace"


def place_hunks(
    file: FileText, hunks: Sequence[ParsedHunk], config: FuzzyConfig | None = None
) -> list[tuple[Placement, LineEdit | None]]:
    """Place every hunk of one file; results in hunk order."""
    placer = HunkPlacer(file, config)
    return [placer.place(hunk, number) for number, hunk in enumerate(hunks, start=1)]
