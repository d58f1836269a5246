"""Replacing a file only if it still holds the bytes an edit was made from — with no window left open.

A plain "compare, then write a temporary file and rename it" loses an edit saved between the
compare and the rename. On Linux `renameat2(RENAME_EXCHANGE)` swaps the new file in and leaves the
replaced one under the temporary name, so nothing is destroyed and both files stay in hand.

A user's save lands at the path: a new file renamed over it, or bytes written into the file that
is there (for a moment, Patchbay's own). So after every exchange, whatever the exchange put at the
path is checked first (same inode, same bytes): if it changed, a save landed since and that file is
the newest. If not, the file the exchange moved out is checked: if it changed since it was last
looked at, it holds a save newer than what is at the path, and the two are exchanged again (a
bounded number of times). The newest is thus always the one left at the path; a version only moves
out of sight (`NAME.patchbay-kept-…`) when a later save superseded it. A file someone holds open
for writing (an in-place save caught half way) counts as changed. The write succeeds only when
Patchbay's untouched file is at the path and the file it replaced held exactly the bytes the edit
was made from; otherwise the caller redoes its edit on the newest version.

Elsewhere (no exchange) the file is re-checked right before and right after a plain rename.

Patchbay's writers take an advisory lock on the folder for the swap, so a swap file found while
holding it was left by a process that died mid-swap; it is put back (or kept) before the next
write. SIGINT and SIGTERM are held until the swap is settled.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from tui.workspace.atomic import fsync_folder
from tui.workspace.deferred_signals import deferred_signals
from tui.workspace.file_version import Version as _Version
from tui.workspace.file_version import look as _look
from tui.workspace.rename_exchange import exchange as _exchange
from tui.workspace.rename_exchange import exchange_available

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "after_fsync_hook",
    "exchange_available",
    "recover_leftovers",
    "replace_if_unchanged",
    "window_hook",
]

SWAP_SUFFIX = ".patchbay-swap"
NEW_SUFFIX = ".patchbay-new"
KEPT_INFIX = ".patchbay-kept-"
# Each exchange back needs a save landing in the microseconds around it; more than a few in a row
# means the file is being rewritten continuously, and the caller's retries (or refusal) take over.
SETTLE_EXCHANGES = 6

# Tests set this to act in the window between the temporary file's fsync and the swap (a user's
# save landing there is what the exchange protects). Called with the target path; None in production.
after_fsync_hook: Callable[[Path], None] | None = None
# Tests set this to save in each window of a swap: called with the window's name and the path.
# "before-swap" (after the compare), "after-swap" (before its check), "before-swap-back" and
# "after-swap-back" (around each later exchange). None in production.
window_hook: Callable[[str, Path], None] | None = None

# Leftovers come only from a process that died mid-swap, so each file is looked at once per process.
_recovered: set[Path] = set()


def replace_if_unchanged(path: Path, new_bytes: bytes, expected: bytes) -> bool:
    """Put `new_bytes` at `path` if it still holds `expected`; False if not (the newest version stays).

    OSError when the folder cannot be written.
    """
    path = Path(path)

    def disposable(data: bytes) -> bool:
        return data in (new_bytes, expected)

    with _folder_lock(path.parent), deferred_signals(release="resend"):
        if _key(path) not in _recovered:
            recover_leftovers(path)
            _recovered.add(_key(path))
        mode = _mode_of(path)
        tmp, ours, held = _write_temp(
            path, new_bytes, f"{_fingerprint(expected)}.{_fingerprint(new_bytes)}", mode
        )
        settled = False
        try:
            hook = after_fsync_hook
            if hook is not None:
                hook(path)
            # most saves that raced us are seen here, before anyone could read our version
            seen = _look(path, writers=True)
            if seen is None or seen.data != expected or seen.being_written:
                return False
            _window("before-swap", path)
            if _exchange(tmp, path):
                result = _settle(path, tmp, ours, seen, disposable)
                settled = True  # it left the swap name empty or kept what it holds in sight
                return result
            return _replace_checked(path, tmp, new_bytes, expected)
        finally:
            os.close(held)
            if not settled:  # an error, a refusal or the checked rename: never drop a user's version
                _retire(path, tmp, disposable)


def recover_leftovers(path: Path) -> None:
    """Put back what a process killed in the middle of a swap of `path` left under a swap name.

    A file still being written (`.patchbay-new`) never reached `path` and is removed. A complete
    swap file is named after fingerprints of the bytes its edit was made from and of the bytes it
    wrote; holding either, it is stale and removed. Holding anything else, it is a user's version
    that was swapped out: it goes back in place when `path` holds the dead writer's untouched bytes
    or a version older than it (by modification time); otherwise a later save superseded it, and it
    is kept beside the file under a visible name (`NAME.patchbay-kept-…`).
    """
    path = Path(path)
    prefix = f".{path.name}."
    try:
        names = [name for name in os.listdir(path.parent) if name.startswith(prefix)]
    except OSError:
        return
    for name in names:
        leftover = path.parent / name
        if name.endswith(NEW_SUFFIX):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
            continue
        parts = name[len(prefix) : -len(SWAP_SUFFIX)].split(".")
        if not name.endswith(SWAP_SUFFIX) or len(parts) < 3:
            continue
        made_from, wrote = parts[0], parts[1]

        def stale(data: bytes, made_from: str = made_from, wrote: str = wrote) -> bool:
            return _fingerprint(data) in (made_from, wrote)

        try:
            held, current = _look(leftover), _look(path)
        except OSError:
            continue
        if held is None:
            continue
        if current is not None and not stale(held.data):
            newer = held.mtime_ns > current.mtime_ns
            if (_fingerprint(current.data) == wrote or newer) and _exchange(leftover, path):
                _settle(path, leftover, None, current, stale, moved_in=held)
                continue
        _retire(path, leftover, stale)


# ---------------------------------------------------------------- after an exchange


def _settle(
    path: Path,
    swap: Path,
    ours: _Version | None,
    moved_out: _Version,
    disposable: Callable[[bytes], bool],
    moved_in: _Version | None = None,
) -> bool:
    """Leave the newest version at `path` after an exchange; True only if that is `ours`, untouched.

    `moved_in` is what the exchange put at the path (default `ours`), `moved_out` what was there
    when it was last looked at (now under `swap`).
    """
    at_path, at_swap = moved_in or ours, moved_out
    assert at_path is not None
    window = "after-swap"
    for _exchanges in range(SETTLE_EXCHANGES + 1):
        _window(window, path)
        if not at_path.same_file_and_bytes(_look(path)):
            break  # a save landed at the path since the exchange: it is the newest there is
        out = _look(swap, writers=ours is None or at_swap.identity != ours.identity)
        if out is None or (at_swap.same_file_and_bytes(out) and not out.being_written):
            # what was moved out is as it was when last looked at: the path holds the newest
            if at_path is ours:
                _discard(swap)
                fsync_folder(path.parent)
                return True
            break
        # what was moved out was saved into (or replaced, or is being written) after it was last
        # looked at, while still at the path: it is newer than the version at the path, so it goes back
        _window("before-swap-back", path)
        if not _exchange(swap, path):  # pragma: no cover - it just worked on this very pair
            raise OSError(errno.EIO, "the swap could not be undone", str(path))
        at_path, at_swap = out, at_path
        window = "after-swap-back"
    _retire(path, swap, disposable)
    return False


def _replace_checked(path: Path, tmp: Path, new_bytes: bytes, expected: bytes) -> bool:
    if _read_or_none(path) != expected:
        return False
    os.replace(tmp, path)
    fsync_folder(path.parent)
    # a save landing right around the rename is on disk now; tell the caller to redo the edit on it
    return _read_or_none(path) == new_bytes


def _retire(path: Path, swap: Path, disposable: Callable[[bytes], bool]) -> None:
    """Remove what a swap name holds when nobody needs it; a user's version is kept in sight."""
    held = _look(swap)
    if held is None:
        return
    if disposable(held.data):
        _discard(swap)
    else:
        # the folder lock is held: no other writer picks a name here meanwhile
        tag = swap.name[len(f".{path.name}.") : -len(SWAP_SUFFIX)].rsplit(".", 1)[-1]
        kept = path.with_name(f"{path.name}{KEPT_INFIX}{tag}")
        number = 1
        while kept.exists():
            number += 1
            kept = path.with_name(f"{path.name}{KEPT_INFIX}{tag}-{number}")
        os.replace(swap, kept)
    fsync_folder(path.parent)


# ---------------------------------------------------------------- pieces


def _window(name: str, path: Path) -> None:
    hook = window_hook
    if hook is not None:
        hook(name, path)


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _write_temp(path: Path, data: bytes, fingerprints: str, mode: int) -> tuple[Path, _Version, int]:
    """The new bytes on disk under a swap name; named `.patchbay-new` until they are all there.

    Also its version and an open descriptor: held, it keeps the file's inode from being reused
    (a save renamed over our file must never look like our file).
    """
    prefix = f".{path.name}.{fingerprints}."
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=NEW_SUFFIX, dir=path.parent)
    try:
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)
        os.chmod(name, mode)
        status = os.fstat(fd)
        complete = name[: -len(NEW_SUFFIX)] + SWAP_SUFFIX
        os.rename(name, complete)
    except BaseException:
        os.close(fd)
        _discard(Path(name))
        raise
    return Path(complete), _Version((status.st_dev, status.st_ino), data, status.st_mtime_ns), fd


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Patchbay's writers in every process take turns per folder (released if the process dies)."""
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _mode_of(path: Path) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return 0o644


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _fingerprint(data: bytes) -> str:
    """Length and CRC-32: enough to tell the few versions one swap knows of apart, and cheap."""
    return f"{len(data)}-{zlib.crc32(data):08x}"


def _key(path: Path) -> Path:
    return Path(path).resolve()
