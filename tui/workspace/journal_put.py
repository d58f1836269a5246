"""Putting one staged file of an apply in place only over the bytes the apply read, with no window.

A user's save can land at any moment of the write phase: a new file renamed over the target, or
bytes written into whatever file is there. So the target is compared with what the apply read
right before the put, and the put itself is `renameat2(RENAME_EXCHANGE)`: the replaced file stays
under the staged file's name, and right after the put both are compared again — the path must
hold the staged file untouched (same inode, same bytes), and the file moved out must be the one
compared before (and nobody writing it). If either changed, a save landed: the newest version is
left at the path (exchanging back when the save went into the file moved out), and SaveLanded
tells the caller to roll the whole change back. Where there is no exchange, a plain rename is
checked right before and after. A new file is linked into place (never over one that appeared);
a deleted file is moved aside and checked before it is dropped.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tui.workspace import atomic
from tui.workspace.atomic import fsync_folder
from tui.workspace.file_version import Version, look
from tui.workspace.rename_exchange import exchange

# Each exchange back needs a save landing in the microseconds around it; more than a few in a
# row means the file is being rewritten continuously: the change is refused and the newest stays.
SETTLE_EXCHANGES = 6
KEPT_INFIX = ".patchbay-kept-"
PARTIAL_SUFFIX = ".partial"

# Tests save in each window of a put: called with "before-put" (before the compare),
# "after-compare" (between the compare and the put) or "after-put" (before the check), and the path.
window_hook: Callable[[str, Path], None] | None = None


class SaveLanded(Exception):
    """A save landed on the target while it was being put in place; the save is at the path."""


@dataclass(frozen=True)
class Put:
    """One target: its path, the bytes the apply read (None: absent) and what it puts there."""

    path: Path
    expected: bytes | None
    new: bytes | None
    swap: Path  # the staged file (or, for a deletion, where the old file is moved aside)
    keep_tag: str  # names a user's version kept beside the file when a newer save is at the path


def put_in_place(put: Put) -> None:
    """Put `put.swap` at `put.path` (or delete it) only over `put.expected`; SaveLanded otherwise.

    On SaveLanded the path holds the newest save and the swap name is empty, or a user's version
    superseded by that save is kept beside it (`NAME.patchbay-kept-…`). OSError on a failed write.
    """
    _window("before-put", put.path)
    if put.new is None:
        _delete(put)
    elif put.expected is None:
        _create(put)
    else:
        _replace(put)


def _replace(put: Put) -> None:
    fd = os.open(put.swap, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:  # held open: the staged file's inode cannot be reused by a save while we compare
        status = os.fstat(fd)
        ours = Version((status.st_dev, status.st_ino), put.new or b"", status.st_mtime_ns)
        seen = look(put.path, writers=True)
        if seen is None or seen.data != put.expected or seen.being_written:
            raise SaveLanded
        _window("after-compare", put.path)
        if exchange(put.swap, put.path):
            _window("after-put", put.path)
            _settle(put, ours, seen)
            return
        os.replace(put.swap, put.path)
        fsync_folder(put.path.parent)
        _window("after-put", put.path)
        if not ours.same_file_and_bytes(look(put.path)):
            raise SaveLanded  # a save landed right around the rename: it is at the path
    finally:
        os.close(fd)


def _settle(put: Put, ours: Version, moved_out: Version) -> None:
    """After the exchange: return when `ours` is at the path untouched over the version compared."""
    at_path, at_swap = ours, moved_out
    for _exchanges in range(SETTLE_EXCHANGES + 1):
        if not at_path.same_file_and_bytes(look(put.path)):
            break  # a save landed at the path since the exchange: it is the newest there is
        out = look(put.swap, writers=True)
        if out is None or (at_swap.same_file_and_bytes(out) and not out.being_written):
            if at_path is ours:
                _discard(put.swap)
                fsync_folder(put.path.parent)
                return
            break
        # the file moved out was saved into (or is being written) after the compare: it is newer
        if not exchange(put.swap, put.path):  # pragma: no cover - it just worked on this very pair
            raise OSError(errno.EIO, "the put could not be undone", str(put.path))
        at_path, at_swap = out, at_path
    _retire(put)
    raise SaveLanded


def _create(put: Put) -> None:
    seen = look(put.path)
    if seen is not None:
        raise SaveLanded
    _window("after-compare", put.path)
    status = os.stat(put.swap)
    if not _move_no_replace(put.swap, put.path):
        _retire(put)  # a file was saved at the path meanwhile: it stays
        raise SaveLanded
    _window("after-put", put.path)
    now = look(put.path)
    if now is None or now.identity != (status.st_dev, status.st_ino) or now.data != put.new:
        raise SaveLanded


def _delete(put: Put) -> None:
    seen = look(put.path, writers=True)
    if seen is None or seen.data != put.expected or seen.being_written:
        raise SaveLanded
    _window("after-compare", put.path)
    os.rename(put.path, put.swap)  # moves whichever file is there now; the check below tells
    fsync_folder(put.path.parent)
    _window("after-put", put.path)
    out = look(put.swap, writers=True)
    if out is None or (seen.same_file_and_bytes(out) and not out.being_written):
        _discard(put.swap)
        if os.path.lexists(put.path):
            raise SaveLanded  # saved anew right after the delete: that file is the user's
        return
    # a save landed between the compare and the move: it goes back unless a newer one is there
    if not _move_no_replace(put.swap, put.path):
        _retire(put)
    raise SaveLanded


def _move_no_replace(source: Path, target: Path) -> bool:
    """Rename `source` to `target` unless `target` exists (False then); a hard link never replaces."""
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(target):  # no hard links here: a checked rename instead
            return False
        os.rename(source, target)
    else:
        os.unlink(source)
    fsync_folder(target.parent)
    return True


def _retire(put: Put) -> None:
    """Empty the swap name: the apply's own bytes go, a user's version is kept in sight."""
    held = look(put.swap)
    if held is None:
        return
    if held.data in (put.expected, put.new):
        _discard(put.swap)
    else:
        kept_as(put.path, put.swap, put.keep_tag)
    fsync_folder(put.path.parent)


def kept_as(path: Path, leftover: Path, tag: str) -> Path:
    """Move a user's version beside `path` under a visible name that replaces nothing."""
    number = 1
    while True:
        kept = path.with_name(f"{path.name}{KEPT_INFIX}{tag}" + (f"-{number}" if number > 1 else ""))
        if _move_no_replace(leftover, kept):
            return kept
        number += 1


def _window(name: str, path: Path) -> None:
    hook = window_hook
    if hook is not None:
        hook(name, path)


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def undo_puts(done: list[Put], modes: list[int | None]) -> list[Path]:
    """Put back, newest first, what each put in `done` replaced, each over exactly what it wrote.

    A file saved since its put keeps the save (the inverse put refuses); returns those paths.
    """
    left: list[Path] = []
    for put, mode in reversed(list(zip(done, modes, strict=True))):
        if put.expected is not None:
            # written under another name first: recovery takes whatever the swap name holds for a save
            partial = put.swap.with_name(put.swap.name + PARTIAL_SUFFIX)
            stage_bytes(partial, put.expected, mode)
            os.rename(partial, put.swap)
        back = Put(put.path, put.new, put.expected, put.swap, put.keep_tag)
        try:
            put_in_place(back)
        except SaveLanded:
            left.append(put.path)
    return left


def stage_bytes(path: Path, data: bytes, mode: int | None) -> os.stat_result:
    """`data` durably in a new file at `path` (which must not exist); its status for the journal."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        atomic.write_all(fd, data)  # through the module: tests fill the disk there
        if mode is not None:
            os.fchmod(fd, mode)
        os.fsync(fd)
        return os.fstat(fd)
    finally:
        os.close(fd)
