"""Recovery of a change a crash left `in_progress`: roll back only what is provably its own write.

A file counts as the interrupted change's write only when it is the very file that change
staged (same inode and mtime) and still holds its bytes. Anything else — a file edited since,
a later change in the journal, a commit (git's HEAD moved) — means the tree moved on: the
entry is retired and every file is left as it is, because putting old bytes back then would
revert work done after the crash. Either way the report says what happened.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from tui.workspace.atomic import fsync_folder
from tui.workspace.file_version import look
from tui.workspace.journal_put import PARTIAL_SUFFIX, Put, SaveLanded, kept_as, put_in_place, stage_bytes
from tui.workspace.journal_steps import step
from tui.workspace.journal_store import (
    COMMITTED,
    IN_PROGRESS,
    RETIRED,
    ROLLED_BACK,
    TEMP_SUFFIX,
    FileRecord,
    Journal,
    JournalEntry,
)
from tui.workspace.paths import UnsafePathError, resolve_in_tree

BEFORE = "before"  # holds the bytes it had before the change (or is still absent)
OURS = "ours"  # is exactly what the interrupted change wrote (or deleted)
CHANGED = "changed"  # anything else: edited, replaced, or not a regular file any more
SAVED = "saved"  # a user's save landed while the change was put in place: it is at the path now


@dataclass(frozen=True)
class Recovered:
    """What recovery did with one interrupted change."""

    change_id: str
    rolled_back: bool  # False: retired, the tree left as it is
    restored: list[str] = field(default_factory=list)  # files put back to their old bytes
    left: list[str] = field(default_factory=list)  # files still holding the interrupted change
    message: str = ""
    pending: bool = False  # could not be finished (a full disk ...): the entry stays in progress


def recover_entries(journal: Journal) -> list[Recovered]:
    """Recover every `in_progress` entry; the caller holds the journal lock."""
    journal.remove_unfinished_folders()
    entries = journal.entries()
    reports: list[Recovered] = []
    for entry in entries:
        if entry.state != IN_PROGRESS:
            continue
        try:
            reports.append(recover_entry(journal, entry, entries))
        except OSError as error:  # a full disk, say: the entry stays in progress for the next try
            entry.state = IN_PROGRESS
            message = (
                f"An interrupted {'undo' if entry.kind == 'undo' else 'apply'} (change {entry.id}) "
                f"could not be rolled back yet ({error.strerror}); Patchbay tries again next time."
            )
            left = [record.path for record in entry.files]
            reports.append(Recovered(entry.id, False, [], left, message, pending=True))
    return reports


def recover_entry(journal: Journal, entry: JournalEntry, entries: list[JournalEntry]) -> Recovered:
    base = journal.base_of(entry)
    what = f"An interrupted {'undo' if entry.kind == 'undo' else 'apply'} (change {entry.id})"
    if entry.version >= 2 and not entry.staged:
        # Nothing was renamed into place yet: only temporary files and empty folders to clear.
        _remove_temps(base, entry)
        remove_empty_dirs(base, entry.created_dirs)
        return _finish(
            journal, entry, True, [], [], f"{what} had not changed any file yet; it was discarded."
        )
    saved = _rescue_saves(base, entry)
    states = {record.path: SAVED if record.path in saved else _state(base, record) for record in entry.files}
    ours = [path for path, state in states.items() if state == OURS]
    kept = f" ({_list(saved)} kept the save that landed while it wrote)" if saved else ""
    if all(state in (BEFORE, SAVED) for state in states.values()):
        _remove_temps(base, entry)
        remove_empty_dirs(base, entry.created_dirs)
        return _finish(
            journal, entry, True, [], [], f"{what} had not changed any file yet; it was discarded{kept}."
        )
    moved = _moved_on(journal, entry, entries, states)
    if moved:
        _remove_temps(base, entry)
        held = f"; {_list(ours)} still hold{'s' if len(ours) == 1 else ''} its change" if ours else ""
        message = f"{what} was left as it is because the tree moved on since ({'; '.join(moved)}){held}."
        return _finish(journal, entry, False, [], ours, message)
    landed: list[str] = []
    for record in entry.files:
        if states[record.path] == OURS:
            if _put_back(journal, entry, base, record):
                step(f"put back {record.path}")
            else:
                landed.append(record.path)
    _remove_temps(base, entry)
    remove_empty_dirs(base, entry.created_dirs)
    restored = [path for path in ours if path not in landed]
    if landed:  # saved into while recovery put it back: the save stays, and says so
        kept += f" ({_list(landed)} kept the save that landed while it was put back)"
    message = f"{what} was rolled back: {_list(restored) or 'no file'} put back as before it{kept}."
    return _finish(journal, entry, True, restored, [], message)


def _rescue_saves(base: Path, entry: JournalEntry) -> list[str]:
    """Files whose temporary name holds a user's version (a put's exchange moved it there).

    Anything but the staged or the old bytes there is a user's save: it goes back to the path when
    the path holds only the change's or the old bytes (or nothing); otherwise a later save is there,
    and it is kept beside it (`NAME.patchbay-kept-…`). Returns the paths saved into.
    """
    saved: list[str] = []
    for record in entry.files:
        if record.temp is None:
            continue
        try:
            temp = resolve_in_tree(base, record.temp)
            held = look(temp)
        except (OSError, UnsafePathError):
            continue
        if held is None or sha256_or_none(held.data) in (record.old_sha, record.new_sha):
            continue
        absolute = resolve_in_tree(base, record.path)
        if _state(base, record) == CHANGED:
            kept_as(absolute, temp, entry.id)  # a later save is at the path: both stay
        else:
            os.replace(temp, absolute)
        fsync_folder(absolute.parent)
        saved.append(record.path)  # a save landed during the write: roll back the rest, as an apply does
    return saved


def _moved_on(
    journal: Journal, entry: JournalEntry, entries: list[JournalEntry], states: dict[str, str]
) -> list[str]:
    """Why the tree is no longer the one the interrupted change left, if it is not."""
    reasons: list[str] = []
    if entry.version < 2:
        reasons.append("it was recorded by an older Patchbay that kept no proof of its writes")
    if entry.head != journal.head_state():
        reasons.append("git's HEAD moved: a commit or checkout")
    mine = set(states)
    for later in entries:
        if later is entry or later.state != COMMITTED or later.created_ns < entry.created_ns:
            continue
        overlap = sorted(mine & {record.path for record in later.files})
        if overlap and journal.base_of(later) == journal.base_of(entry):
            reasons.append(f"the later change {later.id} wrote {_list(overlap)}")
    changed = [path for path, state in states.items() if state == CHANGED]
    if changed:
        reasons.append(f"{_list(changed)} changed after it")
    return reasons


def _state(base: Path, record: FileRecord) -> str:
    try:
        absolute = resolve_in_tree(base, record.path)
        status = os.stat(absolute)
    except FileNotFoundError:
        if record.old_sha is None:
            return BEFORE
        # Deleted: by this change, or by hand to the same end; putting it back is the roll back.
        return OURS if record.new_sha is None else CHANGED
    except (OSError, UnsafePathError):
        return CHANGED
    if not stat.S_ISREG(status.st_mode):
        return CHANGED
    try:
        digest = sha256_or_none(absolute.read_bytes())
    except OSError:
        return CHANGED
    if digest == record.new_sha and record.stamp in (None, [status.st_ino, status.st_mtime_ns]):
        return OURS  # no stamp: an older entry, which _moved_on never lets roll back
    return BEFORE if digest == record.old_sha else CHANGED


def _put_back(journal: Journal, entry: JournalEntry, base: Path, record: FileRecord) -> bool:
    """The old bytes back over exactly the change's bytes, as a put: False when a save landed
    meanwhile (the save stays at the path)."""
    absolute = resolve_in_tree(base, record.path)
    old = journal.old_bytes(entry, record)
    current = read_or_none(absolute)
    if sha256_or_none(current) != record.new_sha:
        return False  # saved into since its state was read
    # The swap name is the entry's own temporary name, so a crash here leaves nothing that
    # _remove_temps and _rescue_saves do not already handle; what it holds now is ours.
    swap = base / (record.temp or f"{record.path}{TEMP_SUFFIX}")
    held = look(swap)
    if held is not None:
        if sha256_or_none(held.data) not in (record.old_sha, record.new_sha):
            return False  # a user's version there that the rescue could not move: leave all as is
        swap.unlink()
    absolute.parent.mkdir(parents=True, exist_ok=True)
    if old is not None:
        partial = swap.with_name(swap.name + PARTIAL_SUFFIX)
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        stage_bytes(partial, old, record.old_mode)
        os.rename(partial, swap)
    try:
        put_in_place(Put(absolute, current, old, swap, entry.id))
    except SaveLanded:
        return False
    return True


def read_or_none(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _finish(
    journal: Journal,
    entry: JournalEntry,
    rolled_back: bool,
    restored: list[str],
    left: list[str],
    message: str,
) -> Recovered:
    entry.state = ROLLED_BACK if rolled_back else RETIRED
    entry.note = message
    entry.skipped = left
    journal.drop_prepared_commit(entry)
    journal.save(entry)
    return Recovered(entry.id, rolled_back, restored, left, message)


def _remove_temps(base: Path, entry: JournalEntry) -> None:
    for record in entry.files:
        with contextlib.suppress(OSError, UnsafePathError):
            if record.temp is not None:
                (base / (record.temp + PARTIAL_SUFFIX)).unlink(missing_ok=True)
                held = look(base / record.temp)
                # after a put's exchange only the staged or old bytes there are ours to drop
                if held is not None and (
                    not entry.staged or sha256_or_none(held.data) in (record.old_sha, record.new_sha)
                ):
                    (base / record.temp).unlink()
            # A kill inside write_atomically (while putting a file back) leaves its temporary file.
            absolute = resolve_in_tree(base, record.path)
            for leftover in absolute.parent.glob(f".{_glob_escape(absolute.name)}.*{TEMP_SUFFIX}"):
                leftover.unlink(missing_ok=True)


def remove_empty_dirs(base: Path, created_dirs: list[str]) -> None:
    for folder in sorted(created_dirs, key=lambda path: path.count("/"), reverse=True):
        with contextlib.suppress(OSError):  # not empty (someone put files there) or already gone
            (base / folder).rmdir()


def sha256_or_none(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _glob_escape(name: str) -> str:
    return "".join(f"[{char}]" if char in "*?[" else char for char in name)


def _list(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
