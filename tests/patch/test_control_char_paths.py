"""A path the model names with a control character in it (an escape sequence, a newline, a tab,
DEL, a C1 control) is refused like a NUL, with one sentence showing the path escaped: by the
patch API the TUI review uses, by `patchbay apply`, and by `patchbay run --auto`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tui.cli import main
from tui.commands.demo import prepare_demo
from tui.errors import PatchbayError
from tui.patch.apply_change import apply_change_set
from tui.patch.extract import build_change_set
from tui.runbook.loader import load_runbook
from tui.workspace.paths import UnsafePathError, resolve_in_tree

# (the name as the diff's header spells it, the name it stands for, how the refusal shows it)
NAMES = [
    pytest.param('"b/a\\033[2Jb.py"', "a\x1b[2Jb.py", r"'a\x1b[2Jb.py'", id="escape-sequence"),
    pytest.param(
        "b/a\x1b]0;owned\x07b.py", "a\x1b]0;owned\x07b.py", r"'a\x1b]0;owned\x07b.py'", id="raw-osc"
    ),
    pytest.param('"b/a\\nb.py"', "a\nb.py", r"'a\nb.py'", id="newline"),
    pytest.param('"b/a\\tb.py"', "a\tb.py", r"'a\tb.py'", id="tab"),
    pytest.param('"b/a\\177b.py"', "a\x7fb.py", r"'a\x7fb.py'", id="delete"),
    pytest.param("b/a\x9bb.py", "a\x9bb.py", r"'a\x9bb.py'", id="c1-csi"),
    pytest.param("b/dir\x01/b.py", "dir\x01/b.py", r"'dir\x01/b.py'", id="in-a-folder-name"),
]


def creation(header: str) -> str:
    return f"```diff\n--- /dev/null\n+++ {header}\n@@ -0,0 +1 @@\n+x = 1\n```\n"


def git_repo(root: Path) -> Path:
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "m.py").write_text("m = 1\n")
    subprocess.run(["git", "-C", str(root), "add", "m.py"], check=True)
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "m"],
        check=True,
    )
    return root


def names_in(root: Path) -> set[str]:
    return {name for _, folders, files in os.walk(root) for name in folders + files} - {".git"}


@pytest.mark.parametrize(("header", "name", "shown"), NAMES)
def test_the_patch_api_refuses_the_file_and_says_why_with_the_path_escaped(tmp_path, header, name, shown):
    root = git_repo(tmp_path / "repo")
    before = names_in(root)
    change_set = build_change_set(creation(header), root)
    [change] = change_set.files
    assert change.path == name
    assert (
        change.error
        == f"The file path {shown} contains a control character, which Patchbay does not write in a file name."
    )
    assert not any(hunk.placement.placed for hunk in change.hunks)
    with pytest.raises(PatchbayError):
        apply_change_set(root, change_set, None)
    assert names_in(root) == before


@pytest.mark.parametrize("name", ["a\x1b[2Jb.py", "a\nb.py", "x/\x85y.py", "\x7f"])
def test_resolving_a_path_with_a_control_character_is_refused_in_one_line(tmp_path, name):
    with pytest.raises(UnsafePathError) as caught:
        resolve_in_tree(tmp_path, name)
    sentence = str(caught.value)
    assert sentence.startswith(f"The file path {name!r} contains a control character")
    assert sentence.isprintable() and sentence.endswith(".")


def test_a_nul_keeps_its_own_sentence(tmp_path):
    with pytest.raises(UnsafePathError, match=r"The file path 'a\\x00b' contains a NUL byte\."):
        resolve_in_tree(tmp_path, "a\x00b")


def test_names_that_only_look_unusual_are_still_written(tmp_path):
    root = git_repo(tmp_path / "repo")
    for name in ("sp ace.py", "ünï cödé.py", "a\u200bb.py", "é\u00a0.py"):
        assert resolve_in_tree(root, name) == root / name


@pytest.mark.parametrize(("header", "name", "shown"), NAMES)
def test_patchbay_apply_refuses_it_and_writes_nothing(tmp_path, capsys, header, name, shown):
    root = git_repo(tmp_path / "repo")
    before = names_in(root)
    answer = tmp_path / "answer.md"
    answer.write_text(creation(header), encoding="utf-8")
    assert main(["apply", "--workdir", str(root), str(answer)]) == 1
    out = capsys.readouterr().out
    assert f"The file path {shown} contains a control character" in out
    assert names_in(root) == before


def test_patchbay_run_auto_refuses_it_and_the_task_ends_in_error(tmp_path):
    demo = prepare_demo(tmp_path / "demo")
    answer = creation('"b/textkit/a\\033[2Jb.py"')
    (demo / "replay.yaml").write_text(
        yaml.safe_dump({"rate": 0, "answers": [{"task": "add_type_hints", "text": answer}]})
    )
    task_file = demo / "tasks/add_type_hints.yaml"  # any file may be named: the path alone refuses it
    task_file.write_text(task_file.read_text().replace("  files_to_modify: [textkit/stats.py]\n", ""))
    before = names_in(demo / "project")
    code = main(["run", str(demo), "--task", "add_type_hints", "--auto", "--max-retries", "0"])
    assert code != 0
    assert names_in(demo / "project") == before
    task = load_runbook(demo).task("add_type_hints")
    assert task.status == "ERROR"
    assert [issue.type for issue in task.issues] == ["PATCH_FAIL", "AUTOPILOT_GAVE_UP"]
    for issue in task.issues:
        assert r"The file path 'textkit/a\x1b[2Jb.py' contains a control character" in issue.detail


def test_the_review_shows_the_file_refused_and_the_rest_reviewable(tmp_path):
    from tui.runner import Phase, TaskRun
    from tui.session import Session

    demo = prepare_demo(tmp_path / "demo")
    stats = (demo / "project/textkit/stats.py").read_text().splitlines()
    good = f"--- a/textkit/stats.py\n+++ b/textkit/stats.py\n@@ -1 +1 @@\n-{stats[0]}\n+# stats\n"
    bad = '--- /dev/null\n+++ "b/textkit/a\\033[2Jb.py"\n@@ -0,0 +1 @@\n+x = 1\n'
    (demo / "replay.yaml").write_text(
        yaml.safe_dump(
            {"rate": 0, "answers": [{"task": "add_type_hints", "text": f"```diff\n{good}{bad}```\n"}]}
        )
    )
    task_file = demo / "tasks/add_type_hints.yaml"
    task_file.write_text(task_file.read_text().replace("  files_to_modify: [textkit/stats.py]\n", ""))
    run = TaskRun.begin(Session(demo, replay_rate=0), "add_type_hints")
    run.generate()
    change_set = run.review()
    assert run.phase is Phase.REVIEWING
    refused = change_set.file("textkit/a\x1b[2Jb.py")
    assert refused.error.startswith(r"The file path 'textkit/a\x1b[2Jb.py' contains a control character")
    assert change_set.file("textkit/stats.py").hunks[0].placement.placed
    [issue] = load_runbook(demo).task("add_type_hints").issues
    assert issue.type == "PATCH_FAIL" and "contains a control character" in issue.detail
