from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tui.errors import PatchbayError
from tui.workspace.git_repo import GitWorkspace, compose_message, conventional_message
from tui.workspace.journal import FileWrite, apply_atomically, undo


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, isolated_git: Path) -> Path:
    """A repository on branch main with one commit by a configured user."""
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.name", "Dev Person")
    git(folder, "config", "user.email", "dev@example.com")
    (folder / "app.py").write_text("print('hello')\n")
    (folder / "notes.txt").write_text("notes\n")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "initial")
    return folder


TRAILERS = {
    "Model": "qwen2.5-coder-7b",
    "Prompt-SHA256": "ab" * 32,
    "Patchbay-Change": "20240601T000000-abcd",
}


def status(folder: Path) -> str:
    return git(folder, "status", "--porcelain=v1", "--untracked-files=all")


def test_find_returns_none_outside_git_and_finds_from_a_subfolder(tmp_path: Path, repo: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert GitWorkspace.find(plain) is None
    (repo / "sub").mkdir()
    found = GitWorkspace.find(repo / "sub")
    assert found is not None
    assert found.root == repo.resolve()
    assert found.branch() == "main"


def test_branch_reports_a_detached_head(repo: Path) -> None:
    sha = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "--detach")
    assert GitWorkspace.find(repo).branch() == f"detached at {sha[:7]}"


def test_dirty_files_lists_only_the_targets_with_uncommitted_work(repo: Path) -> None:
    (repo / "pkg").mkdir()
    (repo / "pkg" / "mod.py").write_text("untracked\n")
    (repo / "app.py").write_text("edited\n")
    (repo / "other.py").write_text("untracked but not a target\n")
    workspace = GitWorkspace.find(repo)
    assert workspace.dirty_files(["notes.txt", "pkg/mod.py", "app.py", "missing.py"]) == [
        "pkg/mod.py",
        "app.py",
    ]
    (repo / "notes.txt").write_text("staged\n")
    git(repo, "add", "notes.txt")
    assert workspace.dirty_files(["notes.txt"]) == ["notes.txt"]


def test_dirty_files_takes_paths_relative_to_a_subfolder_workdir(repo: Path) -> None:
    (repo / "sub").mkdir()
    (repo / "sub" / "x.py").write_text("x\n")
    workspace = GitWorkspace.find(repo / "sub")
    assert workspace.dirty_files(["x.py", "y.py"]) == ["x.py"]


def test_commit_takes_only_our_paths_and_leaves_the_users_staged_and_unstaged_work(repo: Path) -> None:
    (repo / "notes.txt").write_text("user staged this\n")
    git(repo, "add", "notes.txt")
    (repo / "notes.txt").write_text("user staged this\nand then typed more\n")
    (repo / "scratch.txt").write_text("user untracked\n")
    (repo / "app.py").write_text("print('patched')\n")
    (repo / "lib").mkdir()
    (repo / "lib" / "new.py").write_text("NEW = 1\n")
    staged_before = git(repo, "diff", "--cached", "notes.txt")

    workspace = GitWorkspace.find(repo)
    message = conventional_message("T-3", "Add  greeting\ncommand")
    sha = workspace.commit(["app.py", "lib/new.py"], message, TRAILERS)

    assert git(repo, "rev-parse", "HEAD").strip() == sha
    assert git(repo, "show", "--name-only", "--format=", sha).split() == ["app.py", "lib/new.py"]
    assert git(repo, "log", "-1", "--format=%B", sha) == (
        "feat(T-3): Add greeting command\n\n"
        f"Model: qwen2.5-coder-7b\nPrompt-SHA256: {'ab' * 32}\nPatchbay-Change: 20240601T000000-abcd\n\n"
    )
    assert git(repo, "log", "-1", "--format=%an <%ae>", sha).strip() == "Dev Person <dev@example.com>"
    # The user's work is exactly where it was: staged part staged, the rest unstaged, untracked untracked.
    assert git(repo, "diff", "--cached", "notes.txt") == staged_before
    assert status(repo).splitlines() == ["MM notes.txt", "?? scratch.txt"]


def test_commit_works_without_any_git_identity_and_does_not_touch_config(
    tmp_path: Path, isolated_git: Path
) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    config_before = (folder / ".git" / "config").read_text()
    (folder / "a.txt").write_text("a\n")
    sha = GitWorkspace.find(folder).commit(["a.txt"], "feat(t1): first", TRAILERS)
    assert git(folder, "log", "-1", "--format=%an <%ae>|%cn <%ce>", sha).strip() == (
        "Patchbay <patchbay@localhost>|Patchbay <patchbay@localhost>"
    )
    assert (folder / ".git" / "config").read_text() == config_before
    assert not (isolated_git / ".gitconfig").exists()
    assert status(folder) == ""


def test_commit_records_a_deleted_file(repo: Path) -> None:
    (repo / "notes.txt").unlink()
    sha = GitWorkspace.find(repo).commit(["notes.txt"], "feat(t): remove notes", TRAILERS)
    assert git(repo, "show", "--name-status", "--format=", sha).split() == ["D", "notes.txt"]
    assert status(repo) == ""


def test_commit_with_nothing_changed_is_refused(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    with pytest.raises(PatchbayError, match="Nothing to commit"):
        GitWorkspace.find(repo).commit(["app.py"], "feat(t): nothing", TRAILERS)
    assert git(repo, "rev-parse", "HEAD") == head


def test_commit_leaves_out_untracked_ignored_files(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "build.log").write_text("log\n")
    (repo / "app.py").write_text("print(2)\n")
    sha = GitWorkspace.find(repo).commit(["app.py", "build.log"], "feat(t): x", TRAILERS)
    assert git(repo, "show", "--name-only", "--format=", sha).split() == ["app.py"]


def test_commit_treats_paths_literally_not_as_patterns(repo: Path) -> None:
    (repo / "*.py").write_text("odd name\n")
    (repo / "app.py").write_text("print('not ours')\n")
    sha = GitWorkspace.find(repo).commit(["*.py"], "feat(t): odd", TRAILERS)
    assert git(repo, "show", "--name-only", "--format=", sha).split() == ["*.py"]
    assert status(repo).splitlines() == [" M app.py"]


def test_commit_in_a_repository_without_commits_then_undo_it(tmp_path: Path, isolated_git: Path) -> None:
    folder = tmp_path / "unborn"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    (folder / "a.txt").write_text("a\n")
    workspace = GitWorkspace.find(folder)
    assert workspace.head_sha() is None
    assert workspace.branch() == "main"
    sha = workspace.commit(["a.txt"], "feat(t): first", TRAILERS)
    assert workspace.head_sha() == sha
    workspace.undo_commit(sha)
    assert workspace.head_sha() is None
    assert status(folder).splitlines() == ["?? a.txt"]


def test_apply_commit_then_undo_both_restores_the_repository_exactly(repo: Path) -> None:
    (repo / "notes.txt").write_text("user staged\n")
    git(repo, "add", "notes.txt")
    status_before = status(repo)
    head_before = git(repo, "rev-parse", "HEAD").strip()
    app_before = (repo / "app.py").read_bytes()

    change = apply_atomically(
        repo,
        [FileWrite("app.py", b"print('model')\n", app_before), FileWrite("src/new.py", b"X = 1\n", None)],
    )
    workspace = GitWorkspace.find(repo)
    sha = workspace.commit(change.files, "feat(t): model change", {**TRAILERS, "Patchbay-Change": change.id})
    assert workspace.undo_commit_blocker(sha) is None
    workspace.undo_commit(sha)
    undo(repo)

    assert git(repo, "rev-parse", "HEAD").strip() == head_before
    assert status(repo) == status_before
    assert (repo / "app.py").read_bytes() == app_before
    assert not (repo / "src").exists()


def test_undo_commit_refuses_a_commit_that_is_not_head(repo: Path) -> None:
    workspace = GitWorkspace.find(repo)
    (repo / "app.py").write_text("print(1)\n")
    sha = workspace.commit(["app.py"], "feat(t): one", TRAILERS)
    (repo / "notes.txt").write_text("later\n")
    git(repo, "commit", "-q", "-am", "user work on top")
    with pytest.raises(PatchbayError, match="no longer the latest commit"):
        workspace.undo_commit(sha)


def test_undo_commit_refuses_a_commit_patchbay_did_not_make(repo: Path) -> None:
    sha = git(repo, "rev-parse", "HEAD").strip()
    with pytest.raises(PatchbayError, match="not made by Patchbay"):
        GitWorkspace.find(repo).undo_commit(sha)
    assert git(repo, "rev-parse", "HEAD").strip() == sha


def test_undo_commit_refuses_a_pushed_commit(tmp_path: Path, repo: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    workspace = GitWorkspace.find(repo)
    (repo / "app.py").write_text("print(1)\n")
    sha = workspace.commit(["app.py"], "feat(t): one", TRAILERS)
    assert workspace.undo_commit_blocker(sha) is None
    git(repo, "push", "-q", "origin", "main")
    with pytest.raises(PatchbayError, match=r"already pushed \(origin/main\)"):
        workspace.undo_commit(sha)
    assert git(repo, "rev-parse", "HEAD").strip() == sha


def test_undo_commit_refuses_when_the_user_staged_changes_to_those_files(repo: Path) -> None:
    workspace = GitWorkspace.find(repo)
    (repo / "app.py").write_text("print(1)\n")
    sha = workspace.commit(["app.py"], "feat(t): one", TRAILERS)
    (repo / "app.py").write_text("print('user')\n")
    git(repo, "add", "app.py")
    with pytest.raises(PatchbayError, match=r"staged changes to app\.py"):
        workspace.undo_commit(sha)


def test_undo_commit_of_an_unknown_sha_says_so(repo: Path) -> None:
    assert GitWorkspace.find(repo).undo_commit_blocker("0" * 40) is not None


def test_start_branch_switches_and_keeps_the_work(repo: Path) -> None:
    (repo / "app.py").write_text("wip\n")
    workspace = GitWorkspace.find(repo)
    workspace.start_branch("patchbay/run-1")
    assert workspace.branch() == "patchbay/run-1"
    assert (repo / "app.py").read_text() == "wip\n"
    with pytest.raises(PatchbayError, match="already exists"):
        workspace.start_branch("main")
    with pytest.raises(PatchbayError, match="not a valid git branch name"):
        workspace.start_branch("bad..name")


def test_messages_reject_trailers_that_would_break_the_format() -> None:
    with pytest.raises(PatchbayError):
        compose_message("feat(x): y", {"Bad Key": "v"})
    with pytest.raises(PatchbayError):
        compose_message("feat(x): y", {"Model": "a\nPatchbay-Change: forged"})
    with pytest.raises(PatchbayError):
        compose_message("   ", {})


def test_git_failures_become_one_sentence(repo: Path) -> None:
    workspace = GitWorkspace.find(repo)
    (repo / "app.py").write_text("print(3)\n")
    (repo / ".git" / "index.lock").write_text("")  # another git command is running
    head = workspace.head_sha()
    with pytest.raises(PatchbayError, match=r"index\.lock") as caught:
        workspace.commit(["app.py"], "feat(t): x", TRAILERS)
    assert "\n" not in str(caught.value)
    assert workspace.head_sha() == head
    (repo / ".git" / "index.lock").unlink()
    with pytest.raises(PatchbayError, match=r"^git .* failed: ") as caught:
        workspace._git("rev-parse", "--verify", "no-such-ref")
    assert "\n" not in str(caught.value)


def test_conventional_message() -> None:
    assert conventional_message("T1", "  Add   the parser ") == "feat(T1): Add the parser"
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0
