from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tui.errors import PatchbayError
from tui.workspace import journal_write
from tui.workspace.journal import (
    ApplyConflict,
    FileWrite,
    applied_changes,
    apply_atomically,
    last_undoable_change,
    recover,
    recover_interrupted,
    undo,
    undo_blockers,
)
from tui.workspace.journal_store import KEEP_ENTRIES, Journal
from tui.workspace.paths import UnsafePathError


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every file (bytes, mode) and folder under root, leaving out journals."""
    found: dict[str, tuple[bytes | None, int]] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [name for name in dirs if name not in (".patchbay", ".git")]
        for name in dirs:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix() + "/"] = (None, path.stat().st_mode & 0o7777)
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = (path.read_bytes(), path.stat().st_mode & 0o7777)
    return found


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_bytes(b"def main():\r\n    return 1\r\n")
    (root / "run.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    (root / "old.txt").write_bytes(b"to be removed\n")
    return root


def change_for(tree: Path) -> list[FileWrite]:
    return [
        FileWrite("src/app.py", b"def main():\r\n    return 2\r\n", (tree / "src/app.py").read_bytes()),
        FileWrite("run.sh", b"#!/bin/sh\necho bye\n", (tree / "run.sh").read_bytes()),
        FileWrite("pkg/sub/new.py", b"NEW = True", None),
        FileWrite("old.txt", None, b"to be removed\n"),
    ]


def test_apply_writes_every_file_exactly_and_keeps_modes(tree: Path) -> None:
    change = apply_atomically(tree, change_for(tree))
    assert (tree / "src/app.py").read_bytes() == b"def main():\r\n    return 2\r\n"
    assert (tree / "run.sh").read_bytes() == b"#!/bin/sh\necho bye\n"
    assert (tree / "run.sh").stat().st_mode & 0o7777 == 0o755
    assert (tree / "pkg/sub/new.py").read_bytes() == b"NEW = True"
    assert (tree / "pkg/sub/new.py").stat().st_mode & 0o7777 == 0o666 & ~_umask()
    assert not (tree / "old.txt").exists()
    assert change.files == ["src/app.py", "run.sh", "pkg/sub/new.py", "old.txt"]
    assert change.old_hashes["pkg/sub/new.py"] is None
    assert change.new_hashes["old.txt"] is None
    assert change.created_dirs == ["pkg", "pkg/sub"]
    assert change.workdir == Path(os.path.realpath(tree))
    assert [item.id for item in applied_changes(tree)] == [change.id]


def test_undo_restores_files_modes_and_removes_created_folders(tree: Path) -> None:
    before = snapshot(tree)
    change = apply_atomically(tree, change_for(tree))
    reverted = undo(tree)
    assert reverted.kind == "undo"
    assert reverted.undoes == change.id
    assert snapshot(tree) == before


def test_a_conflict_in_one_file_writes_nothing(tree: Path) -> None:
    before = snapshot(tree)
    writes = change_for(tree)
    writes[1] = FileWrite("run.sh", b"changed\n", b"not what is on disk\n")
    with pytest.raises(ApplyConflict, match=r"run\.sh changed"):
        apply_atomically(tree, writes)
    assert snapshot(tree) == before
    assert applied_changes(tree) == []


def test_creating_a_file_that_already_exists_is_a_conflict(tree: Path) -> None:
    with pytest.raises(ApplyConflict, match="already exists"):
        apply_atomically(tree, [FileWrite("run.sh", b"x\n", None)])


def test_a_file_removed_meanwhile_is_a_conflict(tree: Path) -> None:
    with pytest.raises(ApplyConflict, match="no longer exists"):
        apply_atomically(tree, [FileWrite("gone.py", b"x\n", b"old\n")])


@pytest.mark.parametrize("bad", ["../escape.txt", "/tmp/abs.txt", ".git/config", "a\x00b"])
def test_an_unsafe_path_anywhere_in_the_change_writes_nothing(tree: Path, bad: str) -> None:
    before = snapshot(tree)
    with pytest.raises(UnsafePathError):
        apply_atomically(tree, [*change_for(tree), FileWrite(bad, b"x\n", None)])
    assert snapshot(tree) == before
    assert not (tree.parent / "escape.txt").exists()


def test_binary_files_are_refused(tree: Path) -> None:
    (tree / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(PatchbayError, match="binary"):
        apply_atomically(tree, [FileWrite("logo.png", b"text\n", (tree / "logo.png").read_bytes())])
    with pytest.raises(PatchbayError, match="binary"):
        apply_atomically(tree, [FileWrite("blob.bin", b"\x00\x01", None)])


def test_the_same_file_twice_is_refused(tree: Path) -> None:
    old = (tree / "run.sh").read_bytes()
    with pytest.raises(PatchbayError, match="twice"):
        apply_atomically(tree, [FileWrite("run.sh", b"a\n", old), FileWrite("./run.sh", b"b\n", old)])


def test_a_rename_that_fails_midway_rolls_back_the_files_already_written(tree: Path, monkeypatch) -> None:
    before = snapshot(tree)
    steps: list[str] = []

    def between_steps(name: str) -> None:
        steps.append(name)
        if name == "wrote run.sh":  # the next file's staged copy vanishes: os.replace fails for real
            (tree / "pkg/sub").joinpath(next(tree.glob("pkg/sub/.*.patchbay-tmp")).name).unlink()

    monkeypatch.setattr(journal_write, "_step", between_steps)
    with pytest.raises(PatchbayError, match=r"Could not write pkg/sub/new.py .*; nothing was changed"):
        apply_atomically(tree, change_for(tree))
    assert "wrote src/app.py" in steps
    assert snapshot(tree) == before
    assert applied_changes(tree) == []
    assert [entry.state for entry in Journal(tree).entries()] == ["rolled_back"]


def test_writing_through_an_inside_symlink_keeps_the_link(tree: Path) -> None:
    (tree / "alias.py").symlink_to("src/app.py")
    old = (tree / "alias.py").read_bytes()
    change = apply_atomically(tree, [FileWrite("alias.py", b"patched\n", old)])
    assert (tree / "alias.py").is_symlink()
    assert (tree / "src/app.py").read_bytes() == b"patched\n"
    assert change.files == ["src/app.py"]


def test_undo_refuses_when_a_file_was_edited_since_unless_forced(tree: Path) -> None:
    original = (tree / "src/app.py").read_bytes()
    apply_atomically(tree, [FileWrite("src/app.py", b"model\n", original)])
    (tree / "src/app.py").write_bytes(b"user edit after apply\n")
    assert undo_blockers(tree) == ["src/app.py"]
    with pytest.raises(ApplyConflict, match=r"src/app.py changed after change .* was applied"):
        undo(tree)
    assert (tree / "src/app.py").read_bytes() == b"user edit after apply\n"
    undo(tree, force=True)
    assert (tree / "src/app.py").read_bytes() == original


def test_undo_walks_back_one_change_at_a_time(tree: Path) -> None:
    v0 = (tree / "run.sh").read_bytes()
    first = apply_atomically(tree, [FileWrite("run.sh", b"v1\n", v0)])
    second = apply_atomically(tree, [FileWrite("run.sh", b"v2\n", b"v1\n")])
    assert last_undoable_change(tree).id == second.id
    assert undo(tree).undoes == second.id
    assert (tree / "run.sh").read_bytes() == b"v1\n"
    assert undo(tree).undoes == first.id
    assert (tree / "run.sh").read_bytes() == v0
    assert last_undoable_change(tree) is None
    with pytest.raises(PatchbayError, match="no applied change to undo"):
        undo(tree)
    with pytest.raises(PatchbayError, match="already undone"):
        undo(tree, first.id)


def test_journal_lives_in_the_git_dir_and_git_status_stays_clean(tmp_path: Path, isolated_git: Path) -> None:
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "sub" / "a.txt").write_text("a\n")
    apply_atomically(root / "sub", [FileWrite("a.txt", b"b\n", b"a\n")])
    assert list((root / ".git" / "patchbay" / "journal").glob("*/entry.json"))
    assert not (root / ".patchbay").exists() and not (root / "sub" / ".patchbay").exists()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True).stdout
    assert status.split() == ["??", "sub/"]
    assert undo(root / "sub").undoes is not None
    assert (root / "sub" / "a.txt").read_text() == "a\n"


def test_journal_outside_git_is_in_dot_patchbay_and_cannot_be_written_by_a_change(tree: Path) -> None:
    apply_atomically(tree, [FileWrite("note.txt", b"n\n", None)])
    assert Journal(tree).root == Path(os.path.realpath(tree)) / ".patchbay" / "journal"
    entry_file = next(Journal(tree).root.glob("*/entry.json"))
    rel = entry_file.relative_to(tree).as_posix()
    with pytest.raises(UnsafePathError, match="journal"):
        apply_atomically(tree, [FileWrite(rel, b"{}", entry_file.read_bytes())])


def test_old_entries_are_pruned_to_the_last_n(tree: Path) -> None:
    content = (tree / "run.sh").read_bytes()
    for number in range(KEEP_ENTRIES + 3):
        new = f"v{number}\n".encode()
        apply_atomically(tree, [FileWrite("run.sh", new, content)])
        content = new
    changes = applied_changes(tree)
    assert len(changes) == KEEP_ENTRIES
    assert len(list(Journal(tree).root.glob("*/entry.json"))) == KEEP_ENTRIES


def test_recover_without_a_journal_does_nothing(tree: Path) -> None:
    before = snapshot(tree)
    assert recover_interrupted(tree) == []
    assert snapshot(tree) == before


def _interrupt_after_commit(tree: Path, change_id: str) -> None:
    """The state a kill leaves after the last rename but before the commit mark."""
    journal = Journal(tree)
    entry = next(item for item in journal.entries() if item.id == change_id)
    entry.state = "in_progress"
    journal.save(entry)


def test_recovery_rolls_back_files_that_are_provably_the_interrupted_write(tree: Path) -> None:
    before = snapshot(tree)
    change = apply_atomically(tree, change_for(tree))
    _interrupt_after_commit(tree, change.id)
    reports = recover(tree)
    assert snapshot(tree) == before
    assert [report.rolled_back for report in reports] == [True]
    assert reports[0].message.startswith(f"An interrupted apply (change {change.id}) was rolled back: ")
    assert recover(tree) == []


def test_recovery_leaves_the_whole_tree_alone_once_a_file_was_edited_after_the_crash(tree: Path) -> None:
    old = (tree / "run.sh").read_bytes()
    change = apply_atomically(tree, [FileWrite("run.sh", b"new\n", old), FileWrite("x.txt", b"x\n", None)])
    _interrupt_after_commit(tree, change.id)
    (tree / "x.txt").write_bytes(b"user typed this after the crash\n")
    reports = recover(tree)
    assert recover_interrupted(tree) == []
    assert (tree / "run.sh").read_bytes() == b"new\n"  # never a mix of old run.sh and the user's x.txt
    assert (tree / "x.txt").read_bytes() == b"user typed this after the crash\n"
    assert reports[0].left == ["run.sh"]
    assert (
        "x.txt changed after it" in reports[0].message
        and "run.sh still holds its change" in reports[0].message
    )
    entry = next(item for item in Journal(tree).entries() if item.id == change.id)
    assert entry.state == "retired"
    assert entry.note == reports[0].message


def test_a_file_rewritten_with_the_same_bytes_is_not_the_interrupted_write(tree: Path) -> None:
    old = (tree / "run.sh").read_bytes()
    change = apply_atomically(tree, [FileWrite("run.sh", b"new\n", old)])
    _interrupt_after_commit(tree, change.id)
    # The user (or a later tool) wrote the same bytes again: a new file, not the interrupted one.
    (tree / "run.sh").unlink()
    (tree / "run.sh").write_bytes(b"new\n")
    [report] = recover(tree)
    assert not report.rolled_back
    assert (tree / "run.sh").read_bytes() == b"new\n"


def test_a_later_apply_of_the_same_file_retires_a_stale_entry(tree: Path) -> None:
    old = (tree / "run.sh").read_bytes()
    stale = apply_atomically(tree, [FileWrite("run.sh", b"first\n", old)])
    later = apply_atomically(tree, [FileWrite("run.sh", b"second\n", b"first\n")])
    _interrupt_after_commit(tree, stale.id)  # as an older Patchbay, which did not recover first, left it
    [report] = recover(tree)
    assert not report.rolled_back
    assert f"the later change {later.id} wrote run.sh" in report.message
    assert (tree / "run.sh").read_bytes() == b"second\n"
    assert last_undoable_change(tree).id == later.id


def test_an_entry_from_the_older_format_is_never_rolled_back_blindly(tree: Path) -> None:
    old = (tree / "run.sh").read_bytes()
    change = apply_atomically(tree, [FileWrite("run.sh", b"new\n", old)])
    journal = Journal(tree)
    entry = next(item for item in journal.entries() if item.id == change.id)
    entry.state, entry.version, entry.staged = "in_progress", 1, False
    for record in entry.files:
        record.stamp = record.temp = None
    journal.save(entry)
    [report] = recover(tree)
    assert not report.rolled_back and "older Patchbay" in report.message and report.left == ["run.sh"]
    assert (tree / "run.sh").read_bytes() == b"new\n"


def test_a_commit_after_the_crash_retires_the_entry_without_touching_files(
    tmp_path: Path, isolated_git: Path
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "a.txt").write_text("a\n")
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=root, check=True)
    change = apply_atomically(root, [FileWrite("a.txt", b"b\n", b"a\n")])
    _interrupt_after_commit(root, change.id)
    subprocess.run([*git, "commit", "-qam", "keep the change"], cwd=root, check=True)
    [report] = recover(root)
    assert (root / "a.txt").read_text() == "b\n"
    assert not report.rolled_back and "HEAD moved" in report.message


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
