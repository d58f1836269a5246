"""SIGINT/SIGTERM held while the tree is written, then handed on — real signals sent to this process."""

from __future__ import annotations

import os
import signal

import pytest

from tui.workspace.deferred_signals import Interrupted, deferred_signals


def test_a_signal_inside_the_block_waits_for_its_end_then_reaches_the_previous_handler() -> None:
    seen: list[str] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: seen.append(f"handler {signum}"))
    try:
        with deferred_signals() as received:
            os.kill(os.getpid(), signal.SIGINT)
            seen.append("still writing")  # the handler above has not run: the block goes on
            assert received == [signal.SIGINT]
        assert seen == ["still writing", f"handler {int(signal.SIGINT)}"]
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_with_no_handler_of_its_own_the_signal_becomes_interrupted_after_the_block(signum, code) -> None:
    installed = signal.SIG_DFL if signum == signal.SIGTERM else signal.default_int_handler
    previous = signal.signal(signum, installed)
    finished = False
    try:
        with pytest.raises(Interrupted) as stopped, deferred_signals():
            os.kill(os.getpid(), signum)
            finished = True
        assert finished and stopped.value.exit_code == code
        assert signal.getsignal(signum) is installed  # put back as it was
    finally:
        signal.signal(signum, previous)


def test_an_error_inside_the_block_wins_over_a_held_signal() -> None:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(ValueError, match="disk"), deferred_signals():
            os.kill(os.getpid(), signal.SIGINT)
            raise ValueError("disk full")
    finally:
        signal.signal(signal.SIGINT, previous)
