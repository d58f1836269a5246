"""SIGINT/SIGTERM held while the tree is written, then handed on — real signals sent to this process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

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


def test_resend_raises_the_held_signal_again_so_the_default_ctrl_c_is_a_plain_keyboardinterrupt() -> None:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    finished = False
    try:
        with pytest.raises(KeyboardInterrupt) as stopped, deferred_signals(release="resend"):
            os.kill(os.getpid(), signal.SIGINT)
            finished = True
        assert finished and not isinstance(stopped.value, Interrupted)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_resend_delivers_a_held_signal_even_when_the_block_fails() -> None:
    seen: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: seen.append(signum))
    try:
        with pytest.raises(ValueError, match="disk"), deferred_signals(release="resend"):
            os.kill(os.getpid(), signal.SIGTERM)
            assert seen == []  # held while the block runs
            raise ValueError("disk full")
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_resend_leaves_sigterms_default_to_end_the_process_once_the_block_is_done(tmp_path) -> None:
    marker = tmp_path / "finished"
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from tui.workspace.deferred_signals import deferred_signals\n"
        "with deferred_signals(release='resend'):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    Path(sys.argv[1]).write_text('block done')\n"
        "print('after the block')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(marker)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGTERM  # killed by the signal itself, as without the hold
    assert marker.read_text() == "block done" and "after the block" not in done.stdout
