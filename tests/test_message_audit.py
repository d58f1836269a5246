"""Every message a user can trigger says what actually happened: each row below makes one kind
of message happen for real (files, a git repository, the demo runbook) and checks that the
sentence names the file, line and cause truthfully, with the exit code that goes with it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tui.cli import main

DEMO = Path(__file__).resolve().parents[1] / "runbooks" / "demo"
FILES = {
    "m.py": b"line 1\nline 2\nline 3\nline 4\n",
    "latin.txt": b"caf\xe9\n",
    "bin.dat": b"a\x00b",
    "afile": b"data\n",
    "sub/k.py": b"x\n",
}


@dataclass(frozen=True)
class Case:
    argv: Callable[[Path], list[str]]  # given the folder the case runs in
    code: int
    says: tuple[str, ...]  # sentences (or parts) that must appear on stdout or stderr
    setup: Callable[[Path], None] = lambda _root: None
    never: tuple[str, ...] = field(default=())  # what a misleading version used to say


def _tree(root: Path) -> Path:
    tree = root / "tree"
    for rel, data in FILES.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(data)
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    subprocess.run(["git", "add", "-A"], cwd=tree, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start"], cwd=tree, check=True
    )
    return tree


def _apply(answer: str, *options: str) -> Callable[[Path], list[str]]:
    def argv(root: Path) -> list[str]:
        path = root / "answer.md"
        path.write_text(answer)
        return ["apply", "--workdir", str(root / "tree"), *options, str(path)]

    return argv


def _runbook(*words: str) -> Callable[[Path], list[str]]:
    return lambda root: [words[0], str(root / "rb"), *words[1:]]


def _plan(text: str | None) -> Callable[[Path], list[str]]:
    def argv(root: Path) -> list[str]:
        if text is not None:
            (root / "plan.md").write_text(text)
        return ["import", str(root / "plan.md"), "-o", str(root / "out")]

    return argv


def _write(rel: str, text: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).write_text(text)


LONG = "x" * 300
REFUSED = "hunk 1: failed: the file was refused"

CASES = {
    # -- patchbay apply: files refused before placing ------------------------------------------
    "latin-1 file": Case(
        _apply("--- a/latin.txt\n+++ b/latin.txt\n@@ -1 +1 @@\n-caf\n+cafe\n"),
        1,
        (
            "latin.txt is not UTF-8: line 1 holds the byte 0xe9",
            "patchbay: nothing applied: 1 file refused (latin.txt); see the report",
        ),
        never=("hunks failed to place",),
    ),
    "binary file": Case(
        _apply("--- a/bin.dat\n+++ b/bin.dat\n@@ -1 +1 @@\n-a\n+b\n"),
        1,
        ("bin.dat is a binary file (it holds NUL bytes); Patchbay only changes UTF-8 text files.", REFUSED),
    ),
    "git binary patch": Case(
        _apply(
            "diff --git a/bin.dat b/bin.dat\nGIT binary patch\nliteral 3\nKcmZQzWMT\n\nliteral 0\nHcmV?d00001\n"
        ),
        1,
        ("patchbay: nothing applied: 1 file refused (bin.dat); see the report",),
        never=("files..",),
    ),
    "modify a missing file": Case(
        _apply("--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-a\n+b\n"),
        1,
        ("nope.py does not exist, and the diff changes lines in it",),
    ),
    "delete a missing file": Case(
        _apply("--- a/zz.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n"),
        1,
        ("the diff deletes zz.py, which does not exist",),
        never=("changes lines in it",),
    ),
    "create an existing file": Case(
        _apply("--- /dev/null\n+++ b/m.py\n@@ -0,0 +1 @@\n+a\n"), 1, ("the diff creates m.py, which exists",)
    ),
    "rename a missing file": Case(
        _apply("diff --git a/zz.py b/n.py\nsimilarity index 100%\nrename from zz.py\nrename to n.py\n"),
        1,
        ("the diff renames zz.py to n.py, but zz.py does not exist",),
    ),
    "git copy": Case(
        _apply("diff --git a/m.py b/n.py\nsimilarity index 100%\ncopy from m.py\ncopy to n.py\n"),
        1,
        ("the diff copies a file to n.py; Patchbay does not apply git copies",),
    ),
    "a mode change of a missing file": Case(
        _apply("diff --git a/q.py b/q.py\nold mode 100644\nnew mode 100755\n"),
        1,
        ("the diff changes the mode of q.py, which does not exist",),
        never=("changes no lines",),
    ),
    "a diff that changes nothing": Case(
        _apply("--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n-line 1\n+line 1\n line 2\n"),
        1,
        ("Nothing was applied: the change leaves every file as it is.",),
        never=("accepted",),
    ),
    "path through ..": Case(
        _apply("--- /dev/null\n+++ b/../x.py\n@@ -0,0 +1 @@\n+a\n"),
        1,
        ("The file path ../x.py leaves the working tree through '..'.",),
    ),
    "path into .git": Case(
        _apply("--- /dev/null\n+++ b/.git/hooks/x\n@@ -0,0 +1 @@\n+a\n"),
        1,
        ("The file path .git/hooks/x is inside .git/, which Patchbay never writes.",),
    ),
    "a folder": Case(
        _apply("--- a/sub\n+++ b/sub\n@@ -1 +1 @@\n-a\n+b\n"), 1, ("sub is a folder, not a file.",)
    ),
    "a file where a folder must be": Case(
        _apply("--- /dev/null\n+++ b/afile/x.py\n@@ -0,0 +1 @@\n+a\n"),
        1,
        ("afile/x.py cannot exist: afile is a file, not a folder.",),
        never=("cannot be read",),
    ),
    "a named pipe": Case(
        _apply("--- a/pipe\n+++ b/pipe\n@@ -1 +1 @@\n-a\n+b\n"),
        1,
        ("pipe is a named pipe (FIFO), not a regular file; Patchbay only reads and writes regular files.",),
        setup=lambda root: os.mkfifo(root / "tree" / "pipe"),
    ),
    "a name over 255 bytes": Case(
        _apply(f"--- /dev/null\n+++ b/{LONG}.py\n@@ -0,0 +1 @@\n+a\n"),
        1,
        ("has a name of 303 bytes; file systems allow at most 255.",),
    ),
    # -- patchbay apply: hunks that find no place ----------------------------------------------
    "two hunks on the same lines": Case(
        _apply(
            "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n-line 1\n+L1\n line 2\n"
            "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n-line 1\n+L2\n line 2\n"
        ),
        1,
        (
            "hunk 2: failed: it overlaps hunk 1 (closest: lines 1-2, 100%)",
            "patchbay: nothing applied: 1 of 2 hunks failed to place; see the report",
        ),
    ),
    "already applied": Case(
        _apply("--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n line 1\n-line X\n+line 2\n line 3\n"),
        1,
        ("hunk 1: failed: the change is already applied at line 1",),
    ),
    "removed lines found nowhere": Case(
        _apply("--- a/m.py\n+++ b/m.py\n@@ -3,1 +3,1 @@\n-@@@@@@@@@@@@@@@@@@@@@@@@\n+x\n"),
        1,
        ("hunk 1: failed: removed lines not found (closest: lines 1-4, around its stated line 3;",),
    ),
    "a SEARCH block not in the file": Case(
        _apply("m.py\n```\n<<<<<<< SEARCH\nnothing here at all\n=======\nsomething\n>>>>>>> REPLACE\n```\n"),
        1,
        (
            "block 1: failed: its SEARCH lines are not in the file",
            "patchbay: nothing applied: 1 of 1 block failed to place; see the report",
        ),
        never=("removed lines", "hunk 1"),
    ),
    "two SEARCH blocks on the same lines": Case(
        _apply(
            "m.py\n```\n<<<<<<< SEARCH\nline 1\n=======\nLINE 1\n>>>>>>> REPLACE\n```\n"
            "m.py\n```\n<<<<<<< SEARCH\nline 1\n=======\nLINE one\n>>>>>>> REPLACE\n```\n"
        ),
        1,
        ("block 2: failed: it overlaps block 1 (closest: line 1, 100%)",),
        never=("hunk",),
    ),
    "an apply_patch envelope for a missing file": Case(
        _apply("*** Begin Patch\n*** Update File: q.py\n@@\n-line 9\n+x\n*** End Patch\n"),
        1,
        ("q.py does not exist, and the answer changes lines in it",),
        never=("the diff",),
    ),
    "outside --files-to-modify": Case(
        _apply("--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-line 1\n+L\n", "--files-to-modify", "sub/k.py"),
        1,
        ("m.py is not among the files named by --files-to-modify (--allow-outside writes it anyway).",),
        never=("the task's",),
    ),
    # -- patchbay apply: answers with nothing to apply, and bad usage -----------------------------
    "a diff without hunks": Case(
        _apply("--- a/m.py\n+++ b/m.py\n"),
        1,
        (
            "The diff for m.py at line 1 of the answer has ---/+++ headers but no @@ hunk: it changes nothing.",
        ),
        never=("holds no diff",),
    ),
    "prose only": Case(
        _apply("I think you should change line 2.\n"),
        1,
        ("The answer holds no diff and no other edit: no SEARCH/REPLACE block, *** Begin Patch envelope",),
    ),
    "an edit naming no file": Case(
        _apply("```\n<<<<<<< SEARCH\nline 1\n=======\nsomething\n>>>>>>> REPLACE\n```\n"),
        1,
        ("The answer's edit at line 2 names no file: name the file just before it.",),
    ),
    "no such --workdir": Case(
        lambda root: ["apply", "--workdir", str(root / "nowhere"), "x"],
        2,
        ("nowhere is not a folder.",),
    ),
    "an answer that is not UTF-8": Case(
        lambda root: ["apply", "--workdir", str(root / "tree"), str(root / "tree" / "latin.txt")],
        2,
        ("latin.txt is not UTF-8 text.",),
    ),
    # -- patchbay run / reset / next / status / validate ------------------------------------------
    "run a MANUAL task already DONE": Case(
        _runbook("run", "--task", "setup_env"),
        1,
        ("task setup_env is MANUAL and already DONE; there is nothing to run",),
        never=("do it by hand",),
    ),
    "run a MANUAL task": Case(
        _runbook("run", "--task", "document_usage"),
        1,
        (
            "task document_usage is MANUAL (READY): do it by hand, then mark it DONE in the TUI or with patchbay reset",
        ),
    ),
    "run a waiting task": Case(
        _runbook("run", "--task", "lint_check"),
        1,
        ("task lint_check is PENDING, not READY; it waits for add_type_hints",),
    ),
    "run an unknown task": Case(_runbook("run", "--task", "nope"), 1, ("there is no task with id nope",)),
    "run with an unknown model": Case(
        _runbook("run", "--model", "nomodel"), 1, ("there is no model named 'nomodel'; known models: demo",)
    ),
    "reset an unknown task": Case(_runbook("reset", "nope"), 1, ("there is no task 'nope' in",)),
    "reset to an unknown status": Case(
        _runbook("reset", "add_median", "--to", "WRONG"),
        1,
        ("unknown status 'WRONG'; use one of PENDING, READY, RUNNING, DONE, ERROR, SKIPPED",),
    ),
    "reset a task": Case(_runbook("reset", "setup_env"), 0, ("setup_env: DONE -> READY",)),
    "next": Case(_runbook("next"), 0, ("add_type_hints\tAdd type hints to textkit.stats",)),
    "validate an unknown type": Case(
        lambda root: ["validate", str(root / "bad.yaml")],
        1,
        ("bad.yaml:5:11: error: unknown type `MANUALL`; use one of MANUAL, AI_ASSISTED, AUTOMATED_SCRIPT.",),
        setup=_write(
            "bad.yaml", "name: x\ntasks:\n  - id: a\n    name: A\n    type: MANUALL\n    status: READY\n"
        ),
    ),
    "status of broken YAML": Case(
        lambda root: ["status", str(root / "bad.yaml")],
        1,
        ("bad.yaml:3:1: YAML syntax error",),
        setup=_write("bad.yaml", "name: x\ntasks: [\n"),
    ),
    "validate a missing runbook": Case(
        lambda root: ["validate", str(root / "nope.yaml")],
        1,
        ("nope.yaml: there is no such file or folder.",),
    ),
    "import a missing plan": Case(_plan(None), 1, ("plan.md does not exist.",)),
    "import a plan without tasks": Case(
        _plan("hello\n"),
        1,
        ("plan.md: no tasks found (expected task tables with an ID column",),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_message_says_what_happened(name, tmp_path, capsys, monkeypatch):
    case = CASES[name]
    _tree(tmp_path)
    shutil.copytree(DEMO, tmp_path / "rb")
    monkeypatch.chdir(tmp_path)
    case.setup(tmp_path)
    code = main(case.argv(tmp_path))
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert code == case.code, shown
    for sentence in case.says:
        assert sentence in shown
    for wrong in case.never:
        assert wrong not in shown
    assert "Traceback" not in shown
