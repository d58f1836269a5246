"""All-or-nothing writes of several files, with an undo journal and recovery after a crash.

Order of work in apply_atomically: check every target (path safety, current bytes equal the
expected ones, text not binary) → store the old contents and an `in_progress` entry durably →
write each file atomically → mark the entry `committed`. A crash before the mark leaves an
`in_progress` entry that recover_interrupted() rolls back at the next start, so the tree ends up
exactly as before or exactly as after, never mixed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tui.errors import PatchbayError
from tui.workspace.atomic import fsync_folder, write_atomically
from tui.workspace.journal_store import (
    COMMITTED,
    IN_PROGRESS,
    ROLLED_BACK,
    TEMP_SUFFIX,
    FileRecord,
    Journal,
    JournalEntry,
)
from tui.workspace.paths import UnsafePathError, is_binary, resolve_in_tree, tree_relative

# Test seam for the kill-during-apply test: seconds to sleep between steps so a kill can land
# between any two of them. Unset in normal use.
STEP_DELAY_ENV = "PATCHBAY_TEST_JOURNAL_STEP_DELAY"


@dataclass(frozen=True)
class FileWrite:
    """One file of a change. `new` None deletes the file; `expected_old` None means it must not exist."""

    path: str
    new: bytes | None
    expected_old: bytes | None


class ApplyConflict(PatchbayError):
    """A file changed since the change was computed (or since it was applied); nothing was written."""


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


@dataclass
class _Target:
    rel: str
    absolute: Path
    current: bytes | None
    new: bytes | None
    mode: int | None


def apply_atomically(workdir: Path, writes: Sequence[FileWrite]) -> AppliedChange:
    """Write every file of `writes` or none of them, journaled for undo() and crash recovery."""
    journal = Journal(workdir)
    with journal.lock():
        return _apply(journal, journal.workdir, writes, kind="apply")


def recover_interrupted(workdir: Path) -> list[str]:
    """Roll back any apply (or undo) a crash left half done; returns the paths put back.

    A file that holds neither the old nor the new bytes was edited after the crash: it is left
    alone (the user's bytes win) and listed in the entry's `skipped`.
    """
    journal = Journal(workdir)
    if not journal.root.is_dir():
        return []
    restored: list[str] = []
    with journal.lock():
        journal.remove_unfinished_folders()
        for entry in journal.entries():
            if entry.state == IN_PROGRESS:
                restored.extend(_roll_back(journal, entry))
    return restored


def undo(workdir: Path, change_id: str | None = None, *, force: bool = False) -> AppliedChange:
    """Put back the files of a change exactly as they were (default: the last change applied here).

    Refuses with ApplyConflict when a file was changed since the change was applied, unless
    `force`. The undo is itself journaled (kind "undo"), so even a forced undo loses nothing.
    Returns the undo's own record; its `undoes` names the change reverted.
    """
    journal = Journal(workdir)
    with journal.lock():
        target = _find_undo_target(journal, change_id)
        base = journal.base_of(target)
        writes: list[FileWrite] = []
        modes: dict[str, int | None] = {}
        changed: list[str] = []
        for record in target.files:
            current = _read(resolve_in_tree(base, record.path))
            if _sha(current) != record.new_sha:
                changed.append(record.path)
            writes.append(FileWrite(record.path, journal.old_bytes(target, record), current))
            modes[record.path] = record.old_mode
        if changed and not force:
            raise ApplyConflict(
                f"{_list(changed)} changed after change {target.id} was applied; undoing it would "
                "overwrite those edits (undo with force to do it anyway)."
            )
        change = _apply(journal, base, writes, kind="undo", undoes=target.id, modes=modes)
        _remove_empty_dirs(base, target.created_dirs)
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
            if _sha(_read(resolve_in_tree(base, record.path))) != record.new_sha
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
    created_ns = time.time_ns()
    entry = JournalEntry(
        id=f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(created_ns / 1e9))}-{secrets.token_hex(4)}",
        kind=kind,
        undoes=undoes,
        created_at=datetime.fromtimestamp(created_ns / 1e9, timezone.utc).isoformat(timespec="seconds"),
        created_ns=created_ns,
        workdir="" if workdir == journal.anchor else workdir.relative_to(journal.anchor).as_posix(),
        state=IN_PROGRESS,
        files=[],
        created_dirs=created_dirs,
    )
    old_contents: dict[str, bytes] = {}
    for index, target in enumerate(targets):
        blob = None
        if target.current is not None:
            blob = f"old-{index}"
            old_contents[blob] = target.current
        old_mode = _mode_of(target.absolute) if target.current is not None else None
        entry.files.append(
            FileRecord(
                path=target.rel,
                old_sha=_sha(target.current),
                new_sha=_sha(target.new),
                old_mode=old_mode,
                new_mode=None if target.new is None else (target.mode or old_mode or _default_mode()),
                blob=blob,
            )
        )
    journal.begin(entry, old_contents)
    _pause()
    try:
        for target, record in zip(targets, entry.files, strict=True):
            _write(workdir, target, record, created_dirs)
            _pause()
    except OSError as error:
        _roll_back(journal, entry)
        raise PatchbayError(
            f"Could not write {target.rel} ({error.strerror}); nothing was changed."
        ) from error
    entry.state = COMMITTED
    journal.save(entry)
    journal.prune()
    return _as_change(journal, entry)


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
        absolute = resolve_in_tree(workdir, write.path)
        rel = tree_relative(workdir, absolute)
        if absolute == journal.root or journal.root in absolute.parents:
            raise UnsafePathError(f"The file path {write.path} is inside Patchbay's own journal.")
        if rel in seen:
            raise PatchbayError(f"The change names {rel} twice.")
        seen.add(rel)
        if absolute.is_dir():
            raise PatchbayError(f"{rel} is a folder, not a file.")
        current = _read(absolute)
        if write.expected_old is None and current is not None:
            raise ApplyConflict(f"{rel} already exists; the change expected to create it.")
        if write.expected_old is not None and current is None:
            raise ApplyConflict(f"{rel} no longer exists; it was removed after the change was computed.")
        if write.expected_old is not None and current != write.expected_old:
            raise ApplyConflict(f"{rel} changed after the change was computed; nothing was written.")
        if not allow_binary and current is not None and is_binary(current):
            raise PatchbayError(f"{rel} is a binary file; Patchbay only changes text files.")
        if not allow_binary and write.new is not None and is_binary(write.new):
            raise PatchbayError(f"The new content for {rel} is binary; Patchbay only writes text files.")
        if write.new is not None:
            for folder in _missing_folders(workdir, absolute, rel):
                if folder not in created_dirs:
                    created_dirs.append(folder)
        targets.append(_Target(rel, absolute, current, write.new, modes.get(rel)))
    created_dirs.sort(key=lambda path: path.count("/"))
    return targets, created_dirs


def _missing_folders(workdir: Path, absolute: Path, rel: str) -> list[str]:
    missing: list[str] = []
    folder = absolute.parent
    while not folder.exists():
        missing.append(tree_relative(workdir, folder))
        folder = folder.parent
    if not folder.is_dir():
        raise PatchbayError(f"Cannot create {rel}: {tree_relative(workdir, folder)} is a file, not a folder.")
    return missing


def _write(workdir: Path, target: _Target, record: FileRecord, created_dirs: list[str]) -> None:
    if target.new is None:
        target.absolute.unlink(missing_ok=True)
        fsync_folder(target.absolute.parent)
        return
    for folder in created_dirs:
        path = workdir / folder
        if path in target.absolute.parents and not path.exists():
            path.mkdir()
            fsync_folder(path.parent)
    write_atomically(target.absolute, target.new, mode=record.new_mode)


def _roll_back(journal: Journal, entry: JournalEntry) -> list[str]:
    """Put each file of an unfinished entry back to its old bytes; safe to run again after a crash."""
    base = journal.base_of(entry)
    restored: list[str] = []
    skipped: list[str] = []
    for record in entry.files:
        try:
            absolute = resolve_in_tree(base, record.path)
        except UnsafePathError:
            skipped.append(record.path)  # a symlink appeared since: writing through it is unsafe
            continue
        _remove_temp_files(absolute)
        current_sha = _sha(_read(absolute))
        if current_sha == record.old_sha:
            continue
        if current_sha != record.new_sha:
            skipped.append(record.path)
            continue
        old = journal.old_bytes(entry, record)
        if old is None:
            absolute.unlink(missing_ok=True)
            fsync_folder(absolute.parent)
        else:
            absolute.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(absolute, old, mode=record.old_mode)
        restored.append(record.path)
    _remove_empty_dirs(base, entry.created_dirs)
    entry.state = ROLLED_BACK
    entry.skipped = skipped
    journal.save(entry)
    return restored


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


def _remove_empty_dirs(base: Path, created_dirs: list[str]) -> None:
    for folder in sorted(created_dirs, key=lambda path: path.count("/"), reverse=True):
        with contextlib.suppress(OSError):  # not empty (someone put files there) or already gone
            (base / folder).rmdir()


def _remove_temp_files(absolute: Path) -> None:
    # A kill inside write_atomically leaves its temporary file beside the target.
    with contextlib.suppress(OSError):
        for leftover in absolute.parent.glob(f".{_glob_escape(absolute.name)}.*{TEMP_SUFFIX}"):
            leftover.unlink(missing_ok=True)


def _glob_escape(name: str) -> str:
    return "".join(f"[{char}]" if char in "*?[" else char for char in name)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _mode_of(path: Path) -> int:
    return os.stat(path).st_mode & 0o7777


def _default_mode() -> int:
    """0o666 minus the umask, read without changing it where Linux allows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o644


def _list(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def _pause() -> None:
    delay = os.environ.get(STEP_DELAY_ENV)
    if delay:
        time.sleep(float(delay))
