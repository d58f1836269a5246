"""One file as seen through one open, and whether someone is writing it: what the compare-and-swap
writers (the runbook's swap, the apply's puts) compare before and after exchanging a file in place.
"""

from __future__ import annotations

import errno
import os
import signal
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["Version", "look", "open_for_writing"]


@dataclass(frozen=True)
class Version:
    """One file as seen through one open: which file (device, inode), its bytes and mtime."""

    identity: tuple[int, int]
    data: bytes
    mtime_ns: int = 0
    being_written: bool = False  # someone held it open for writing: its bytes may be half a save

    def same_file_and_bytes(self, other: Version | None) -> bool:
        return other is not None and other.identity == self.identity and other.data == self.data


def look(path: Path, *, writers: bool = False) -> Version | None:
    """The file at `path` through one open: identity and bytes belong to the same file.

    With `writers`, also whether anyone holds it open for writing: an editor that truncates and
    writes in place can be caught half way, and its bytes are then no version at all.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        data = handle.read()
        busy = writers and open_for_writing(fd)
        return Version((status.st_dev, status.st_ino), data, status.st_mtime_ns, busy)


def open_for_writing(fd: int) -> bool:
    """True while some process has the file open for writing; False where that cannot be asked.

    Linux refuses a read lease (EAGAIN) while the file is open for writing. The lease is dropped at
    once; a save opening the file meanwhile only waits for that, and its break notice is SIGURG,
    ignored by default (SIGIO's default would end the process).
    """
    if fcntl is None or not hasattr(fcntl, "F_SETLEASE") or not hasattr(fcntl, "F_SETSIG"):
        return False
    try:
        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as error:
        return error.errno == errno.EAGAIN  # otherwise not the file's owner, or leases are off here
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    return False
