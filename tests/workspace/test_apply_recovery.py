"""An apply killed half way, then the user goes on working: recovery must never revert what came
after. `patchbay apply` recovers first and says what it did; a stale entry never outlives it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.workspace.test_apply_signals import AFTER, BEFORE, start, tree_state
from tests.workspace.test_apply_signals import answer as answer  # the fixture
from tui.cli import main
from tui.workspace.journal import recover, recover_interrupted
from tui.workspace.journal_store import Journal

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]


def git(root: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, isolated_git: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    for rel, text in BEFORE.items():
        (root / rel).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def kill_after_first_write(root: Path, answer: Path) -> None:
    """Run `patchbay apply` and SIGKILL it right after it renamed its first file into place."""
    trace = start(root, answer, "trace")
    _, err = trace.communicate()
    names = [line.split(" ", 3)[3] for line in err.splitlines() if line.startswith("patchbay-test: step ")]
    git(root, "reset", "-q", "--hard", "HEAD")
    git(root, "clean", "-qfdx")  # the traced apply ran to the end: back to the committed tree
    shutil.rmtree(Journal(root).root)
    number = names.index("wrote a.py") + 1
    child = start(root, answer, str(number))
    assert child.stderr.readline().startswith(f"patchbay-test: paused at step {number} wrote a.py")
    child.kill()
    child.communicate()
    assert (root / "a.py").read_text() == AFTER["a.py"] and (root / "b.py").read_text() == BEFORE["b.py"]
    assert [entry.state for entry in Journal(root).entries()] == ["in_progress"]


def test_rerunning_the_apply_then_committing_never_lets_the_stale_entry_revert_it(repo, answer, capsys):
    kill_after_first_write(repo, answer)
    assert main(["apply", "--workdir", str(repo), str(answer)]) == 0
    err = capsys.readouterr().err
    assert "An interrupted apply (change " in err and "was rolled back: a.py put back as before it." in err
    assert tree_state(repo) == AFTER
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "the change")
    assert recover_interrupted(repo) == []  # what `patchbay run` and the TUI do at start
    assert (repo / "a.py").read_text() == AFTER["a.py"] and (repo / "b.py").read_text() == AFTER["b.py"]
    states = [entry.state for entry in Journal(repo).entries()]
    assert states == ["rolled_back", "committed"]


def test_a_commit_of_the_half_applied_tree_is_left_alone_and_said_so(repo, answer, capsys):
    kill_after_first_write(repo, answer)
    git(repo, "commit", "-qam", "the user keeps what is there")
    [report] = recover(repo)
    assert not report.rolled_back and report.left == ["a.py"]
    assert "left as it is because the tree moved on since (git's HEAD moved" in report.message
    assert (repo / "a.py").read_text() == AFTER["a.py"]
    assert [entry.state for entry in Journal(repo).entries()] == ["retired"]


def test_an_edit_after_the_kill_is_kept_by_the_next_apply(repo, answer, tmp_path, capsys):
    kill_after_first_write(repo, answer)
    (repo / "b.py").write_text("the user's own b.py\n")
    other = tmp_path / "other.diff"
    other.write_text("--- a/gone.txt\n+++ b/gone.txt\n@@ -1 +1 @@\n-remove me\n+keep me\n")
    assert main(["apply", "--workdir", str(repo), str(other)]) == 0
    err = capsys.readouterr().err
    assert "was left as it is because the tree moved on since (b.py changed after it)" in err
    assert "a.py still holds its change" in err
    assert (repo / "a.py").read_text() == AFTER["a.py"]
    assert (repo / "b.py").read_text() == "the user's own b.py\n"
    assert (repo / "gone.txt").read_text() == "keep me\n"


def test_the_note_about_uncommitted_edits_only_appears_when_there_were_some(repo, tmp_path, capsys):
    diff = tmp_path / "one.diff"
    diff.write_text("--- a/gone.txt\n+++ b/gone.txt\n@@ -1 +1 @@\n-remove me\n+keep me\n")
    assert main(["apply", "--workdir", str(repo), str(diff)]) == 0
    assert "uncommitted changes of yours" not in capsys.readouterr().err
    git(repo, "checkout", "-q", "--", "gone.txt")
    (repo / "gone.txt").write_text("remove me\n")
    (repo / "a.py").write_text(BEFORE["a.py"] + "# mine\n")
    both = tmp_path / "both.diff"
    both.write_text(
        diff.read_text()
        + "--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n-alpha_0 = 0\n+alpha_0 = 100\n alpha_1 = 1\n"
    )
    assert main(["apply", "--workdir", str(repo), str(both)]) == 0
    err = capsys.readouterr().err
    assert "note: a.py held uncommitted changes of yours" in err and "gone.txt" not in err


def test_the_readme_argument_order_parses(repo, tmp_path, capsys):
    diff = tmp_path / "one.diff"
    diff.write_text("--- a/gone.txt\n+++ b/gone.txt\n@@ -1 +1 @@\n-remove me\n+keep me\n")
    # As the README writes it: options first, --files-to-modify PATH..., then FILE.
    args = ["apply", "--workdir", str(repo), "--dry-run", "--files-to-modify", "gone.txt", "a.py", str(diff)]
    assert main(args) == 0, capsys.readouterr().err
    assert "gone.txt: would apply" in capsys.readouterr().out
    assert main(["apply", "--workdir", str(repo), "--files-to-modify"]) == 2
    assert "name the answer to apply" in capsys.readouterr().err


def test_patchbay_run_recovers_first_and_says_so(tmp_path, capsys):
    from tui.commands.demo import prepare_demo
    from tui.runbook.loader import load_runbook
    from tui.workspace.journal import FileWrite, apply_atomically

    demo = prepare_demo(tmp_path / "demo")
    workdir = load_runbook(demo).workdir
    target = next(path for path in sorted(workdir.rglob("*.py")) if ".git" not in path.parts)
    rel = target.relative_to(workdir).as_posix()
    original = target.read_bytes()
    change = apply_atomically(workdir, [FileWrite(rel, original + b"# half done\n", original)])
    journal = Journal(workdir)
    entry = next(item for item in journal.entries() if item.id == change.id)
    entry.state = "in_progress"  # what a kill after the last rename leaves
    journal.save(entry)
    assert main(["run", str(demo), "--task", "add_type_hints", "--replay-rate", "0"]) == 0
    err = capsys.readouterr().err
    assert f"patchbay: An interrupted apply (change {change.id}) was rolled back: {rel} put back" in err
    assert target.read_bytes() == original
