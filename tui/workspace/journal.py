"""All-or-nothing writes of several files, with an undo journal and recovery after a crash.

Order of work in apply_atomically: recover any change a crash left unfinished → check every
target (path safety, a regular file, current bytes equal the expected ones, text: journal_check.py)
→ then write (journal_write.py): store the old contents and an `in_progress` entry durably →
write each new content to a temporary file beside its target and record that file's inode and
mtime (`staged`) → put each in place, compared with the bytes the check read right before and right
after (journal_put.py) → mark the entry `committed`. A save landing on a target meanwhile stays at
its path and the whole change is rolled back. SIGINT and SIGTERM wait until the entry is committed
or rolled back. Recovery (journal_recover.py) puts back only files that provably still hold what
the interrupted change wrote, so the tree ends up exactly as before or exactly as after.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tui.errors import PatchbayError
from tui.workspace.deferred_signals import deferred_signals
from tui.workspace.journal_check import ApplyConflict, FileWrite, list_paths
from tui.workspace.journal_recover import Recovered, recover_entries, remove_empty_dirs, sha256_or_none
from tui.workspace.journal_steps import PAUSE_ENV as PAUSE_ENV
from tui.workspace.journal_store import COMMITTED, Journal, JournalEntry
from tui.workspace.journal_write import AppliedChange, as_change, write_change
from tui.workspace.paths import read_regular, resolve_in_tree


def apply_atomically(workdir: Path, writes: Sequence[FileWrite]) -> AppliedChange:
    """Write every file of `writes` or none of them, journaled for undo() and crash recovery.

    A change a crash left unfinished is recovered first (see recover()), so no stale entry
    ever outlives a later change.
    """
    journal = Journal(workdir)
    with journal.lock():
        _recover_first(journal)
        return write_change(journal, journal.workdir, writes, kind="apply")


def recover(workdir: Path) -> list[Recovered]:
    """Finish what a crash (kill, power loss) left of an apply or undo; one report per change.

    A change is rolled back only when every file still holds either its old bytes or exactly
    the file this change wrote (same inode, mtime and bytes) and git's HEAD has not moved.
    Otherwise the tree moved on since (a later change, a commit, an edit), and the change is
    retired with every file left as it is. Each report's `message` says what was done.
    """
    journal = Journal(workdir)
    if not journal.root.is_dir():
        return []
    with journal.lock(), deferred_signals():
        return recover_entries(journal)


def recover_interrupted(workdir: Path) -> list[str]:
    """recover(), returning only the paths put back (what a start-up notice lists)."""
    return [path for report in recover(workdir) for path in report.restored]


def _recover_first(journal: Journal) -> None:
    """No change starts while an interrupted one is unfinished (its report is kept in the journal)."""
    with deferred_signals():
        reports = recover_entries(journal)
    for report in reports:
        if report.pending:
            raise PatchbayError(f"{report.message[:-1]}; nothing was changed.")


def undo(workdir: Path, change_id: str | None = None, *, force: bool = False) -> AppliedChange:
    """Put back the files of a change exactly as they were (default: the last change applied here).

    Refuses with ApplyConflict when a file was changed since the change was applied, unless
    `force`. The undo is itself journaled (kind "undo"), so even a forced undo loses nothing.
    Returns the undo's own record; its `undoes` names the change reverted.
    """
    journal = Journal(workdir)
    with journal.lock():
        _recover_first(journal)
        target = _find_undo_target(journal, change_id)
        base = journal.base_of(target)
        writes: list[FileWrite] = []
        modes: dict[str, int | None] = {}
        changed: list[str] = []
        for record in target.files:
            current = read_regular(resolve_in_tree(base, record.path), record.path)
            if sha256_or_none(current) != record.new_sha:
                changed.append(record.path)
            writes.append(FileWrite(record.path, journal.old_bytes(target, record), current))
            modes[record.path] = record.old_mode
        if changed and not force:
            raise ApplyConflict(
                f"{list_paths(changed)} changed after change {target.id} was applied; undoing it would "
                "overwrite those edits (undo with force to do it anyway)."
            )
        change = write_change(journal, base, writes, kind="undo", undoes=target.id, modes=modes)
        remove_empty_dirs(base, target.created_dirs)
        return change


def undo_blockers(workdir: Path, change_id: str | None = None) -> list[str]:
    """Files undo() would refuse over (changed since the change was applied); empty when it can go."""
    journal = Journal(workdir)
    with journal.lock():
        target = _find_undo_target(journal, change_id)
        base = journal.base_of(target)
        return [
            record.path
            for record in target.files
            if sha256_or_none(read_regular(resolve_in_tree(base, record.path), record.path)) != record.new_sha
        ]


def applied_changes(workdir: Path) -> list[AppliedChange]:
    """Committed changes made in `workdir` (applies and undos), oldest first."""
    journal = Journal(workdir)
    return [
        as_change(journal, entry)
        for entry in journal.entries()
        if entry.state == COMMITTED and entry.workdir == journal.workdir_key
    ]


def last_undoable_change(workdir: Path) -> AppliedChange | None:
    """The change undo() would revert by default, or None."""
    journal = Journal(workdir)
    try:
        return as_change(journal, _find_undo_target(journal, None))
    except PatchbayError:
        return None


def _find_undo_target(journal: Journal, change_id: str | None) -> JournalEntry:
    entries = journal.entries()
    undone = {entry.undoes for entry in entries if entry.kind == "undo" and entry.state == COMMITTED}
    if change_id is not None:
        for entry in entries:
            if entry.id == change_id and entry.kind == "apply" and entry.state == COMMITTED:
                if entry.id in undone:
                    raise PatchbayError(f"Change {change_id} was already undone.")
                return entry
        raise PatchbayError(f"There is no applied change {change_id} in the journal.")
    for entry in reversed(entries):
        mine = entry.kind == "apply" and entry.workdir == journal.workdir_key
        if mine and entry.state == COMMITTED and entry.id not in undone:
            return entry
    raise PatchbayError("There is no applied change to undo.")
