"""Swapping two names atomically: Linux's renameat2(RENAME_EXCHANGE), reached through ctypes.

Python has no binding for it. glibc 2.28 and later export `renameat2`; older ones only the raw
system call. Where neither exists, or the file system refuses the flag, `exchange` says False
and the caller falls back to a checked rename.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["exchange", "exchange_available"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_SYSCALL_RENAMEAT2 = {"x86_64": 316, "aarch64": 276, "riscv64": 276, "ppc64le": 357, "s390x": 347}

# The looked-up call, cached; tests set "call" to None to take the path of systems without it.
exchange_state: dict[str, object] = {}


def exchange_available() -> bool:
    """True where the atomic swap (renameat2 RENAME_EXCHANGE) can be called at all."""
    return _renameat2() is not None


def exchange(first: Path, second: Path) -> bool:
    """Swap two names atomically; False where the system or file system cannot."""
    call = _renameat2()
    if call is None:
        return False
    result = call(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM):
        exchange_state["call"] = None  # not on this kernel or file system: use the checked rename
        return False
    raise OSError(code, os.strerror(code), str(second))


def _renameat2() -> Callable[..., int] | None:
    if "call" in exchange_state:
        return exchange_state["call"]  # type: ignore[return-value]
    exchange_state["call"] = _find_renameat2()
    return exchange_state["call"]  # type: ignore[return-value]


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
