"""A user's save that lands while an apply puts its files in place is never overwritten (issue 17).

Hooks act in each window of a put (before the compare, between the compare and the put, right
after the put), no sleeps. An editor saves either by renaming a new file over the path or by
writing into the file that is there. The save must stay at its path, the whole change is rolled
back (files already put go back), and the refusal is one sentence naming the file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.workspace import file_version, journal_put, rename_exchange
from tui.workspace.journal import ApplyConflict, FileWrite, apply_atomically, recover
from tui.workspace.journal_store import IN_PROGRESS, ROLLED_BACK, Journal

BEFORE = {"a.py": b"alpha = 1\n", "b.py": b"beta = 1\n", "gone.txt": b"remove me\n"}
AFTER = {"a.py": b"alpha = 2\n", "b.py": b"beta = 2\n", "pkg/new.py": b"NEW = True\n"}
WINDOWS = ("before-put", "after-compare", "after-put")


def change() -> list[FileWrite]:
    return [
        FileWrite("a.py", AFTER["a.py"], BEFORE["a.py"]),
        FileWrite("b.py", AFTER["b.py"], BEFORE["b.py"]),
        FileWrite("gone.txt", None, BEFORE["gone.txt"]),
        FileWrite("pkg/new.py", AFTER["pkg/new.py"], None),
    ]


def files_in(root: Path) -> dict[str, bytes]:
    found = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [name for name in dirs if name != ".patchbay"]
        for name in names:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def save(path: Path, data: bytes, how: str) -> None:
    if how == "rename":
        fresh = path.with_name(".editor-save.tmp")
        fresh.write_bytes(data)
        os.replace(fresh, path)
    else:  # truncate and write into whatever file is at the path now
        with open(path, "wb") as handle:
            handle.write(data)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "tree"
    folder.mkdir()
    for rel, data in BEFORE.items():
        (folder / rel).write_bytes(data)
    return folder


@pytest.fixture
def exchange_only():
    if not rename_exchange.exchange_available():
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")


def saving_once(monkeypatch, target: Path, window: str, data: bytes, how: str) -> list[str]:
    """Save `data` to `target` the first time the put of `target` reaches `window`."""
    done: list[str] = []

    def hook(name: str, path: Path) -> None:
        if path == target and name == window and not done:
            save(target, data, how)
            done.append(name)

    monkeypatch.setattr(journal_put, "window_hook", hook)
    return done


def assert_rolled_back_with(root: Path, saved: dict[str, bytes]) -> None:
    assert files_in(root) == {**BEFORE, **saved}  # no temporary or kept file either
    entries = Journal(root).entries()
    assert [entry.state for entry in entries] == [ROLLED_BACK]
    assert recover(root) == []


@pytest.mark.usefixtures("exchange_only")
@pytest.mark.parametrize("how", ["rename", "in-place"])
@pytest.mark.parametrize("window", WINDOWS)
def test_a_save_to_a_file_being_replaced_stays_and_the_whole_change_is_rolled_back(
    root, monkeypatch, how, window
):
    users = b"beta = 1\nusers_line = 1\n"
    done = saving_once(monkeypatch, root / "b.py", window, users, how)
    with pytest.raises(ApplyConflict) as refused:
        apply_atomically(root, change())
    assert done == [window]
    assert (
        str(refused.value)
        == "b.py changed while the change was being applied; nothing was applied, run it again."
    )
    assert_rolled_back_with(root, {"b.py": users})  # a.py, put before b.py, went back too


@pytest.mark.usefixtures("exchange_only")
@pytest.mark.parametrize("how", ["rename", "in-place"])
@pytest.mark.parametrize("window", WINDOWS)
def test_a_save_to_a_file_being_deleted_stays(root, monkeypatch, how, window):
    users = b"remove me\nbut keep this\n"
    saving_once(monkeypatch, root / "gone.txt", window, users, how)
    with pytest.raises(ApplyConflict, match=r"^gone\.txt changed while the change was being applied"):
        apply_atomically(root, change())
    assert_rolled_back_with(root, {"gone.txt": users})


@pytest.mark.parametrize("window", ["before-put", "after-compare"])
def test_a_file_saved_where_the_change_creates_one_stays(root, monkeypatch, window):
    (root / "pkg").mkdir()
    users = b"mine = True\n"
    saving_once(monkeypatch, root / "pkg" / "new.py", window, users, "rename")
    with pytest.raises(ApplyConflict, match=r"^pkg/new\.py changed while the change was being applied"):
        apply_atomically(root, change())
    assert_rolled_back_with(root, {"pkg/new.py": users})


@pytest.mark.parametrize("how", ["rename", "in-place"])
@pytest.mark.parametrize("window", ["before-put", "after-put"])
def test_without_the_exchange_the_checked_rename_keeps_a_save_before_or_after_it(
    root, monkeypatch, how, window
):
    monkeypatch.setitem(rename_exchange.exchange_state, "call", None)
    users = b"beta = 1\nusers_line = 1\n"
    saving_once(monkeypatch, root / "b.py", window, users, how)
    with pytest.raises(ApplyConflict, match=r"^b\.py changed while the change was being applied"):
        apply_atomically(root, change())
    assert_rolled_back_with(root, {"b.py": users})


def test_with_no_save_every_window_passes_and_the_change_lands(root, monkeypatch):
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(journal_put, "window_hook", lambda name, path: seen.append((name, path.name)))
    apply_atomically(root, change())
    assert files_in(root) == AFTER
    assert {name for name, _ in seen} == set(WINDOWS)


class Killed(BaseException):
    """Stands in for SIGKILL at a window: nothing after it runs, the disk stays as it is."""


@pytest.mark.usefixtures("exchange_only")
@pytest.mark.parametrize("newer_at_path", [False, True])
def test_recovery_treats_a_swap_file_holding_a_users_save_as_the_users_version(
    root, monkeypatch, newer_at_path
):
    users = b"beta = 1\nsaved into the file moved out\n"
    newer = b"beta = 2\nsaved at the path after that\n"

    def hook(name: str, path: Path) -> None:
        if path.name == "b.py" and name == "after-put":
            # the editor held b.py open and writes into it: that file is under the swap name now
            (swap,) = [entry for entry in root.iterdir() if entry.name.endswith(".patchbay-tmp")]
            save(swap, users, "in-place")
            if newer_at_path:
                save(path, newer, "rename")
            raise Killed

    monkeypatch.setattr(journal_put, "window_hook", hook)
    with pytest.raises(Killed):
        apply_atomically(root, change())
    monkeypatch.setattr(journal_put, "window_hook", None)
    assert [entry.state for entry in Journal(root).entries()] == [IN_PROGRESS]

    (report,) = recover(root)
    state = files_in(root)
    if newer_at_path:  # both saves stay: the newer at the path, the other in sight beside it
        (kept,) = [name for name in state if name.startswith("b.py.patchbay-kept-")]
        assert state.pop(kept) == users
        assert state == {**BEFORE, "b.py": newer}
        assert report.rolled_back and report.restored == ["a.py"]
    else:
        assert state == {**BEFORE, "b.py": users}
        assert report.rolled_back and report.restored == ["a.py"]
        assert "b.py kept the save that landed while it wrote" in report.message


def test_the_command_names_the_file_saved_during_the_write_phase_and_writes_nothing(root, tmp_path):
    answer = tmp_path / "answer.diff"
    answer.write_text(
        "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-alpha = 1\n+alpha = 2\n"
        "--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-beta = 1\n+beta = 2\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "tui", "apply", "--workdir", str(root), str(answer)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PATCHBAY_TEST_JOURNAL_PAUSE_AT": "1"},  # the entry is written, nothing put yet
    )
    assert child.stderr is not None
    assert child.stderr.readline().startswith("patchbay-test: paused at step 1 ")
    save(root / "b.py", b"beta = 1\nusers_line = 1\n", "rename")
    _, err = child.communicate("go\n", timeout=60)
    assert child.returncode == 1
    assert err.strip().endswith(
        "b.py changed while the change was being applied; nothing was applied, run it again."
    )
    assert "Traceback" not in err
    assert files_in(root) == {**BEFORE, "b.py": b"beta = 1\nusers_line = 1\n"}


@pytest.mark.usefixtures("exchange_only")
@pytest.mark.parametrize("window", ["before-put", "after-compare"])
def test_a_save_caught_half_written_in_place_is_never_replaced(root, monkeypatch, window):
    probe = os.open(root / "b.py", os.O_RDONLY)
    try:
        if file_version.open_for_writing(probe) is not False:
            pytest.skip("file leases are not available here")
    finally:
        os.close(probe)
    handles = []

    def hook(name: str, path: Path) -> None:
        if path.name == "b.py" and name == window and not handles:
            # an editor truncated and rewrote the old text in place, its new line not written yet
            handle = open(path, "r+b")  # noqa: SIM115 - held open across the put on purpose
            handle.truncate(0)
            handle.write(BEFORE["b.py"])
            handle.flush()
            handles.append(handle)

    monkeypatch.setattr(journal_put, "window_hook", hook)
    with pytest.raises(ApplyConflict, match=r"^b\.py changed while the change was being applied"):
        apply_atomically(root, change())
    (handle,) = handles
    handle.write(b"users_line = 1\n")  # the editor finishes into the file that is at the path
    handle.close()
    assert_rolled_back_with(root, {"b.py": BEFORE["b.py"] + b"users_line = 1\n"})


@pytest.mark.usefixtures("exchange_only")
@pytest.mark.parametrize("how", ["rename", "in-place"])
@pytest.mark.parametrize("window", WINDOWS)
def test_a_save_landing_while_recovery_puts_a_file_back_stays(root, monkeypatch, how, window):
    """Recovery puts the old bytes back as a put too: over exactly the change's bytes, or not at all."""

    def killed_after_b(name: str, path: Path) -> None:
        if path.name == "gone.txt" and name == "before-put":
            raise Killed  # a.py and b.py hold the change; the crash comes before the rest

    monkeypatch.setattr(journal_put, "window_hook", killed_after_b)
    with pytest.raises(Killed):
        apply_atomically(root, change())
    assert files_in(root)["b.py"] == AFTER["b.py"]
    users = b"beta = 2\nusers_line_during_recovery = 1\n"
    done = saving_once(monkeypatch, root / "b.py", window, users, how)
    (report,) = recover(root)
    monkeypatch.setattr(journal_put, "window_hook", None)
    assert done == [window]
    state = files_in(root)
    assert state["b.py"] == users  # the save stays; the old bytes never went over it
    assert state["a.py"] == BEFORE["a.py"]  # the rest was rolled back
    assert not [name for name in state if "patchbay" in name]
    assert report.restored == ["a.py"] and report.left == []
    assert "b.py kept the save that landed while it was put back" in report.message
