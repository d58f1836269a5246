"""Every window of the swap, with an editor saving into it: the user's newest save ends up in the file.

Issue 17, item 2 (the double race). An editor's save lands at the path: either a new file renamed
over it, or new bytes written into whatever file is there (Patchbay's own version, during the
microseconds it is at the path). Hooks act at each window of `replace_if_unchanged`, no sleeps.
A version kept beside the file (`runbook.yaml.patchbay-kept-…`) may only be one a later save superseded.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.runbook import file_swap
from tui.runbook.writer import RunbookWriteError, set_task_status
from tui.workspace import file_version

RUNBOOK = b"tasks:\n  - id: a\n    status: READY\n  - id: b\n    status: PENDING\n"


class Editor:
    """Saves the file as it is on disk plus one line of its own, the way `how` says; remembers each save."""

    def __init__(self, path: Path, how: str, *, reloads: bool = True) -> None:
        self.path, self.how, self.reloads = path, how, reloads
        self.saves: list[bytes] = []

    def save(self, label: str) -> None:
        # an editor that reloads the file builds on what is on disk; one that does not, on its buffer
        base = self.path.read_bytes() if self.reloads or not self.saves else self.saves[-1]
        data = base + f"# saved at {label} ({len(self.saves)})\n".encode()
        if self.how == "rename":
            fresh = self.path.with_name(".editor-save.tmp")
            fresh.write_bytes(data)
            os.replace(fresh, self.path)
        else:  # truncate and write into the file that is at the path now
            with open(self.path, "wb") as handle:
                handle.write(data)
        self.saves.append(data)


@pytest.fixture
def exchange_only():
    if not file_swap.exchange_available():
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")


def saving_at(editor: Editor, windows: tuple[str, ...]):
    """A window hook that saves once at the first occurrence of each named window."""
    pending = list(windows)

    def hook(name: str, _path: Path) -> None:
        if name in pending:
            pending.remove(name)
            editor.save(name)

    return hook, pending


def kept_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if ".patchbay-kept-" in p.name)


WINDOWS = [
    ("before-swap",),  # between the compare and the swap
    ("after-swap",),  # between the swap and its check: saved on Patchbay's version
    ("before-swap", "after-swap"),  # the double race
    ("before-swap", "before-swap-back"),  # saved on Patchbay's version between the check and the undo
    ("before-swap", "after-swap-back"),  # between the undo and its check
    ("before-swap", "before-swap-back", "after-swap-back"),
]


@pytest.mark.parametrize("how", ["rename", "in-place"])
@pytest.mark.parametrize("windows", WINDOWS, ids=["+".join(w) for w in WINDOWS])
def test_the_newest_save_is_the_file_and_only_superseded_saves_are_kept(
    tmp_path, monkeypatch, exchange_only, how, windows
):
    path = tmp_path / "runbook.yaml"
    path.write_bytes(RUNBOOK)
    editor = Editor(path, how)
    hook, pending = saving_at(editor, windows)
    monkeypatch.setattr(file_swap, "window_hook", hook)

    set_task_status(path, "a", "RUNNING")

    assert pending == []  # every window named was reached
    newest = editor.saves[-1]
    # the newest save is what the file holds, with the status change made on it
    assert path.read_bytes() == newest.replace(b"status: READY", b"status: RUNNING", 1)
    kept = kept_files(tmp_path)
    for version in kept:
        assert version.read_bytes() in editor.saves[:-1]  # only a save a later one superseded
    everything = path.read_bytes() + b"".join(p.read_bytes() for p in kept)
    for number in range(len(editor.saves)):
        assert f"({number})\n".encode() in everything  # no save is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["runbook.yaml", *(p.name for p in kept)])


@pytest.mark.parametrize("how", ["rename", "in-place"])
def test_a_save_on_patchbays_version_before_its_check_stays_in_the_file(
    tmp_path, monkeypatch, exchange_only, how
):
    # The case the kill fuzz hit: the user saved before the swap, then saved again on top of
    # Patchbay's version in the microseconds before it was undone. The second save is the file.
    path = tmp_path / "runbook.yaml"
    path.write_bytes(RUNBOOK)
    editor = Editor(path, how)
    hook, _pending = saving_at(editor, ("before-swap", "after-swap"))
    monkeypatch.setattr(file_swap, "window_hook", hook)
    assert file_swap.replace_if_unchanged(path, RUNBOOK.replace(b"READY", b"DONE"), RUNBOOK) is False
    assert path.read_bytes() == editor.saves[1]
    assert [p.read_bytes() for p in kept_files(tmp_path)] == [editor.saves[0]]


def test_a_file_that_keeps_changing_is_left_with_the_users_newest_bytes_and_one_sentence(
    tmp_path, monkeypatch, exchange_only
):
    path = tmp_path / "runbook.yaml"
    path.write_bytes(RUNBOOK)
    editor = Editor(path, "rename", reloads=False)  # never picks up the status change
    monkeypatch.setattr(file_swap, "window_hook", lambda name, _path: editor.save(name))
    with pytest.raises(RunbookWriteError, match="kept changing on disk") as refused:
        set_task_status(path, "a", "RUNNING")
    assert "\n" not in str(refused.value)
    assert path.read_bytes() == editor.saves[-1]
    for version in kept_files(tmp_path):
        assert version.read_bytes() in editor.saves[:-1]


def test_without_any_save_the_swap_leaves_only_the_new_file(tmp_path, monkeypatch, exchange_only):
    path = tmp_path / "runbook.yaml"
    path.write_bytes(RUNBOOK)
    seen: list[str] = []
    monkeypatch.setattr(file_swap, "window_hook", lambda name, _path: seen.append(name))
    inode = os.stat(path).st_ino
    assert file_swap.replace_if_unchanged(path, b"tasks: []\n", RUNBOOK) is True
    assert path.read_bytes() == b"tasks: []\n" and os.stat(path).st_ino != inode
    assert seen == ["before-swap", "after-swap"]
    assert [p.name for p in tmp_path.iterdir()] == ["runbook.yaml"]


def test_a_save_caught_half_written_in_place_is_never_taken_for_a_version(
    tmp_path, monkeypatch, exchange_only
):
    path = tmp_path / "runbook.yaml"
    path.write_bytes(RUNBOOK)
    probe = os.open(path, os.O_RDONLY)
    try:
        if file_version.open_for_writing(probe) is not False:
            pytest.skip("file leases are not available here")
    finally:
        os.close(probe)
    new_line = b"# the user's new line\n"
    # An editor truncating and writing in place, caught half way: the old text is back, its new line not yet.
    handle = open(path, "r+b")  # noqa: SIM115 - held open across the write on purpose
    try:
        handle.truncate(0)
        handle.write(RUNBOOK)
        handle.flush()
        attempts: list[Path] = []

        def editor_finishes_on_the_second_attempt(_path: Path) -> None:
            attempts.append(_path)
            if len(attempts) == 2:
                handle.write(new_line)
                handle.close()

        monkeypatch.setattr(file_swap, "after_fsync_hook", editor_finishes_on_the_second_attempt)
        set_task_status(path, "a", "RUNNING")
    finally:
        if not handle.closed:  # the editor finishes its save whenever it does
            handle.write(new_line)
            handle.close()
    assert path.read_bytes() == (RUNBOOK + new_line).replace(b"READY", b"RUNNING")
    assert [p.name for p in tmp_path.iterdir()] == ["runbook.yaml"]


def test_a_save_begun_in_place_just_before_the_swap_goes_back_to_the_path(
    tmp_path, monkeypatch, exchange_only
):
    path = tmp_path / "runbook.yaml"
    path.write_bytes(RUNBOOK)
    probe = os.open(path, os.O_RDONLY)
    try:
        if file_version.open_for_writing(probe) is not False:
            pytest.skip("file leases are not available here")
    finally:
        os.close(probe)
    new_line = b"# the user's new line\n"
    editor: dict[str, object] = {}

    def editor_opens_the_file_between_the_compare_and_the_swap(name: str, target: Path) -> None:
        if name == "before-swap" and not editor:
            handle = open(target, "r+b")  # noqa: SIM115 - held open across the swap on purpose
            handle.truncate(0)
            handle.write(RUNBOOK)  # so far the same bytes: only the open file tells a save is under way
            handle.flush()
            editor["handle"] = handle

    attempts: list[Path] = []

    def editor_finishes_on_the_second_attempt(_path: Path) -> None:
        attempts.append(_path)
        handle = editor.get("handle")
        if len(attempts) == 2 and handle is not None:
            handle.write(new_line)  # type: ignore[union-attr]
            handle.close()  # type: ignore[union-attr]

    monkeypatch.setattr(file_swap, "window_hook", editor_opens_the_file_between_the_compare_and_the_swap)
    monkeypatch.setattr(file_swap, "after_fsync_hook", editor_finishes_on_the_second_attempt)
    try:
        set_task_status(path, "a", "RUNNING")
    finally:
        handle = editor["handle"]
        if not handle.closed:  # type: ignore[union-attr]
            handle.write(new_line)  # type: ignore[union-attr]
            handle.close()  # type: ignore[union-attr]
    assert path.read_bytes() == (RUNBOOK + new_line).replace(b"READY", b"RUNNING")
    assert [p.name for p in tmp_path.iterdir()] == ["runbook.yaml"]
