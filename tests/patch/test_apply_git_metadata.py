"""git's metadata in a diff — renames, modes, new and deleted files — is applied or refused with a
sentence, never dropped. Every diff here is what `git diff` prints in a real repository."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tui.cli import main
from tui.workspace.journal import undo

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "core.fileMode=true"]


def git(root: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # No global or system git config: the state of a fresh machine.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / ".gitconfig"))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "old_name.py").write_text("".join(f"value_{n} = {n}\n" for n in range(20)))
    (root / "tool.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "tool.sh").chmod(0o644)
    (root / "gone.txt").write_text("remove me\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def diff_of(root: Path, change) -> str:
    """Make a change with git, record `git diff -M HEAD`, then put the tree back."""
    change(root)
    git(root, "add", "-A")
    text = git(root, "diff", "--cached", "-M", "HEAD")
    git(root, "reset", "-q", "--hard", "HEAD")
    git(root, "clean", "-qfd")
    return text


def apply(root: Path, tmp_path: Path, text: str, *extra: str) -> int:
    answer = tmp_path / "answer.diff"
    answer.write_text(text)
    return main(["apply", "--workdir", str(root), *extra, str(answer)])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_rename_with_an_edit_is_applied_as_a_rename_and_undone_as_one(repo, tmp_path, capsys):
    def change(root: Path) -> None:
        git(root, "mv", "old_name.py", "new_name.py")
        text = (root / "new_name.py").read_text().replace("value_3 = 3", "value_3 = 33")
        (root / "new_name.py").write_text(text)

    text = diff_of(repo, change)
    assert "rename from old_name.py" in text
    before = (repo / "old_name.py").read_bytes()
    assert apply(repo, tmp_path, text) == 0
    out = capsys.readouterr().out
    assert not (repo / "old_name.py").exists()
    assert (repo / "new_name.py").read_bytes() == before.replace(b"value_3 = 3", b"value_3 = 33")
    assert "new_name.py: applied (+1 -1)" in out and "renamed from old_name.py" in out
    undo(repo)
    assert (repo / "old_name.py").read_bytes() == before and not (repo / "new_name.py").exists()


def test_a_pure_rename_is_applied_not_reported_as_holding_no_diff(repo, tmp_path, capsys):
    def change(root: Path) -> None:
        (root / "moved").mkdir()
        git(root, "mv", "old_name.py", "moved/new_name.py")

    text = diff_of(repo, change)
    assert "similarity index 100%" in text and "@@" not in text
    before = (repo / "old_name.py").read_bytes()
    code = apply(repo, tmp_path, text, "--json")
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "holds no diff" not in captured.err
    assert (repo / "moved/new_name.py").read_bytes() == before and not (repo / "old_name.py").exists()
    [item] = json.loads(captured.out)["files"]
    assert item["renamed_from"] == "old_name.py" and item["status"] == "applied"


def test_a_rename_onto_an_existing_file_is_refused_with_a_sentence(repo, tmp_path, capsys):
    text = diff_of(repo, lambda root: git(root, "mv", "old_name.py", "taken.py"))
    (repo / "taken.py").write_text("mine\n")
    assert apply(repo, tmp_path, text) == 1
    err = capsys.readouterr()
    assert "renames old_name.py to taken.py, but taken.py already exists" in err.out + err.err
    assert (repo / "taken.py").read_text() == "mine\n" and (repo / "old_name.py").exists()


def test_new_file_mode_100755_creates_an_executable(repo, tmp_path, capsys):
    def change(root: Path) -> None:
        (root / "run.sh").write_text("#!/bin/sh\necho run\n")
        (root / "run.sh").chmod(0o755)

    text = diff_of(repo, change)
    assert "new file mode 100755" in text
    assert apply(repo, tmp_path, text) == 0
    assert (repo / "run.sh").read_text() == "#!/bin/sh\necho run\n"
    assert mode(repo / "run.sh") == (0o666 & ~_umask()) | ((0o666 & ~_umask() & 0o444) >> 2)
    assert os.access(repo / "run.sh", os.X_OK)
    assert "executable" in capsys.readouterr().out


def test_a_mode_change_alone_is_applied_and_undone(repo, tmp_path, capsys):
    text = diff_of(repo, lambda root: (root / "tool.sh").chmod(0o755))
    assert "old mode 100644" in text and "new mode 100755" in text and "@@" not in text
    assert apply(repo, tmp_path, text) == 0
    assert mode(repo / "tool.sh") == 0o755
    assert "tool.sh: applied" in capsys.readouterr().out
    undo(repo)
    assert mode(repo / "tool.sh") == 0o644


def test_a_mode_change_with_an_edit_applies_both(repo, tmp_path):
    def change(root: Path) -> None:
        (root / "tool.sh").write_text("#!/bin/sh\necho bye\n")
        (root / "tool.sh").chmod(0o755)

    text = diff_of(repo, change)
    assert apply(repo, tmp_path, text) == 0
    assert (repo / "tool.sh").read_text() == "#!/bin/sh\necho bye\n" and mode(repo / "tool.sh") == 0o755


def test_a_git_delete_removes_the_file_and_undo_brings_it_back(repo, tmp_path):
    text = diff_of(repo, lambda root: (root / "gone.txt").unlink())
    assert "deleted file mode 100644" in text and "+++ /dev/null" in text
    assert apply(repo, tmp_path, text) == 0
    assert not (repo / "gone.txt").exists()
    undo(repo)
    assert (repo / "gone.txt").read_text() == "remove me\n"


def test_a_delete_without_its_lines_is_refused_with_a_sentence(repo, tmp_path, capsys):
    text = "diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\nindex 1111111..0000000\n"
    assert apply(repo, tmp_path, text) == 1
    out = capsys.readouterr().out
    assert "deletes the file without showing its lines" in out
    assert (repo / "gone.txt").exists()


def test_a_symbolic_link_in_a_diff_is_refused_not_written_as_a_file(repo, tmp_path, capsys):
    def change(root: Path) -> None:
        (root / "link").symlink_to("old_name.py")

    text = diff_of(repo, change)
    assert "new file mode 120000" in text
    assert apply(repo, tmp_path, text) == 1
    assert "a symbolic link; Patchbay only writes regular files" in capsys.readouterr().out
    assert not os.path.lexists(repo / "link")


def test_a_git_copy_is_refused_with_a_sentence(repo, tmp_path, capsys):
    text = (
        "diff --git a/old_name.py b/copy.py\nsimilarity index 100%\ncopy from old_name.py\ncopy to copy.py\n"
    )
    assert apply(repo, tmp_path, text) == 1
    assert "does not apply git copies" in capsys.readouterr().out
    assert not (repo / "copy.py").exists()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
