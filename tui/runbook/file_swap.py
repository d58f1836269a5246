"""Replacing a file only if it still holds the bytes an edit was made from — with no window left open.

A plain "compare, then write a temporary file and rename it" loses an edit saved between the
compare and the rename. On Linux `renameat2(RENAME_EXCHANGE)` swaps the new file in and leaves the
replaced one under the temporary name, so what was replaced can be compared afterwards: if it is
not what the edit was made from, the swap is undone and the caller redoes its edit on the newer
bytes. Elsewhere the file is re-checked right before and right after the rename.

Patchbay's writers take an advisory lock on the folder for the swap, so a swap file found while
holding it was left by a process that died mid-swap; it is put back (or removed) before the next
write. SIGINT and SIGTERM are held until the swap is finished or undone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import signal
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from tui.workspace.atomic import fsync_folder

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["after_fsync_hook", "exchange_available", "recover_leftovers", "replace_if_unchanged"]

SWAP_SUFFIX = ".patchbay-swap"
NEW_SUFFIX = ".patchbay-new"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_SYSCALL_RENAMEAT2 = {"x86_64": 316, "aarch64": 276, "riscv64": 276, "ppc64le": 357, "s390x": 347}
_DEFERRED_SIGNALS = tuple(
    sig for sig in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if sig is not None
)

# Tests set this to act in the window between the temporary file's fsync and the swap (a user's
# save landing there is what the exchange protects). Called with the target path; None in production.
after_fsync_hook: Callable[[Path], None] | None = None

_exchange_state: dict[str, object] = {}
# Leftovers come only from a process that died mid-swap, so each file is looked at once per process.
_recovered: set[Path] = set()


def replace_if_unchanged(path: Path, new_bytes: bytes, expected: bytes) -> bool:
    """Put `new_bytes` at `path` if it still holds `expected`; False (and `path` untouched) if not.

    OSError when the folder cannot be written.
    """
    path = Path(path)
    with _folder_lock(path.parent), _signals_held():
        if _key(path) not in _recovered:
            recover_leftovers(path)
            _recovered.add(_key(path))
        mode = _mode_of(path)
        tmp = _write_temp(path, new_bytes, f"{_fingerprint(expected)}.{_fingerprint(new_bytes)}", mode)
        try:
            hook = after_fsync_hook
            if hook is not None:
                hook(path)
            # most saves that raced us are seen here, before anyone could read our version
            if _read_or_none(path) != expected:
                return False
            if _exchange(tmp, path):
                return _judge_exchange(path, tmp, new_bytes, expected)
            return _replace_checked(path, tmp, new_bytes, expected)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def exchange_available() -> bool:
    """True where the atomic swap (renameat2 RENAME_EXCHANGE) can be called at all."""
    return _renameat2() is not None


def recover_leftovers(path: Path) -> None:
    """Put back what a process killed in the middle of a swap of `path` left under a swap name.

    A file still being written (`.patchbay-new`) never reached `path` and is removed. A complete
    swap file is named after fingerprints of the bytes its edit was made from and of the bytes it
    wrote; holding either, it is stale and removed. Holding anything else, it is a user's version
    that was swapped out: if `path` still holds the dead writer's bytes the user's version goes back
    in place, otherwise it is kept beside the file under a visible name (`NAME.patchbay-kept-…`).
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
        try:
            held = _fingerprint(leftover.read_bytes())
            current = _fingerprint(path.read_bytes())
        except OSError:
            continue
        if held in (made_from, wrote):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
        elif current == wrote and _exchange(leftover, path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)  # now holds the dead writer's bytes; the user's are back at `path`
        else:
            os.replace(leftover, path.with_name(f"{path.name}.patchbay-kept-{parts[2]}"))
        fsync_folder(path.parent)


# ---------------------------------------------------------------- the two ways of replacing


def _judge_exchange(path: Path, tmp: Path, new_bytes: bytes, expected: bytes) -> bool:
    # the size first: while our version is at `path` a reader could take it for the user's
    if os.stat(tmp).st_size == len(expected) and tmp.read_bytes() == expected:
        fsync_folder(path.parent)
        return True
    # someone saved between our read and the swap: their bytes go back, ours are redone on them
    if not _exchange(tmp, path):  # pragma: no cover - it just worked on this very pair
        raise OSError(errno.EIO, "the swap could not be undone")
    if tmp.read_bytes() != new_bytes:
        # a save landed in the instant between the two swaps: keep that file under a visible name
        kept = path.with_name(f"{path.name}.patchbay-kept-{os.getpid()}-{threading.get_ident()}")
        os.replace(tmp, kept)
    fsync_folder(path.parent)
    return False


def _replace_checked(path: Path, tmp: Path, new_bytes: bytes, expected: bytes) -> bool:
    if _read_or_none(path) != expected:
        return False
    os.replace(tmp, path)
    fsync_folder(path.parent)
    # a save landing right around the rename is on disk now; tell the caller to redo the edit on it
    return _read_or_none(path) == new_bytes


# ---------------------------------------------------------------- pieces


def _write_temp(path: Path, data: bytes, fingerprints: str, mode: int) -> Path:
    """The new bytes on disk under a swap name; named `.patchbay-new` until they are all there."""
    prefix = f".{path.name}.{fingerprints}."
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=NEW_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, mode)
        complete = name[: -len(NEW_SUFFIX)] + SWAP_SUFFIX
        os.rename(name, complete)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return Path(complete)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two names atomically; False where the system or file system cannot."""
    call = _renameat2()
    if call is None:
        return False
    result = call(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM):
        _exchange_state["call"] = None  # not on this kernel or file system: use the checked rename
        return False
    raise OSError(code, os.strerror(code), str(second))


def _renameat2() -> Callable[..., int] | None:
    if "call" in _exchange_state:
        return _exchange_state["call"]  # type: ignore[return-value]
    _exchange_state["call"] = _find_renameat2()
    return _exchange_state["call"]  # type: ignore[return-value]


def _find_renameat2() -> Callable[..., int] | None:
    if os.uname().sysname != "Linux":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    function = getattr(libc, "renameat2", None)  # glibc 2.28 and later
    if function is not None:
        function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
        function.restype = ctypes.c_int
        return function
    number = _SYSCALL_RENAMEAT2.get(os.uname().machine)
    syscall = getattr(libc, "syscall", None)
    if number is None or syscall is None:
        return None
    syscall.restype = ctypes.c_long

    def raw(olddirfd: int, old: bytes, newdirfd: int, new: bytes, flags: int) -> int:
        return syscall(
            ctypes.c_long(number),
            ctypes.c_int(olddirfd),
            ctypes.c_char_p(old),
            ctypes.c_int(newdirfd),
            ctypes.c_char_p(new),
            ctypes.c_uint(flags),
        )

    return raw


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


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block ends, then deliver them (main thread only)."""
    if threading.current_thread() is not threading.main_thread() or not _DEFERRED_SIGNALS:
        yield
        return
    arrived: list[int] = []
    previous = {}
    try:
        for sig in _DEFERRED_SIGNALS:
            previous[sig] = signal.signal(sig, lambda number, _frame: arrived.append(number))
    except (ValueError, OSError):  # pragma: no cover - no signals in this interpreter
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(arrived):
            signal.raise_signal(sig)


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
