"""One driver per runbook: an advisory lock in `<runbook>/logs/.lock`.

Whoever runs tasks or writes the runbook (`patchbay run`, the TUI, `reset`) takes it first; a
second process finds it held and stays read-only, told who holds it. The file records pid, host,
start time and command. The lock itself is an flock on that file, so it ends with its process
however that process ends; where the file system has no flock, a lock whose pid is gone on this
host counts as stale. `--force-unlock` removes the file: for a lock left by a process on another
machine, which this one cannot check.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from tui.errors import PatchbayError
from tui.runbook.event_log import LOG_FOLDER, utc_timestamp

LOCK_NAME = ".lock"

try:
    import fcntl
except ImportError:  # not on POSIX: the pid check alone
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started: str  # UTC, ISO 8601
    command: str

    def describe(self) -> str:
        here = "this machine" if self.host == socket.gethostname() else f"host {self.host}"
        return f"{self.command} (pid {self.pid} on {here}, since {self.started})"


class RunbookLocked(PatchbayError):
    """Another process drives this runbook."""

    def __init__(self, folder: Path, holder: LockHolder | None) -> None:
        self.holder = holder
        who = holder.describe() if holder else "another Patchbay process"
        super().__init__(
            f"{folder} is being driven by {who}, so this one is read-only; if that process is gone, "
            "run again with --force-unlock"
        )


def lock_path(runbook_folder: Path) -> Path:
    return Path(runbook_folder) / LOG_FOLDER / LOCK_NAME


def read_holder(runbook_folder: Path) -> LockHolder | None:
    """Who the lock file names, or None when there is none (or it cannot be read)."""
    try:
        return _parse(lock_path(runbook_folder).read_text(encoding="utf-8"))
    except OSError:
        return None


def _parse(text: str) -> LockHolder | None:
    try:
        data = json.loads(text)
        return LockHolder(int(data["pid"]), str(data["host"]), str(data["started"]), str(data["command"]))
    except (ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _stale(holder: LockHolder | None) -> bool:
    """Without flock: a lock is stale when it names a pid that is gone on this very host."""
    if holder is None:
        return True
    return holder.host == socket.gethostname() and not _alive(holder.pid)


class DriverLock:
    """The held lock. Release it with `release()` (or use it as a context manager)."""

    def __init__(self, path: Path, fd: int, holder: LockHolder) -> None:
        self.path = path
        self.holder = holder
        self._fd: int | None = fd

    def release(self) -> None:
        """Remove the lock file if it is still ours (a --force-unlock may have replaced it)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        _held.pop(str(self.path), None)
        try:
            if _same_file(fd, self.path):
                self.path.unlink()
        except OSError:
            pass
        os.close(fd)  # the flock goes with it

    def __enter__(self) -> DriverLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# Locks this process holds, by path: a second acquire in this process is refused, naming us.
_held: dict[str, DriverLock] = {}
_held_lock = threading.Lock()


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except OSError:
        return False


def acquire(runbook_folder: Path, command: str) -> DriverLock:
    """Take the runbook's lock for `command` ("patchbay run", "the Patchbay TUI"), or raise
    RunbookLocked naming the holder."""
    folder = Path(runbook_folder)
    path = lock_path(folder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PatchbayError(f"cannot create {path.parent} for the runbook's lock: {exc}") from None
    with _held_lock:
        if str(path) in _held:
            raise RunbookLocked(folder, _held[str(path)].holder)
        for _ in range(5):  # the file may be removed or replaced between open and lock
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if not _lock_fd(fd, path):
                    raise RunbookLocked(folder, read_holder(folder))
                if not _same_file(fd, path):
                    continue
                me = LockHolder(os.getpid(), socket.gethostname(), utc_timestamp(), command)
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps(asdict(me)).encode() + b"\n", 0)
                os.fsync(fd)
                lock = DriverLock(path, fd, me)
                _held[str(path)] = lock
                fd = -1
                return lock
            finally:
                if fd >= 0:
                    os.close(fd)
        raise RunbookLocked(folder, read_holder(folder))


def _lock_fd(fd: int, path: Path) -> bool:
    """True when this process now holds the lock on `fd`."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
    # No flock here: the file's own record decides.
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        text = ""
    return not text.strip() or _stale(_parse(text))


def force_unlock(runbook_folder: Path) -> LockHolder | None:
    """Remove the lock file whoever holds it; return who it named (None: there was none)."""
    path = lock_path(runbook_folder)
    holder = read_holder(runbook_folder)
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PatchbayError(f"cannot remove {path}: {exc}") from None
    return holder


def force_unlock_sentence(runbook_folder: Path, holder: LockHolder | None) -> str:
    if holder is None:
        return f"--force-unlock: {lock_path(runbook_folder)} was not there; nothing to remove"
    return (
        f"--force-unlock: removed {lock_path(runbook_folder)}, held by {holder.describe()}; if that "
        "process still runs it keeps writing, so stop it first"
    )
