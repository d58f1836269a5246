"""Hold SIGINT and SIGTERM while files are being changed, then act on them.

A Ctrl-C in the middle of an apply must not leave half the files written, nor one in the middle
of a runbook swap leave the user's version under a swap name: the write finishes (or rolls back)
first, and only then does the signal take effect. What "take effect" means is the caller's choice:

- "interrupt" (the working tree's writes): the handler that was installed before is called as if
  the signal had just arrived; with none of Python's own, `Interrupted` is raised, which the CLI
  turns into exit 130 or 143. Only when the block ends normally: an error from inside it wins.
- "resend" (one file swapped in place): the signal is raised again once the handlers are back,
  even when the block raised, so the process reacts exactly as it would have without the hold
  (SIGTERM's default disposition ends it; Ctrl-C's is a KeyboardInterrupt).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Literal

DEFERRED = tuple(
    number
    for number in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None))
    if number is not None
)

Release = Literal["interrupt", "resend"]


class Interrupted(KeyboardInterrupt):
    """A deferred SIGINT or SIGTERM, raised once the tree is consistent again.

    A KeyboardInterrupt so every caller that already stops on Ctrl-C stops here too; `signum`
    says which signal it was (the CLI exits 130 or 143).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.change: object | None = None  # set by whoever finished its work before raising

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextlib.contextmanager
def deferred_signals(release: Release = "interrupt") -> Iterator[list[int]]:
    """Record SIGINT/SIGTERM inside the block; on leaving it, act on them as `release` says.

    Off the main thread signals cannot be caught, and the block runs as is (they are delivered
    to the main thread anyway).
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def hold(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    previous: dict[int, object] = {}
    try:
        for number in DEFERRED:
            previous[number] = signal.signal(number, hold)
    except (ValueError, OSError):  # pragma: no cover - an interpreter where signals cannot be caught
        _restore(previous)
        yield received
        return
    try:
        yield received
    finally:
        _restore(previous)
        if release == "resend":
            for signum in dict.fromkeys(received):
                signal.raise_signal(signum)
    if release == "interrupt":
        _hand_on(received, previous)


def _restore(previous: dict[int, object]) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)  # type: ignore[arg-type]


def _hand_on(received: list[int], previous: dict[int, object]) -> None:
    for signum in dict.fromkeys(received):
        handler = previous.get(signum)
        if callable(handler) and handler is not signal.default_int_handler:
            handler(signum, None)
        elif handler != signal.SIG_IGN:
            raise Interrupted(signum)
