"""The focused follow-up of a review: which hunks are kept, which are asked for again and why,
read from the change set, the reviewer's decisions and the conversation's notes."""

from __future__ import annotations

from collections.abc import Mapping

from tui.patch.conversation import Conversation, Decision, hunk_region, hunk_text
from tui.patch.failure_text import QUOTE_LINES, with_closest
from tui.patch.model import ChangeSet, FileChange, Hunk
from tui.prompts.follow_up import AskedHunk, FollowUp, KeptHunk


def _lines(hunk: Hunk) -> str:
    region = hunk_region(hunk)
    if region is None:
        return "?"
    return str(region[0]) if region[0] == region[1] else f"{region[0]}-{region[1]}"


def closest_lines(change: FileChange, hunk: Hunk) -> str:
    """The file's actual lines in the closest region of a failed hunk, numbered (at most
    QUOTE_LINES of them); "" when there is none."""
    closest = hunk.placement.closest
    if change.old is None or closest is None:
        return ""
    first, last = closest
    region = change.old.lines[first - 1 : min(last, first - 1 + QUOTE_LINES)]
    return "\n".join(f"{first + n:>4} | {text}" for n, text in enumerate(region))


def follow_up_for(
    change_set: ChangeSet, decisions: Mapping[str, Decision], conversation: Conversation
) -> FollowUp:
    """Kept: accepted hunks and undecided ones that placed (they are not asked again). Rejected:
    with the reviewer's note. Failed: unplaced hunks and refused files, with why and where."""
    kept: list[KeptHunk] = []
    rejected: list[AskedHunk] = []
    failed: list[AskedHunk] = []
    for change in change_set.files:
        if change.error is not None:
            text = "\n".join(hunk_text(hunk) for hunk in change.hunks)
            failed.append(AskedHunk(change.path, "?", text, reason=change.error))
            continue
        with_closest(change)  # a failed hunk is redone against the lines it should have matched
        for hunk in change.hunks:
            note = conversation.note_for(hunk.id)
            decision = decisions.get(hunk.id)
            if not hunk.placement.placed:
                reason = hunk.placement.describe().removeprefix("failed: ")
                failed.append(
                    AskedHunk(
                        change.path,
                        _lines(hunk),
                        hunk_text(hunk),
                        note=note,
                        reason=reason,
                        closest=closest_lines(change, hunk),
                    )
                )
            elif decision == "rejected":
                rejected.append(AskedHunk(change.path, _lines(hunk), hunk_text(hunk), note=note))
            else:
                attempt = conversation.attempt_of(hunk.id)
                kept.append(KeptHunk(change.path, _lines(hunk), hunk_text(hunk), note=note, attempt=attempt))
    return FollowUp(tuple(kept), tuple(rejected), tuple(failed), conversation.note_for(None))
