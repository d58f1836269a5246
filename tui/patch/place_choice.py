"""Choosing one place for a hunk among the candidates a placing stage found (tui/patch/place.py):
places that overlap an earlier hunk's are out; of those that fit about equally well, evidence
decides (context lines that belong elsewhere, the stated line, the `@@` section text, hunk order)
or the hunk fails naming the places; the chosen one is taken and reported as a Placement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.patch.candidates import Candidate, Outcome, Sides, describe_tolerance, failed, raw_similarity
from tui.patch.evidence import context_elsewhere
from tui.patch.hunk_edit import build_edit, indent_for, overlaps
from tui.patch.model import LineEdit, Placement

if TYPE_CHECKING:
    from tui.patch.place import HunkPlacer

# A stated line picks one of several equally good places only when it is this close to it.
NEAR_LINES = 10
# Among places that fit about equally well, one whose score is this much higher still counts
# against evidence (a line number) pointing at another.
CONTENT_MARGIN = 0.02
# A fuzzy placement that left any line unmatched never reports more than this similarity.
MAX_INEXACT_SCORE = 0.99


def choose_place(placer: HunkPlacer, matches: list[Candidate], sides: Sides, number: int) -> Outcome | None:
    """Pick the one best match (None: none usable here, try the next stage)."""
    usable: list[tuple[Candidate, LineEdit]] = []
    collided: tuple[int, Candidate] | None = None
    for match in matches:
        if match.first < sides.not_before:
            continue
        indent = (
            None
            if match.kind == "exact"
            else indent_for(sides.old, sides.removed, match.mapping, placer.file)
        )
        edit = build_edit(sides.lines, match.mapping, placer.file, indent, sides.final_newline)
        if edit is None:
            continue
        other = overlaps(edit, placer.taken)
        if other is not None:
            collided = collided or (other, match)
            continue
        usable.append((match, edit))
    if not usable:
        if collided is not None:
            return failed(f"it overlaps hunk {collided[0]}", collided[1])
        return None
    chosen = _pick(placer, usable, sides)
    if isinstance(chosen, str):
        return failed(chosen, usable[0][0])
    match, edit = chosen
    conflict = _conflict(placer, match, sides)
    if conflict is not None:
        return failed(conflict, match)
    return _accept(placer, match, edit, number, sides)


def _conflict(placer: HunkPlacer, match: Candidate, sides: Sides) -> str | None:
    """Why a fuzzy place contradicts the hunk's own context, or None."""
    if match.matched is None:
        return None
    found = context_elsewhere(
        placer.keys, sides.old_keys, sides.old, sides.removed, match.matched, match.first, match.last
    )
    if found is None:
        return None
    return (
        f"its context line {found.text!r} is at line {found.elsewhere + 1}, "
        f"away from the lines {match.first + 1}-{match.last + 1} that match the rest"
    )


def _pick(
    placer: HunkPlacer, usable: list[tuple[Candidate, LineEdit]], sides: Sides
) -> tuple[Candidate, LineEdit] | str:
    """One place, or the reason there is none. Places that fit about equally well (within
    the tie margin; exact places always do) are told apart by evidence: context lines that
    belong elsewhere rule a place out, then the stated line, the section text and (without
    a line number) hunk order decide."""
    if len(usable) == 1:
        return usable[0]
    best = usable[0]
    ties = [best]
    for item in usable[1:]:
        match = item[0]
        # Sorted by cost already; overlapping regions are the same place.
        if match.kind == "fuzzy" and match.first <= best[0].last and best[0].first <= match.last:
            continue
        if (
            _cost(placer, match, sides.expected) - _cost(placer, best[0], sides.expected)
            < placer.config.tie_margin
        ):
            ties.append(item)
    if len(ties) > 1:
        consistent = [item for item in ties if _conflict(placer, item[0], sides) is None]
        ties = consistent or ties[:1]
    if len(ties) == 1:
        return ties[0]
    return _by_evidence(placer, ties, sides)


def _by_evidence(
    placer: HunkPlacer, ties: list[tuple[Candidate, LineEdit]], sides: Sides
) -> tuple[Candidate, LineEdit] | str:
    votes: dict[str, tuple[Candidate, LineEdit]] = {}
    expected = sides.expected
    if expected is not None:
        ranked = sorted(ties, key=lambda item: abs(item[0].start - expected))
        near = [item for item in ranked if abs(item[0].start - expected) <= NEAR_LINES]
        if near and (len(near) == 1 or abs(near[0][0].start - expected) < abs(near[1][0].start - expected)):
            votes["its line number"] = near[0]
    if sides.section is not None:
        named = [item for item in ties if placer.sections.matches(sides.section, item[0].first, item[0].last)]
        if len(named) == 1:
            votes["its section text"] = named[0]
    if expected is None and placer.previous_end is not None:
        later = [item for item in ties if item[0].start >= placer.previous_end]
        if len(later) == 1:
            votes["hunk order"] = later[0]
    picks = {id(item): item for item in votes.values()}
    if len(picks) == 1:
        # The lines themselves may still prefer another place, if not by enough to decide.
        scored = sorted(ties, key=lambda item: -item[0].score)
        if scored[0][0].score - scored[1][0].score >= CONTENT_MARGIN and id(scored[0]) not in picks:
            votes["its content"] = scored[0]
        else:
            return next(iter(picks.values()))
    first, second = sorted(ties[:2], key=lambda item: item[0].start)
    if picks:
        said = "; ".join(f"{what} points at line {item[0].start + 1}" for what, item in votes.items())
        return f"the evidence disagrees about where it goes ({said})"
    return f"ambiguous: it fits {first[0].region} and {second[0].region} about equally well"


def _cost(placer: HunkPlacer, match: Candidate, expected: int | None) -> float:
    distance = abs(match.start - expected) if expected is not None else 0
    return (1 - match.score) + distance / placer.config.match_distance


def _accept(placer: HunkPlacer, match: Candidate, edit: LineEdit, number: int, sides: Sides) -> Outcome:
    placer.taken.append((edit, number))
    placer.previous_end = max(match.last + 1, edit.end)
    line = match.start + 1
    stated = sides.stated
    if stated is not None:
        placer.drift = match.start - (stated - 1)
    offset = line - stated if stated is not None else None
    if match.kind == "exact":
        status = "exact" if not offset else "offset"
        return Placement(status, line=line, offset=offset, score=1.0), edit
    region = [placer.file.lines[p] if p is not None else None for p in match.mapping]
    score = match.score if match.kind == "fuzzy" else raw_similarity(sides.old, region)
    if match.kind == "fuzzy" and match.unmatched:
        score = min(score, MAX_INEXACT_SCORE)
    note = describe_tolerance(sides.old, match, placer.file)
    return Placement("fuzzy", line=max(line, 1), offset=offset, score=round(score, 3), reason=note), edit
