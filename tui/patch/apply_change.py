"""From a reviewed ChangeSet to file writes, applied all-or-nothing through the workspace journal."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tui.errors import PatchbayError
from tui.patch.model import ChangeSet
from tui.workspace.journal import AppliedChange, FileWrite, apply_atomically


class ApplyRefused(PatchbayError):
    """The accepted hunks cannot be applied as asked; nothing was written."""


def plan_writes(
    change_set: ChangeSet,
    accepted: Iterable[str] | None = None,
    *,
    allow_outside: bool = False,
    scope: str = "the task's files_to_modify",
) -> list[FileWrite]:
    """The writes for the accepted hunks (default: every hunk, which must then all be placed).

    Refuses (ApplyRefused) when an accepted hunk failed to place, when a file holding accepted
    hunks was refused (unsafe path, binary ...), or when it lies outside files_to_modify and
    `allow_outside` is False. Files with no accepted hunk are left alone.
    """
    everything = accepted is None
    chosen = {hunk.id for hunk in change_set.hunks} if everything else set(accepted)
    problems: list[str] = []
    writes: list[FileWrite] = []
    for change in change_set.files:
        mine = [hunk for hunk in change.hunks if hunk.id in chosen]
        if change.error is not None and (mine or everything):
            problems.append(f"{change.path}: {change.error.rstrip('.')}")
            continue
        # A rename or mode change goes with the file's hunks; with none, it is the whole change.
        if not mine and not (change.changes_metadata and (everything or not change.hunks)):
            continue
        failed = [hunk for hunk in mine if not hunk.placement.placed]
        if failed:
            problems.extend(f"{hunk.id}: {hunk.placement.describe()}" for hunk in failed)
            continue
        if change.outside_scope and not allow_outside:
            problems.append(f"{change.path} is not among {scope}")
            continue
        new = change.new_bytes({hunk.id for hunk in mine})
        if change.renamed_from is not None:
            writes.append(FileWrite(change.renamed_from, None, change.old_bytes))
            writes.append(FileWrite(change.path, new, None, mode=change.new_mode or change.old_mode))
            continue
        if new == change.old_bytes and not change.changes_metadata:
            continue
        writes.append(FileWrite(change.path, new, change.old_bytes, mode=change.new_mode))
    if problems:
        raise ApplyRefused("Nothing was applied: " + "; ".join(problems) + ".")
    if not writes:
        what = "the change leaves every file as it is" if everything else "the accepted hunks change nothing"
        raise ApplyRefused(f"Nothing was applied: {what}.")
    return writes


def apply_change_set(
    workdir: Path,
    change_set: ChangeSet,
    accepted: Iterable[str] | None = None,
    *,
    allow_outside: bool = False,
    scope: str = "the task's files_to_modify",
) -> AppliedChange:
    """Write the accepted hunks of every file, or none of them (journaled for undo)."""
    writes = plan_writes(change_set, accepted, allow_outside=allow_outside, scope=scope)
    return apply_atomically(Path(workdir), writes)
