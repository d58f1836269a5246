"""Review as a conversation: the notes a reviewer gives, which attempt produced each hunk, and
the merge of a new answer into the same review. Plain Python (the runner and the screen share it).

A follow-up answer (or a regenerated hunk) is placed against the same files as the first one, so
its hunks join the review beside the ones already kept: kept hunks stay, a new hunk that repeats
a kept one exactly is dropped, one that touches a kept hunk's lines is refused with the reason,
and one aimed where a rejected or failed hunk was remembers that hunk as its earlier version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from tui.patch.model import ChangeSet, FileChange, Hunk, Placement

Decision = Literal["accepted", "rejected"]
# A new hunk this close (in lines) to a rejected or failed one is taken as its new version.
NEAR_LINES = 3


@dataclass(frozen=True)
class Note:
    """What the reviewer said about one hunk (`hunk_id`) or the whole answer (None)."""

    text: str
    attempt: int
    hunk_id: str | None
    where: str  # "textkit/stats.py lines 12-18", or "the whole answer"
    decision: str | None = None

    def line(self) -> str:
        """One line of the commit body."""
        return f"- {self.where}: {self.text}"


def hunk_region(hunk: Hunk) -> tuple[int, int] | None:
    """First and last line (1-based, in the file as it is) the hunk is about: where it placed, else
    the closest region, else the line its header stated."""
    if hunk.edit is not None:
        first = hunk.edit.start + 1
        return first, max(first, hunk.edit.end)
    if hunk.placement.closest is not None:
        return hunk.placement.closest
    if hunk.stated_line is not None:
        size = sum(1 for line in hunk.lines if line.kind != "added")
        return hunk.stated_line, hunk.stated_line + max(size - 1, 0)
    return None


def hunk_where(path: str, hunk: Hunk) -> str:
    region = hunk_region(hunk)
    if region is None:
        return path
    first, last = region
    return f"{path} line {first}" if first == last else f"{path} lines {first}-{last}"


def hunk_text(hunk: Hunk) -> str:
    """The hunk as written, one `-`/`+`/` ` prefixed line each (readable whatever the edit format)."""
    marks = {"context": " ", "removed": "-", "added": "+"}
    return "\n".join(marks[line.kind] + line.text for line in hunk.lines)


@dataclass
class Conversation:
    """Notes and attempts of one task's review, across follow-ups and regenerated hunks."""

    notes: dict[str | None, Note] = field(default_factory=dict)  # the latest note per hunk
    history: list[Note] = field(default_factory=list)  # every note given, in order
    hunk_attempt: dict[str, int] = field(default_factory=dict)  # hunk id -> its attempt (1 if absent)
    previous: dict[str, Hunk] = field(default_factory=dict)  # hunk id -> its earlier version
    produced: dict[int, list[str]] = field(default_factory=dict)  # task attempt -> hunk ids it produced
    highest: dict[str, int] = field(default_factory=dict)  # path -> highest hunk index used

    def add_note(self, note: Note) -> None:
        self.notes[note.hunk_id] = note
        self.history.append(note)

    def note_for(self, hunk_id: str | None) -> str:
        note = self.notes.get(hunk_id)
        return note.text if note is not None else ""

    def attempt_of(self, hunk_id: str) -> int:
        return self.hunk_attempt.get(hunk_id, 1)

    def describe(self, hunk_id: str, *, comparing: bool = False) -> str:
        """The review's line about a hunk: which attempt it is (or shows) and its note."""
        parts = []
        attempt = self.attempt_of(hunk_id)
        if comparing and hunk_id in self.previous:
            earlier = self.attempt_of(self.previous[hunk_id].id)
            parts.append(f"Showing attempt {earlier} of this hunk (p shows attempt {attempt}).")
        elif attempt > 1:
            parts.append(f"Attempt {attempt} of this hunk (p shows the earlier one).")
        note = self.note_for(hunk_id)
        if note:
            parts.append(f"Note: {note}")
        return " ".join(parts)

    def record_attempt(self, attempt: int, change_set: ChangeSet) -> None:
        """An answer that starts a review of its own (the first, or a plain retry): its hunks are
        first versions; notes given so far stay in the history (and the commit) only."""
        self.notes.clear()
        self.previous.clear()
        self.hunk_attempt.clear()
        self.highest.clear()
        self.produced[attempt] = [hunk.id for hunk in change_set.hunks]
        for change in change_set.files:
            for hunk in change.hunks:
                self.highest[change.path] = max(self.highest.get(change.path, 0), hunk.index)

    def commit_lines(self) -> list[str]:
        """The notes that shaped the change, oldest first, one line each (the commit body)."""
        seen: set[tuple[str, str]] = set()
        lines = []
        for note in self.history:
            key = (note.where, note.text)
            if key not in seen:
                seen.add(key)
                lines.append(note.line())
        return lines

    def summary(self) -> str:
        """Every attempt and note in a few lines (the task's issue when it ends in ERROR)."""
        parts = [
            f"attempt {attempt}: {', '.join(ids) or 'no hunks'}" for attempt, ids in self.produced.items()
        ]
        parts.extend(f"note on {note.where}: {note.text}" for note in self.history)
        return "; ".join(parts)

    # -- new hunks into the review ----------------------------------------------------------------------
    def renumber(self, path: str, hunks: Iterable[Hunk]) -> list[Hunk]:
        """Fresh ids for a new answer's hunks, after every index the file has used (ids stay unique
        across attempts, so notes and decisions never land on the wrong hunk)."""
        out = []
        for hunk in hunks:
            index = self.highest.get(path, 0) + 1
            self.highest[path] = index
            out.append(replace(hunk, id=f"{path}#{index}", index=index))
        return out

    def join(
        self, path: str, fresh: list[Hunk], staying: list[Hunk], earlier: list[Hunk], attempt: int
    ) -> list[Hunk]:
        """Fresh hunks of one file checked against the hunks that stay (kept or undecided) and
        linked to the earlier versions they replace; returns the fresh hunks that remain."""
        joined = []
        for hunk in self.renumber(path, fresh):
            if hunk.edit is not None and any(_same_edit(hunk, other) for other in staying):
                continue  # the model repeated a hunk already kept
            clash = next((other for other in staying if _overlaps(hunk, other)), None)
            if clash is not None:
                hunk = _refused(hunk, f"it changes the lines of {clash.id}, which is kept from before")
            before = _nearest(hunk, earlier)
            if before is not None:
                self.previous[hunk.id] = before
                self.hunk_attempt[hunk.id] = self.attempt_of(before.id) + 1
            else:
                self.hunk_attempt[hunk.id] = 1  # a hunk nobody asked for before: its first version
            joined.append(hunk)
        return joined


def _same_edit(one: Hunk, other: Hunk) -> bool:
    return (
        other.edit is not None
        and one.edit is not None
        and (one.edit.start, one.edit.end, one.edit.new) == (other.edit.start, other.edit.end, other.edit.new)
    )


def _overlaps(one: Hunk, other: Hunk) -> bool:
    if one.edit is None or other.edit is None:
        return False
    a, b = one.edit, other.edit
    # An insertion clashes with an edit it would land inside or against (the order is unclear).
    if a.start == a.end:
        return b.start <= a.start <= b.end
    if b.start == b.end:
        return a.start <= b.start <= a.end
    return a.start < b.end and b.start < a.end


def _refused(hunk: Hunk, reason: str) -> Hunk:
    region = hunk_region(hunk)
    return replace(hunk, edit=None, placement=Placement("failed", reason=reason, closest=region))


def _nearest(hunk: Hunk, earlier: list[Hunk]) -> Hunk | None:
    """The rejected or failed hunk this one replaces: the one whose region it overlaps or is
    nearest to (within NEAR_LINES)."""
    region = hunk_region(hunk)
    if region is None:
        return earlier[0] if len(earlier) == 1 else None
    best: tuple[int, Hunk] | None = None
    for other in earlier:
        theirs = hunk_region(other)
        if theirs is None:
            continue
        gap = max(theirs[0] - region[1], region[0] - theirs[1], 0)
        if gap <= NEAR_LINES and (best is None or gap < best[0]):
            best = (gap, other)
    if best is None and len(earlier) == 1:
        return earlier[0]  # one hunk was asked for in this file: the answer is its new version
    return best[1] if best is not None else None


def merge_answer(
    conversation: Conversation,
    previous: ChangeSet,
    decisions: Mapping[str, Decision],
    fresh: ChangeSet,
    attempt: int,
    workdir: Path,
) -> tuple[ChangeSet, dict[str, Decision]]:
    """The review after a follow-up: the previous answer's accepted and undecided hunks stay (with
    their decisions), its rejected and failed ones give way to the new answer's hunks, which arrive
    undecided. Returns the merged change set and the decisions it starts with."""
    merged: list[FileChange] = []
    carried: dict[str, Decision] = {}
    new_ids: list[str] = []
    fresh_files = {change.path: change for change in fresh.files}
    for change in previous.files:
        staying = [h for h in change.hunks if decisions.get(h.id) != "rejected" and h.placement.placed]
        stay_ids = {h.id for h in staying}
        earlier = [h for h in change.hunks if h.id not in stay_ids]
        new = fresh_files.pop(change.path, None)
        now = new.old_bytes if new is not None else _on_disk(workdir, change.path)
        if staying and now != change.old_bytes:  # kept edits were placed on the old text: never misplace
            staying = [_refused(h, "the file changed since this hunk was reviewed") for h in staying]
        if new is None and not staying:
            continue
        base = new if new is not None else change
        joined = conversation.join(change.path, new.hunks if new else [], staying, earlier, attempt)
        merged.append(replace(base, hunks=[*staying, *joined]))
        new_ids.extend(h.id for h in joined)
        carried.update({h.id: decisions[h.id] for h in staying if h.id in decisions and h.placement.placed})
    for change in fresh_files.values():
        joined = conversation.join(change.path, change.hunks, [], [], attempt)
        merged.append(replace(change, hunks=joined))
        new_ids.extend(h.id for h in joined)
    conversation.produced[attempt] = new_ids
    return ChangeSet(merged, parser=fresh.parser, already_applied=fresh.already_applied), carried


def replace_hunk(
    conversation: Conversation, change_set: ChangeSet, old_id: str, fresh: FileChange, attempt: int
) -> list[str]:
    """A regenerated hunk: the new version's hunks take the old one's place in its file. Returns
    the new hunk ids (none when the answer only repeated what the file's other hunks do)."""
    index, change = next(
        (n, c) for n, c in enumerate(change_set.files) if any(h.id == old_id for h in c.hunks)
    )
    old = next(h for h in change.hunks if h.id == old_id)
    others = [h for h in change.hunks if h.id != old_id]
    if fresh.old_bytes != change.old_bytes:
        raise ValueError(f"{change.path} changed since the review began")
    joined = conversation.join(change.path, fresh.hunks, others, [old], attempt)
    for hunk in joined:  # a regenerated hunk is always the new version of the one it replaces
        conversation.previous[hunk.id] = old
        conversation.hunk_attempt[hunk.id] = conversation.attempt_of(old.id) + 1
    position = change.hunks.index(old)
    hunks = [*change.hunks[:position], *joined, *change.hunks[position + 1 :]]
    change_set.files[index] = replace(change, hunks=hunks)
    conversation.produced.setdefault(attempt, []).extend(hunk.id for hunk in joined)
    return [hunk.id for hunk in joined]


def _on_disk(workdir: Path, path: str) -> bytes | None:
    try:
        return (Path(workdir) / path).read_bytes()
    except OSError:
        return None
