"""A user's save that lands while Patchbay writes a status is never lost (issue 17, item 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tui.runbook import file_swap, writer
from tui.runbook.writer import set_task_status
from tui.workspace import rename_exchange

RUNBOOK = "tasks:\n  - id: a\n    status: READY\n  - id: b\n    status: PENDING\n"
USERS_LINE = "  # the user's note, saved mid-write\n"


def save_from_an_editor(path: Path, text: str) -> None:
    """What most editors do: write a new file beside it and rename it over the old one."""
    fresh = path.with_name(".editor-save.tmp")
    fresh.write_text(text, encoding="utf-8")
    os.replace(fresh, path)


@pytest.fixture(params=["exchange", "checked-rename"])
def swap_mode(request, monkeypatch):
    if request.param == "exchange":
        if not file_swap.exchange_available():
            pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    else:  # what non-Linux systems (and file systems without the exchange) get
        monkeypatch.setitem(rename_exchange.exchange_state, "call", None)
    return request.param


@pytest.mark.parametrize("how", ["rename", "in-place"])
def test_a_save_landing_after_the_fsync_and_before_the_swap_survives(tmp_path, monkeypatch, swap_mode, how):
    path = tmp_path / "runbook.yaml"
    path.write_text(RUNBOOK, encoding="utf-8")
    calls = []

    def slowed_fsync_window(target: Path) -> None:
        # the write's temporary file is on disk; the user saves now, once
        if not calls:
            edited = target.read_text(encoding="utf-8").replace("  - id: b", USERS_LINE + "  - id: b")
            if how == "rename":
                save_from_an_editor(target, edited)
            else:
                target.write_text(edited, encoding="utf-8")
        calls.append(target)

    monkeypatch.setattr(file_swap, "after_fsync_hook", slowed_fsync_window)
    set_task_status(path, "a", "RUNNING")
    assert path.read_text(encoding="utf-8") == RUNBOOK.replace("READY", "RUNNING").replace(
        "  - id: b", USERS_LINE + "  - id: b"
    )
    assert len(calls) == 2  # the first swap saw the user's bytes and was undone; the edit was redone
    assert [p.name for p in tmp_path.iterdir()] == ["runbook.yaml"]  # no swap file left behind


def test_the_exchange_leaves_the_users_file_in_place_not_a_copy(tmp_path, monkeypatch):
    if not file_swap.exchange_available():
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    path = tmp_path / "runbook.yaml"
    path.write_text(RUNBOOK, encoding="utf-8")
    seen = {}

    def user_saves(target: Path) -> None:
        if not seen:
            save_from_an_editor(target, RUNBOOK + "# saved\n")
            seen["inode"] = os.stat(target).st_ino

    monkeypatch.setattr(file_swap, "after_fsync_hook", user_saves)
    assert file_swap.replace_if_unchanged(path, b"ours", RUNBOOK.encode()) is False
    # swapped back: the very file the user saved is at the path again, untouched
    assert os.stat(path).st_ino == seen["inode"]
    assert path.read_text(encoding="utf-8") == RUNBOOK + "# saved\n"


def test_sigint_during_the_swap_is_held_until_the_file_is_consistent(tmp_path, monkeypatch, swap_mode):
    path = tmp_path / "runbook.yaml"
    path.write_text(RUNBOOK, encoding="utf-8")
    monkeypatch.setattr(file_swap, "after_fsync_hook", lambda _path: os.kill(os.getpid(), signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        set_task_status(path, "a", "DONE")
    # the interrupt came after the swap finished: the new status is there, nothing half-done
    assert path.read_text(encoding="utf-8") == RUNBOOK.replace("READY", "DONE")
    assert [p.name for p in tmp_path.iterdir()] == ["runbook.yaml"]


def _swap_name(path: Path, made_from: bytes, wrote: bytes) -> Path:
    return path.with_name(
        f".{path.name}.{file_swap._fingerprint(made_from)}.{file_swap._fingerprint(wrote)}.x1{file_swap.SWAP_SUFFIX}"
    )


def test_a_users_version_left_in_a_swap_file_by_a_killed_writer_is_put_back(tmp_path):
    if not file_swap.exchange_available():
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    path = tmp_path / "runbook.yaml"
    made_from = RUNBOOK.encode()
    users = (RUNBOOK + "# the user's line\n").encode()
    ours = RUNBOOK.replace("READY", "DONE").encode()
    # killed right after the exchange: our bytes at the path, the user's under the swap name
    path.write_bytes(ours)
    _swap_name(path, made_from, ours).write_bytes(users)
    file_swap.recover_leftovers(path)
    assert path.read_bytes() == users
    assert [p.name for p in tmp_path.iterdir()] == ["runbook.yaml"]


def test_stale_swap_files_are_removed_and_a_users_version_is_kept_in_sight(tmp_path):
    path = tmp_path / "runbook.yaml"
    made_from, ours = RUNBOOK.encode(), RUNBOOK.replace("READY", "DONE").encode()
    later = (RUNBOOK + "# saved after the crash\n").encode()
    path.write_bytes(later)
    _swap_name(path, made_from, ours).write_bytes(ours)  # never swapped in
    stale_original = path.with_name(_swap_name(path, made_from, ours).name.replace(".x1", ".x2"))
    stale_original.write_bytes(made_from)  # swapped out, and it was what the edit was made from
    users = path.with_name(_swap_name(path, made_from, ours).name.replace(".x1", ".x3"))
    users.write_bytes(b"tasks: []  # someone's version\n")
    half_written = path.with_name(f".{path.name}.1-0.2-0.x4{file_swap.NEW_SUFFIX}")
    half_written.write_bytes(b"tas")  # killed while writing: it never reached the path
    after_the_crash = os.stat(users).st_mtime_ns + 10**9
    os.utime(path, ns=(after_the_crash, after_the_crash))
    file_swap.recover_leftovers(path)
    assert path.read_bytes() == later  # the path moved on since: it is left alone
    kept = tmp_path / "runbook.yaml.patchbay-kept-x3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runbook.yaml", kept.name]
    assert kept.read_bytes() == b"tasks: []  # someone's version\n"


def test_the_writer_recovers_leftovers_before_its_first_write(tmp_path, monkeypatch):
    if not file_swap.exchange_available():
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    monkeypatch.setattr(file_swap, "_recovered", set())
    path = tmp_path / "runbook.yaml"
    made_from = RUNBOOK.encode()
    users = RUNBOOK.replace("  - id: b", USERS_LINE + "  - id: b").encode()
    ours = RUNBOOK.replace("PENDING", "READY").encode()
    path.write_bytes(ours)
    _swap_name(path, made_from, ours).write_bytes(users)
    writer.set_task_status(path, "a", "DONE")
    assert path.read_bytes() == users.replace(b"status: READY", b"status: DONE", 1)


def test_a_users_save_into_patchbays_file_left_under_the_swap_name_goes_back_when_newer(tmp_path):
    # killed after undoing a swap, before bringing back a save made into Patchbay's file meanwhile
    if not file_swap.exchange_available():
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    path = tmp_path / "runbook.yaml"
    made_from, ours = RUNBOOK.encode(), RUNBOOK.replace("READY", "DONE").encode()
    older = (RUNBOOK + "# saved before the swap\n").encode()
    newer = ours + b"# saved on Patchbay's version\n"
    path.write_bytes(older)
    leftover = _swap_name(path, made_from, ours)
    leftover.write_bytes(newer)
    before = os.stat(path).st_mtime_ns
    os.utime(leftover, ns=(before + 10**9, before + 10**9))
    file_swap.recover_leftovers(path)
    assert path.read_bytes() == newer
    kept = [p for p in tmp_path.iterdir() if p.name != "runbook.yaml"]
    assert [p.read_bytes() for p in kept] == [older]
    assert kept[0].name.startswith("runbook.yaml.patchbay-kept-")


def test_sigterm_during_the_swap_ends_the_process_after_the_file_is_consistent(tmp_path, swap_mode):
    path = tmp_path / "runbook.yaml"
    path.write_text(RUNBOOK, encoding="utf-8")
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from tui.runbook import file_swap\n"
        "from tui.workspace import rename_exchange\n"
        "from tui.runbook.writer import set_task_status\n"
        "if sys.argv[2] != 'exchange':\n"
        "    rename_exchange.exchange_state['call'] = None\n"
        "file_swap.after_fsync_hook = lambda _path: os.kill(os.getpid(), signal.SIGTERM)\n"
        "set_task_status(Path(sys.argv[1]), 'a', 'DONE')\n"
        "print('went on after SIGTERM')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), swap_mode],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # SIGTERM's default still ends the process, only once the new status is wholly in place
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert "went on" not in done.stdout
    assert path.read_text(encoding="utf-8") == RUNBOOK.replace("READY", "DONE")
    assert [p.name for p in tmp_path.iterdir()] == ["runbook.yaml"]
