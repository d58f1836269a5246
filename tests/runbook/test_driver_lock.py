"""One driver per runbook: the lock in logs/.lock, held by a second real process where it matters."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main
from tui.runbook import driver_lock
from tui.runbook.driver_lock import RunbookLocked, acquire, lock_path, read_holder
from tui.runbook.loader import load_runbook
from tui.runner import TaskRun
from tui.session import Session

RUNBOOK = """\
name: locked
workdir: .
tasks:
  - {id: a, name: A, type: MANUAL, manual_instructions: do it}
"""

HOLD = """
import sys
from tui.runbook.driver_lock import acquire
lock = acquire(sys.argv[1], "patchbay run")
print("held", flush=True)
sys.stdin.readline()
lock.release()
"""


@pytest.fixture
def runbook(tmp_path: Path) -> Path:
    folder = tmp_path / "rb"
    folder.mkdir()
    (folder / "runbook.yaml").write_text(RUNBOOK)
    return folder


class Holder:
    """Another Patchbay process holding the runbook's lock until told to let go (or killed)."""

    def __init__(self, folder: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "held"

    def let_go(self) -> None:
        self.process.communicate("\n", timeout=10)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


def test_the_lock_records_pid_host_start_and_command_and_goes_on_release(runbook):
    with acquire(runbook, "patchbay run") as lock:
        record = json.loads(lock_path(runbook).read_text())
        assert record["pid"] == os.getpid() and record["host"] == socket.gethostname()
        assert record["command"] == "patchbay run" and record["started"].endswith("Z")
        assert lock.holder == read_holder(runbook)
    assert not lock_path(runbook).exists()


def test_a_second_process_is_refused_with_one_sentence_naming_the_holder(runbook):
    holder = Holder(runbook)
    try:
        with pytest.raises(RunbookLocked) as caught:
            acquire(runbook, "the Patchbay TUI")
        sentence = str(caught.value)
        assert f"patchbay run (pid {holder.process.pid} on this machine, since " in sentence
        assert "read-only" in sentence and "--force-unlock" in sentence and "\n" not in sentence
    finally:
        holder.let_go()
    acquire(runbook, "the Patchbay TUI").release()  # free again once the holder let go


def test_a_lock_left_by_a_killed_process_is_stale_and_taken_over(runbook):
    holder = Holder(runbook)
    holder.kill()
    assert read_holder(runbook).pid == holder.process.pid  # the file is still there
    with acquire(runbook, "patchbay run") as lock:
        assert lock.holder.pid == os.getpid()


def test_without_flock_a_lock_naming_a_gone_pid_on_this_host_is_stale(runbook, monkeypatch):
    monkeypatch.setattr(driver_lock, "fcntl", None)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    record = {
        "pid": int(gone.stdout),
        "host": socket.gethostname(),
        "started": "x",
        "command": "patchbay run",
    }
    lock_path(runbook).parent.mkdir()
    lock_path(runbook).write_text(json.dumps(record))
    acquire(runbook, "patchbay run").release()
    record["pid"] = os.getppid()  # alive
    lock_path(runbook).write_text(json.dumps(record))
    with pytest.raises(RunbookLocked, match=f"pid {os.getppid()} on this machine"):
        acquire(runbook, "patchbay run")
    record["host"] = "elsewhere"  # another host's pid cannot be checked: only --force-unlock clears it
    lock_path(runbook).write_text(json.dumps(record))
    with pytest.raises(RunbookLocked, match="on host elsewhere"):
        acquire(runbook, "patchbay run")


def test_a_session_on_a_held_runbook_is_read_only_and_runs_nothing(runbook):
    holder = Holder(runbook)
    try:
        session = Session(runbook, driver="the Patchbay TUI")
        assert session.read_only and f"pid {holder.process.pid}" in session.read_only
        with pytest.raises(Exception, match="read-only"):
            TaskRun.begin(session, "a")
        with pytest.raises(Exception, match="read-only"):
            session.reset("a", "DONE")
        session.close()
        assert read_holder(runbook).pid == holder.process.pid  # closing a read-only session frees nothing
        assert Session(runbook).read_only is None  # no driver named: no lock taken (read-only tools)
    finally:
        holder.let_go()


def test_run_and_reset_refuse_a_held_runbook_and_write_nothing(runbook, capsys):
    holder = Holder(runbook)
    try:
        assert main(["run", str(runbook), "--auto"]) == 1
        assert main(["reset", str(runbook), "a", "--to", "DONE"]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 2 and all(f"pid {holder.process.pid}" in line for line in err)
        assert load_runbook(runbook).task("a").status == "PENDING"
    finally:
        holder.let_go()


def test_force_unlock_says_what_it_removed_and_goes_on(runbook, capsys):
    holder = Holder(runbook)
    try:
        assert main(["reset", str(runbook), "a", "--to", "DONE", "--force-unlock"]) == 0
        err = capsys.readouterr().err
        assert (
            f"--force-unlock: removed {lock_path(runbook)}, held by patchbay run (pid {holder.process.pid}"
            in err
        )
        assert "still runs it keeps writing" in err
        assert load_runbook(runbook).task("a").status == "DONE"
    finally:
        holder.let_go()
    assert not lock_path(runbook).exists()  # the old holder did not remove a lock that was not its own
    assert main(["reset", str(runbook), "a", "--force-unlock"]) == 0
    assert "was not there; nothing to remove" in capsys.readouterr().err


def test_the_holder_keeps_a_lock_that_replaced_its_own(runbook):
    first = acquire(runbook, "patchbay run")
    driver_lock.force_unlock(runbook)
    second_path = lock_path(runbook)
    # Another process would now take a fresh lock; here the file is recreated by hand.
    second_path.write_text(json.dumps({"pid": 1, "host": "h", "started": "s", "command": "c"}))
    first.release()
    assert second_path.exists()


def test_the_tui_takes_the_lock_and_force_unlock_clears_a_held_one(runbook, capsys):
    import argparse

    from tui.app.launch import open_sessions

    holder = Holder(runbook)
    try:
        args = argparse.Namespace(config=None, model=None, replay_rate=None, force_unlock=False)
        (held,) = open_sessions(runbook, args)
        assert held.read_only and f"pid {holder.process.pid}" in held.read_only
        held.close()
        args.force_unlock = True
        (session,) = open_sessions(runbook, args)
        assert session.read_only is None
        assert read_holder(runbook).command == "the Patchbay TUI" and read_holder(runbook).pid == os.getpid()
        assert f"held by patchbay run (pid {holder.process.pid}" in capsys.readouterr().err
        session.close()
    finally:
        holder.let_go()
    assert not lock_path(runbook).exists()
