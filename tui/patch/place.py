"""Placing hunks in a file: exact at the stated line → exact elsewhere → whitespace-tolerant →
fuzzy → failed. All hunks are placed against the current file (not one after another), so a
hunk's edit is a region of the current file; later hunks expect the drift of earlier ones.

A hunk goes where the evidence says or fails with the reason and the closest region:
- removed lines must match (after whitespace normalisation) at every stage; only context drifts;
- places that fit about equally well are told apart by the stated line, the `@@ … @@` section
  text and hunk order; when none of them decides (or they disagree) the hunk fails naming both;
- a fuzzy place fails when a distinctive context line of the hunk sits elsewhere in the file;
- a change whose new side is already in the file is reported as already applied.

This module finds the candidate places, stage by stage; choosing one of them by the evidence is
tui/patch/place_choice.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from tui.patch.candidates import (
    Candidate,
    Outcome,
    Sides,
    anchored,
    failed,
    later_part,
    list_similarity,
    shows_result,
    with_drifted,
)
from tui.patch.closest import around_line, nearest
from tui.patch.evidence import Sections, occurrences
from tui.patch.fuzzy import Alignment, FuzzyConfig, KeyIndex, cost, fuzzy_alignments, normalize
from tui.patch.hunk_edit import overlaps
from tui.patch.model import LineEdit, Placement
from tui.patch.place_choice import MAX_INEXACT_SCORE, NEAR_LINES, choose_place
from tui.patch.split_hunk import join_edits, layout
from tui.patch.text_file import FileText
from tui.patch.unified_parse import ParsedHunk


class HunkPlacer:
    """Places the hunks of one file, in order, remembering drift and taken regions."""

    def __init__(self, file: FileText, config: FuzzyConfig | None = None) -> None:
        self.file = file
        self.config = config or FuzzyConfig()
        self._exact: dict[str, list[int]] | None = None
        self._keys: KeyIndex | None = None
        self._sections: Sections | None = None
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

    @property
    def sections(self) -> Sections:
        if self._sections is None:
            self._sections = Sections(self.file.lines)
        return self._sections

    def place(self, hunk: ParsedHunk, number: int) -> Outcome:
        sides = Sides.of(hunk, hunk.lines, self.drift)
        if not sides.old:
            return self._place_insertion(hunk, sides, number)
        applied = None if self._not_done_yet(sides) else self._already_applied(sides)
        if applied is not None:
            return applied
        outcome = self._place_whole(sides, number)
        if outcome[0].placed or not _may_split(outcome[0]):
            return outcome
        split = self._place_in_parts(hunk, sides, number)
        return split if split is not None else outcome

    # -- stages -------------------------------------------------------------------------------

    def _place_whole(self, sides: Sides, number: int, *, strict: bool = False) -> Outcome:
        old = sides.old
        # Whitespace-tolerant starts are looked for only when no exact place will do: normalising
        # every line of the file is most of the cost of placing a pristine diff.
        for kind, find in (("exact", self._exact_starts), ("tolerant", self._tolerant_starts)):
            starts = find(old)
            if not starts:
                continue
            matches = [
                Candidate(
                    tuple(range(start, start + len(old))), start, kind, 1.0, start, start + len(old) - 1
                )
                for start in starts
            ]
            outcome = choose_place(self, matches, sides, number)
            if outcome is not None:
                return outcome
        if strict:
            return failed("its lines are not in the file in this order")
        return self._place_fuzzy(sides, number)

    def _exact_starts(self, old: list[str]) -> list[int]:
        if not old:  # a part of a split hunk that only adds lines: nothing to find
            return []
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
        return occurrences(self.keys, [normalize(line) for line in old], limit=len(self.file.lines) + 1)

    def _place_fuzzy(self, sides: Sides, number: int) -> Outcome:
        config = self.config
        hint = sides.expected if sides.expected is not None else self.previous_end
        alignments = fuzzy_alignments(self.keys, sides.old_keys, hint, config, sides.removed)
        threshold = config.min_score if any(sides.removed) else config.min_insert_score
        candidates = [
            (item, with_drifted(item, sides.removed))
            for item in alignments
            if self._removed_ok(item, sides.removed)
        ]
        candidates = [(item, mapping) for item, mapping in candidates if anchored(mapping, sides.lines)]
        valid = [pair for pair in candidates if pair[0].score >= threshold]
        if not valid and candidates and not any(sides.removed):
            valid = self._unique_insertion(candidates, alignments)
        if valid:
            matches = [
                Candidate(
                    mapping, item.estimated_start, "fuzzy", item.score, item.first, item.last, item.mapping
                )
                for item, mapping in sorted(valid, key=lambda pair: cost(pair[0], hint, config))
            ]
            outcome = choose_place(self, matches, sides, number)
            if outcome is not None:
                return outcome
        return self._failure(alignments, sides, threshold)

    def _unique_insertion(
        self, candidates: list[tuple[Alignment, tuple[int | None, ...]]], alignments: list[Alignment]
    ) -> list[tuple[Alignment, tuple[int | None, ...]]]:
        """An insertion whose context drifted below min_insert_score is still placed when its
        anchor lines hold and no other place comes anywhere near it."""
        best, mapping = max(candidates, key=lambda pair: pair[0].score)
        if best.score < self.config.min_score:
            return []
        for other in alignments:
            overlapping = other.first <= best.last and best.first <= other.last
            if not overlapping and other.score > best.score - self.config.unique_margin:
                return []
        return [(best, mapping)]

    def _place_insertion(self, hunk: ParsedHunk, sides: Sides, number: int) -> Outcome:
        """A hunk of added lines only: its stated line is all there is to place it by."""
        added = tuple((line.text, None) for line in hunk.lines)
        keys = self.keys.keys
        size = len(keys)
        count = len(added)
        if size == 0:
            at = 0
        elif hunk.old_len == 0 and hunk.old_start == 0:
            whole = Candidate(
                tuple(range(size)), 0, "exact", list_similarity(sides.new_keys, keys), 0, size - 1
            )
            if keys == sides.new_keys:
                return failed(
                    "the change is already applied: the file already holds exactly these lines", whole
                )
            return failed(
                "its `@@ -0,0` header creates the file, but the file exists and is not empty", whole
            )
        elif hunk.old_len == 0 and hunk.old_start is not None:
            at = min(hunk.old_start, size)  # `-N,0`: insert after line N (diff -U0 style)
            for start in (at, at - count):
                if start >= 0 and keys[start : start + count] == sides.new_keys:
                    here = Candidate(
                        tuple(range(start, start + count)), start, "exact", 1.0, start, start + count - 1
                    )
                    return failed(f"the change is already applied at line {start + 1}", here)
        else:
            # Its added lines may still resemble a region (a change partly made already).
            wanted = [line.text for line in hunk.lines]
            return self._refused("the hunk has no context or removed lines to place it by", wanted, sides)
        edit = LineEdit(at, at, added, count, 0, sides.final_newline)
        other = overlaps(edit, self.taken)
        if other is not None:
            changed = next(region for region, owner in self.taken if owner == other)
            return failed(
                f"it inserts after line {at}, inside lines {changed.start + 1}-{changed.end} "
                f"that hunk {other} changes",
                around_line(hunk.old_start or at, size),
            )
        self.taken.append((edit, number))
        return Placement("exact", line=at + 1, score=1.0), edit

    def _not_done_yet(self, sides: Sides) -> bool:
        """The quick answer for a pristine diff: the old side is exactly at the stated line, and
        it either removes lines or has context on both sides of its added lines (so they cannot
        be sitting there already)."""
        at = sides.expected
        if at is None or at < 0 or tuple(sides.old) != self.file.lines[at : at + len(sides.old)]:
            return False
        return any(sides.removed) or (sides.lines[0].kind != "added" and sides.lines[-1].kind != "added")

    def _already_applied(self, sides: Sides) -> Outcome | None:
        """A change whose new side is in the file and whose old side is not (or only away from
        the stated line) was applied before: applying it again would do it twice."""
        if sides.new_keys == sides.old_keys:
            return None
        found = [
            start
            for start in occurrences(self.keys, sides.new_keys, limit=8)
            if shows_result(sides, start, len(self.file.lines))
        ]
        if not found:
            return None
        olds = self._tolerant_starts(sides.old)
        if olds and not any(line.kind == "added" for line in sides.lines):
            return None  # a deletion's lines still there: not done yet, whatever else matches
        expected = sides.expected
        if olds and expected is not None:
            nearest_old = min(abs(start - expected) for start in olds)
            nearest_new = min(abs(start - expected) for start in found)
            if nearest_old <= NEAR_LINES and nearest_old < nearest_new:
                return None
        at = min(found, key=lambda start: abs(start - expected)) if expected is not None else found[0]
        size = len(sides.new_keys)
        here = Candidate(tuple(range(at, at + size)), at, "exact", 1.0, at, at + size - 1)
        return failed(f"the change is already applied at line {at + 1}", here)

    def _place_in_parts(self, hunk: ParsedHunk, sides: Sides, number: int) -> Outcome | None:
        """Place each change run of the hunk on its own (see split_hunk); None when that fails
        too. Every line of the hunk is used: each part must be found exactly, uniquely and after
        the one before."""
        parts = layout(sides.lines)
        if len(parts.changes) < 2:
            return None
        saved = (self.drift, self.previous_end, len(self.taken))
        placed: list[tuple[Placement, LineEdit, int]] = []  # with the end of the matched region
        lead = parts.contexts[0]
        last = len(parts.changes) - 1
        for index, change in enumerate(parts.changes):
            after = parts.contexts[index + 1]
            choices = [len(after)] if index == last else range(len(after), -1, -1)
            for keep in choices:
                lines = (*lead, *change, *after[:keep])
                part = Sides.of(hunk, lines, self.drift)
                if index:
                    part = later_part(part, placed[-1][2])
                placement, edit = self._place_whole(part, number, strict=True)
                if edit is not None:
                    placed.append((placement, edit, self.previous_end or edit.end))
                    lead = after[keep:]
                    break
            else:
                self.drift, self.previous_end = saved[0], saved[1]
                del self.taken[saved[2] :]
                return None
        del self.taken[saved[2] :]
        edit = join_edits(self.file, [edit for _, edit, _ in placed])
        self.taken.append((edit, number))
        gaps = [
            f"{end + 1}-{following.line - 1}"
            for (_, _, end), (following, _, _) in pairwise(placed)
            if following.line is not None and following.line - 1 > end
        ]
        skipped = f"; it skips lines {', '.join(gaps)}" if gaps else ""
        first = placed[0][0]
        return (
            Placement(
                "fuzzy",
                line=first.line,
                offset=first.offset,
                score=MAX_INEXACT_SCORE,
                reason=f"in {len(placed)} parts{skipped}",
            ),
            edit,
        )

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

    def _failure(self, alignments: list[Alignment], sides: Sides, threshold: float) -> Outcome:
        removable = [item for item in alignments if self._removed_ok(item, sides.removed)]
        if any(sides.removed) and not removable:
            reason = "removed lines not found"
        elif not alignments:
            reason = "its context is not in the file"
        else:
            best = (removable or alignments)[0]
            if best.score < threshold:
                reason = f"the context matches too weakly (best {best.score:.2f}, needs {threshold:.2f})"
            else:
                reason = "the lines around its added lines do not match the file"
            return failed(reason, best)
        if alignments:
            return failed(reason, alignments[0])
        return self._refused(reason, sides.old, sides)

    def _refused(self, reason: str, wanted: list[str], sides: Sides) -> Outcome:
        """A refusal naming the region most like `wanted`, or the stated line's neighbourhood."""
        region, more = nearest(self.file.lines, wanted, sides.stated)
        return failed(reason + more, region)


def _may_split(placement: Placement) -> bool:
    reason = placement.reason or ""
    return not reason.startswith(("ambiguous", "it overlaps", "the change is already", "the evidence"))


def place_hunks(
    file: FileText, hunks: Sequence[ParsedHunk], config: FuzzyConfig | None = None
) -> list[Outcome]:
    """Place every hunk of one file; results in hunk order.

    A hunk left ambiguous gets a second try once the others are placed: the offset of the next
    placed hunk (line numbers of one answer tend to be off by the same amount) and the places
    of its neighbours (hunks come in file order) may settle it.
    """
    placer = HunkPlacer(file, config)
    results = [placer.place(hunk, number) for number, hunk in enumerate(hunks, start=1)]
    for index, (placement, _) in enumerate(results):
        if placement.placed or not (placement.reason or "").startswith("ambiguous"):
            continue
        if not hunks[index].old_start:
            continue
        following = next((p for p, _ in results[index + 1 :] if p.placed and p.offset is not None), None)
        if following is None:
            continue
        before = [edit.end for _, edit in results[:index] if edit is not None]
        after = [edit.start for _, edit in results[index + 1 :] if edit is not None]
        placer.drift = following.offset or 0
        placer.previous_end = before[-1] if before else None
        taken = len(placer.taken)
        retried, edit = placer.place(hunks[index], index + 1)
        in_order = (
            edit is not None
            and (not before or edit.start >= before[-1])
            and (not after or edit.end <= after[0])
        )
        if retried.placed and in_order:
            results[index] = (retried, edit)
        else:
            del placer.taken[taken:]
    return results
