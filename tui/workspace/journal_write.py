"""The write phase of an apply or undo (tui/workspace/journal.py), after the check: store the old
contents and an `in_progress` entry durably, stage each new content beside its target (`staged`),
put each in place over exactly the bytes the check read (journal_put.py), mark it `committed`.
A save landing on a target meanwhile stays and the whole change is rolled back; a write that
fails rolls back what was done. Each step is a test seam (journal_steps.py)."""

from __future__ import annotations

import contextlib
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
from tui.workspace.journal_check import ApplyConflict, FileWrite, Target, check_writes, list_paths
from tui.workspace.journal_put import Put, SaveLanded, put_in_place, stage_bytes, undo_puts
from tui.workspace.journal_recover import read_or_none, recover_entry, remove_empty_dirs, sha256_or_none
from tui.workspace.journal_steps import step as _step
from tui.workspace.journal_store import (
    IN_PROGRESS,
    ROLLED_BACK,
    TEMP_SUFFIX,
    FileRecord,
    Journal,
    JournalEntry,
    JournalUnavailable,
)


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


def write_change(
    journal: Journal,
    workdir: Path,
    writes: Sequence[FileWrite],
    *,
    kind: str,
    undoes: str | None = None,
    modes: dict[str, int | None] | None = None,
) -> AppliedChange:
    targets, created_dirs = check_writes(
        journal, workdir, writes, allow_binary=kind == "undo", modes=modes or {}
    )
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
            change = as_change(journal, entry)
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
    targets: list[Target],
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


def _stage_all(journal: Journal, workdir: Path, targets: list[Target], entry: JournalEntry) -> None:
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


def _stage(workdir: Path, target: Target, record: FileRecord, created_dirs: list[str]) -> None:
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


def _put_all_in_place(journal: Journal, workdir: Path, targets: list[Target], entry: JournalEntry) -> None:
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
    journal: Journal, entry: JournalEntry, targets: list[Target], done: list[Put], saved: str
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
            f"{saved} changed while the change was being applied, and so did {list_paths(kept)} after the change "
            f"was written to {'it' if len(kept) == 1 else 'them'} (those saves are kept); "
            "the rest was rolled back, run it again."
        )
    entry.state = ROLLED_BACK
    entry.skipped = kept
    entry.note = message
    journal.drop_prepared_commit(entry)
    journal.save(entry)
    raise ApplyConflict(message)


def as_change(journal: Journal, entry: JournalEntry) -> AppliedChange:
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
