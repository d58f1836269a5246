"""Hold SIGINT and SIGTERM while the working tree is being changed, then act on them.

A Ctrl-C in the middle of an apply must not leave half the files written: the write phase
finishes (or rolls back) first, and only then does the signal take effect.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

DEFERRED = (signal.SIGINT, signal.SIGTERM)


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
def deferred_signals() -> Iterator[list[int]]:
    """Record SIGINT/SIGTERM inside the block; on leaving it, hand them to whoever listened before.

    A previous Python handler (the autopilot's cancel flag, say) is called as if the signal
    had just arrived; otherwise Interrupted is raised. Off the main thread signals cannot be
    caught, and the block runs as is (they are delivered to the main thread anyway).
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def hold(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    previous = {number: signal.signal(number, hold) for number in DEFERRED}
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    _deliver(received, previous)


def _deliver(received: list[int], previous: dict[signal.Signals, object]) -> None:
    for signum in dict.fromkeys(received):
        handler = previous.get(signal.Signals(signum))
        if callable(handler) and handler is not signal.default_int_handler:
            handler(signum, None)
        elif handler != signal.SIG_IGN:
            raise Interrupted(signum)
