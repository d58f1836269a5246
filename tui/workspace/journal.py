"""All-or-nothing writes of several files, with an undo journal and recovery after a crash.

Order of work in apply_atomically: recover any change a crash left unfinished → check every
target (path safety, a regular file, current bytes equal the expected ones, text) → store the
old contents and an `in_progress` entry durably → write each new content to a temporary file
beside its target and record that file's inode and mtime (`staged`) → put each in place, compared
with the bytes the check read right before and right after (journal_put.py) → mark the entry
`committed`. A save landing on a target meanwhile stays at its path and the whole change is rolled
back. SIGINT and SIGTERM wait until the entry is committed or rolled back. Recovery
(journal_recover.py) puts back only files that provably still hold what the interrupted change
wrote, so the tree ends up exactly as before or exactly as after.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from tui.errors import PatchbayError
from tui.workspace import atomic
from tui.workspace.atomic import default_file_mode
from tui.workspace.deferred_signals import Interrupted, deferred_signals
from tui.workspace.journal_put import Put, SaveLanded, put_in_place, stage_bytes, undo_puts
from tui.workspace.journal_recover import (
    Recovered,
    read_or_none,
    recover_entries,
    recover_entry,
    remove_empty_dirs,
    sha256_or_none,
)
from tui.workspace.journal_steps import PAUSE_ENV as PAUSE_ENV
from tui.workspace.journal_steps import step as _step
from tui.workspace.journal_store import (
    COMMITTED,
    IN_PROGRESS,
    ROLLED_BACK,
    TEMP_SUFFIX,
    FileRecord,
    Journal,
    JournalEntry,
    JournalUnavailable,
)
from tui.workspace.paths import UnsafePathError, not_text_reason, read_regular, resolve_in_tree, tree_relative


@dataclass(frozen=True)
class FileWrite:
    """One file of a change. `new` None deletes the file; `expected_old` None means it must not exist.

    `mode`: the new permission bits (None keeps the file's own, or the default for a new file).
    """

    path: str
    new: bytes | None
    expected_old: bytes | None
    mode: int | None = None


class ApplyConflict(PatchbayError):
    """A file changed since the change was computed (or since it was applied); nothing was written."""


@dataclass
class _Target:
    rel: str
    absolute: Path
    current: bytes | None
    new: bytes | None
    mode: int | None
    old_mode: int | None = None


@dataclass
class AppliedChange:
    """A change as recorded in the journal. Paths are POSIX, relative to `workdir`."""

    id: str
    workdir: Path
    files: list[str]
    old_hashes: dict[str, str | None] = field(default_factory=dict)  # sha256 hex; None = did not exist
    new_hashes: dict[str, str | None] = field(default_factory=dict)  # None = deleted
    created_at: str = ""  # ISO 8601, UTC
    kind: str = "apply"  # "apply", or "undo" for the change undo() made
    undoes: str | None = None  # for kind "undo": the id of the change it reverted
    created_dirs: list[str] = field(default_factory=list)


def apply_atomically(workdir: Path, writes: Sequence[FileWrite]) -> AppliedChange:
    """Write every file of `writes` or none of them, journaled for undo() and crash recovery.

    A change a crash left unfinished is recovered first (see recover()), so no stale entry
    ever outlives a later change.
    """
    journal = Journal(workdir)
    with journal.lock():
        _recover_first(journal)
        return _apply(journal, journal.workdir, writes, kind="apply")


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
                f"{_list(changed)} changed after change {target.id} was applied; undoing it would "
                "overwrite those edits (undo with force to do it anyway)."
            )
        change = _apply(journal, base, writes, kind="undo", undoes=target.id, modes=modes)
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
        _as_change(journal, entry)
        for entry in journal.entries()
        if entry.state == COMMITTED and entry.workdir == journal.workdir_key
    ]


def last_undoable_change(workdir: Path) -> AppliedChange | None:
    """The change undo() would revert by default, or None."""
    journal = Journal(workdir)
    try:
        return _as_change(journal, _find_undo_target(journal, None))
    except PatchbayError:
        return None


def _apply(
    journal: Journal,
    workdir: Path,
    writes: Sequence[FileWrite],
    *,
    kind: str,
    undoes: str | None = None,
    modes: dict[str, int | None] | None = None,
) -> AppliedChange:
    targets, created_dirs = _check(journal, workdir, writes, allow_binary=kind == "undo", modes=modes or {})
    entry = _new_entry(journal, workdir, targets, created_dirs, kind, undoes)
    old_contents = {
        record.blob: target.current
        for target, record in zip(targets, entry.files, strict=True)
        if record.blob is not None and target.current is not None
    }
    change: AppliedChange | None = None
    try:
        with deferred_signals():
            _begin(journal, entry, old_contents)
            _stage_all(journal, workdir, targets, entry)
            _put_all_in_place(journal, workdir, targets, entry)
            change = _as_change(journal, entry)
            _step("committed")
    except Interrupted as stop:
        stop.change = change  # the write phase is over: committed (a change) or rolled back (None)
        raise
    with contextlib.suppress(OSError):  # old entries stay when the disk is full; nothing depends on it
        journal.prune()
    return change


def _new_entry(
    journal: Journal,
    workdir: Path,
    targets: list[_Target],
    created_dirs: list[str],
    kind: str,
    undoes: str | None,
) -> JournalEntry:
    created_ns = time.time_ns()
    entry_id = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(created_ns / 1e9))}-{secrets.token_hex(4)}"
    entry = JournalEntry(
        id=entry_id,
        kind=kind,
        undoes=undoes,
        created_at=datetime.fromtimestamp(created_ns / 1e9, timezone.utc).isoformat(timespec="seconds"),
        created_ns=created_ns,
        workdir="" if workdir == journal.anchor else workdir.relative_to(journal.anchor).as_posix(),
        state=IN_PROGRESS,
        files=[],
        created_dirs=created_dirs,
        head=journal.head_state(),
    )
    for index, target in enumerate(targets):
        old_mode = target.old_mode
        # Short and unique: the target's own name may already be near the 255-byte limit. A
        # deletion moves the old file aside here, to check it before it is dropped.
        temp = (PurePosixPath(target.rel).parent / f".{entry_id}-{index}{TEMP_SUFFIX}").as_posix()
        entry.files.append(
            FileRecord(
                path=target.rel,
                old_sha=sha256_or_none(target.current),
                new_sha=sha256_or_none(target.new),
                old_mode=old_mode,
                new_mode=None if target.new is None else (target.mode or old_mode or default_file_mode()),
                blob=None if target.current is None else f"old-{index}",
                temp=temp,
            )
        )
    return entry


def _begin(journal: Journal, entry: JournalEntry, old_contents: dict[str, bytes]) -> None:
    try:
        journal.begin(entry, old_contents)
    except OSError as error:
        journal.discard(entry)
        raise JournalUnavailable(
            f"The undo journal in {journal.root} cannot be written ({error.strerror}); nothing was changed."
        ) from None
    _step("journal entry written")


def _stage_all(journal: Journal, workdir: Path, targets: list[_Target], entry: JournalEntry) -> None:
    """Every new content into its temporary file, then `staged` in the entry. No target changes yet."""
    where = "the undo journal"
    try:
        for target, record in zip(targets, entry.files, strict=True):
            where = target.rel
            _stage(workdir, target, record, entry.created_dirs)
            _step(f"staged {target.rel}")
        where = "the undo journal"
        entry.staged = True
        journal.save(entry)
        journal.prepare_commit(entry)
    except OSError as error:
        entry.staged = False
        _abandon(journal, entry)
        raise PatchbayError(f"Could not write {where} ({error.strerror}); nothing was changed.") from None
    _step("staged")


def _stage(workdir: Path, target: _Target, record: FileRecord, created_dirs: list[str]) -> None:
    if target.new is None or record.temp is None:
        return
    for folder in created_dirs:
        path = workdir / folder
        if path in target.absolute.parents and not path.exists():
            path.mkdir()
            atomic.fsync_folder(path.parent)
    status = stage_bytes(workdir / record.temp, target.new, record.new_mode or default_file_mode())
    record.stamp = [status.st_ino, status.st_mtime_ns]


def _abandon(journal: Journal, entry: JournalEntry) -> None:
    """Undo the staging of a change that never renamed a file: temporary files, new folders."""
    base = journal.base_of(entry)
    for record in entry.files:
        if record.temp is not None:
            with contextlib.suppress(OSError):
                (base / record.temp).unlink(missing_ok=True)
    remove_empty_dirs(base, entry.created_dirs)
    entry.state = ROLLED_BACK
    try:
        journal.drop_prepared_commit(entry)
        journal.save(entry)
    except OSError:
        journal.discard(entry)  # it changed nothing, so forgetting it loses nothing


def _put_all_in_place(journal: Journal, workdir: Path, targets: list[_Target], entry: JournalEntry) -> None:
    """Each staged file in place over exactly the bytes _check read; a save landing meanwhile wins."""
    what = "write the files"
    done: list[Put] = []
    try:
        for target, record in zip(targets, entry.files, strict=True):
            what = f"write {target.rel}"
            assert record.temp is not None
            put = Put(target.absolute, target.current, target.new, workdir / record.temp, entry.id)
            try:
                put_in_place(put)
            except SaveLanded:
                _roll_back_after_save(journal, entry, targets, done, target.rel)
            done.append(put)
            _step(f"wrote {target.rel}")
        what = "mark the change done in the undo journal"
        journal.commit(entry)
    except OSError as error:
        entry.state = IN_PROGRESS
        try:
            recover_entry(journal, entry, [entry])
        except OSError as second:
            raise PatchbayError(
                f"Could not {what} ({error.strerror}), and rolling back failed too ({second.strerror}); "
                "the next patchbay command will put the files back."
            ) from None
        raise PatchbayError(f"Could not {what} ({error.strerror}); nothing was changed.") from None


def _roll_back_after_save(
    journal: Journal, entry: JournalEntry, targets: list[_Target], done: list[Put], saved: str
) -> None:
    """All or nothing: the files already put go back (each over exactly what it wrote), the save stays."""
    _step(f"save landed on {saved}")
    base = journal.base_of(entry)
    for target, record in list(zip(targets, entry.files, strict=True))[len(done) :]:
        temp = base / (record.temp or "")
        if record.temp is not None and target.new is not None and read_or_none(temp) == target.new:
            temp.unlink()  # staged, never put
    modes = [record.old_mode for record in entry.files[: len(done)]]
    left = {str(path) for path in undo_puts(done, modes)}
    remove_empty_dirs(base, entry.created_dirs)
    kept = [target.rel for target in targets if str(target.absolute) in left]
    message = f"{saved} changed while the change was being applied; nothing was applied, run it again."
    if kept:  # saved into after its put as well: that save is kept, so its file holds the change
        message = (
            f"{saved} changed while the change was being applied, and so did {_list(kept)} after the change "
            f"was written to {'it' if len(kept) == 1 else 'them'} (those saves are kept); "
            "the rest was rolled back, run it again."
        )
    entry.state = ROLLED_BACK
    entry.skipped = kept
    entry.note = message
    journal.drop_prepared_commit(entry)
    journal.save(entry)
    raise ApplyConflict(message)


def _check(
    journal: Journal,
    workdir: Path,
    writes: Sequence[FileWrite],
    *,
    allow_binary: bool,
    modes: dict[str, int | None],
) -> tuple[list[_Target], list[str]]:
    """Everything that can refuse the change happens here, before a single byte is written."""
    if not writes:
        raise PatchbayError("The change holds no files to write.")
    targets: list[_Target] = []
    seen: set[str] = set()
    created_dirs: list[str] = []
    for write in writes:
        try:
            targets.append(_check_one(journal, workdir, write, seen, created_dirs, allow_binary, modes))
        except OSError as error:  # an unreadable folder on the way, say
            raise PatchbayError(
                f"{write.path} cannot be checked ({error.strerror}); nothing was written."
            ) from None
    created_dirs.sort(key=lambda path: path.count("/"))
    return targets, created_dirs


def _check_one(
    journal: Journal,
    workdir: Path,
    write: FileWrite,
    seen: set[str],
    created_dirs: list[str],
    allow_binary: bool,
    modes: dict[str, int | None],
) -> _Target:
    absolute = resolve_in_tree(workdir, write.path)
    rel = tree_relative(workdir, absolute)
    if absolute == journal.root or journal.root in absolute.parents:
        raise UnsafePathError(f"The file path {write.path} is inside Patchbay's own journal.")
    if rel in seen:
        raise PatchbayError(f"The change names {rel} twice.")
    seen.add(rel)
    current = read_regular(absolute, rel)
    if write.expected_old is None and current is not None:
        raise ApplyConflict(f"{rel} already exists; the change expected to create it.")
    if write.expected_old is not None and current is None:
        raise ApplyConflict(f"{rel} no longer exists; it was removed after the change was computed.")
    if write.expected_old is not None and current != write.expected_old:
        raise ApplyConflict(f"{rel} changed after the change was computed; nothing was written.")
    if not allow_binary and current is not None and (reason := not_text_reason(current)):
        raise PatchbayError(f"{rel} is {reason}; Patchbay only changes UTF-8 text files.")
    if not allow_binary and write.new is not None and (reason := not_text_reason(write.new)):
        raise PatchbayError(f"The new content for {rel} is {reason}; Patchbay only writes UTF-8 text files.")
    if write.new is not None:
        for folder in _missing_folders(workdir, absolute, rel):
            if folder not in created_dirs:
                created_dirs.append(folder)
    mode = write.mode if write.mode is not None else modes.get(rel)
    old_mode = _mode_of(absolute) if current is not None else None
    return _Target(rel, absolute, current, write.new, mode, old_mode)


def _missing_folders(workdir: Path, absolute: Path, rel: str) -> list[str]:
    missing: list[str] = []
    folder = absolute.parent
    while not folder.exists():
        missing.append(tree_relative(workdir, folder))
        folder = folder.parent
    if not folder.is_dir():
        raise PatchbayError(f"Cannot create {rel}: {tree_relative(workdir, folder)} is a file, not a folder.")
    return missing


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


def _as_change(journal: Journal, entry: JournalEntry) -> AppliedChange:
    return AppliedChange(
        id=entry.id,
        workdir=journal.base_of(entry),
        files=[record.path for record in entry.files],
        old_hashes={record.path: record.old_sha for record in entry.files},
        new_hashes={record.path: record.new_sha for record in entry.files},
        created_at=entry.created_at,
        kind=entry.kind,
        undoes=entry.undoes,
        created_dirs=list(entry.created_dirs),
    )


def _mode_of(path: Path) -> int:
    return os.stat(path).st_mode & 0o7777


def _list(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
