"""`patchbay apply`: exit codes, reports, dry runs, all-or-nothing, stdin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.patch.conftest import numbered
from tui.cli import main

GOOD = "--- a/m.py\n+++ b/m.py\n@@ -2,3 +2,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n"
BAD = "--- a/n.py\n+++ b/n.py\n@@ -2,3 +2,3 @@\n line 2\n-no such line\n+X\n line 4\n"


def _answer(tmp_path: Path, text: str) -> str:
    path = tmp_path / "answer.md"
    path.write_text(text)
    return str(path)


def test_applies_and_reports_each_hunk(tree, tmp_path, capsys):
    root = tree({"m.py": numbered(6)})
    code = main(["apply", "--workdir", str(root), _answer(tmp_path, f"```diff\n{GOOD}```")])
    out = capsys.readouterr().out
    assert code == 0
    assert "m.py: applied (+1 -1)" in out and "hunk 1: exact at line 2" in out
    assert (root / "m.py").read_text() == numbered(6).replace("line 3\n", "LINE 3\n")


def test_dry_run_writes_nothing(tree, tmp_path, capsys):
    root = tree({"m.py": numbered(6)})
    code = main(["apply", "--workdir", str(root), "--dry-run", _answer(tmp_path, GOOD)])
    assert code == 0 and "would apply" in capsys.readouterr().out
    assert (root / "m.py").read_text() == numbered(6)


def test_one_failed_hunk_means_nothing_is_written(tree, tmp_path, capsys):
    root = tree({"m.py": numbered(6), "n.py": numbered(6)})
    code = main(["apply", "--workdir", str(root), "--json", _answer(tmp_path, GOOD + BAD)])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == 1
    assert (root / "m.py").read_text() == numbered(6) and (root / "n.py").read_text() == numbered(6)
    files = {item["path"]: item for item in report["files"]}
    assert files["m.py"]["status"] == "failed" and "all or nothing" in files["m.py"]["reason"]
    assert files["m.py"]["hunks"][0]["status"] == "exact"
    bad = files["n.py"]["hunks"][0]
    assert bad["status"] == "failed" and bad["reason"].startswith("removed lines not found")
    assert bad["closest"]["lines"] == [2, 4]
    assert report["applied"] is False and "patchbay:" in captured.err


def test_json_reports_offsets_and_scores(tree, tmp_path, capsys):
    root = tree({"m.py": "header\n" * 5 + numbered(6)})
    code = main(["apply", "--workdir", str(root), "--json", _answer(tmp_path, GOOD)])
    hunk = json.loads(capsys.readouterr().out)["files"][0]["hunks"][0]
    assert code == 0 and (hunk["status"], hunk["offset"], hunk["line"]) == ("offset", 5, 7)


def test_missing_input_and_bad_workdir_are_usage_errors(tree, tmp_path, capsys):
    root = tree({"m.py": numbered(6)})
    assert main(["apply", "--workdir", str(root), str(tmp_path / "nope.md")]) == 2
    assert main(["apply", "--workdir", str(tmp_path / "nowhere"), _answer(tmp_path, GOOD)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_no_diff_in_answer_exits_1(tree, tmp_path, capsys):
    root = tree({"m.py": numbered(6)})
    assert main(["apply", "--workdir", str(root), _answer(tmp_path, "No changes needed.")]) == 1
    assert "holds no diff" in capsys.readouterr().err


def test_files_outside_files_to_modify_are_refused(tree, tmp_path, capsys):
    root = tree({"m.py": numbered(6), "n.py": numbered(6)})
    answer = _answer(tmp_path, GOOD)
    assert main(["apply", "--workdir", str(root), "--files-to-modify", "n.py", "--", answer]) == 1
    assert (root / "m.py").read_text() == numbered(6)
    assert "not among the files named by --files-to-modify" in capsys.readouterr().err


def test_reads_stdin_and_never_imports_textual(tree):
    root = tree({"m.py": numbered(6)})
    probe = (
        "import sys; from tui.cli import main; code = main(sys.argv[1:]); "
        "assert 'textual' not in sys.modules, 'textual imported'; sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, "apply", "--workdir", str(root), "-"],
        input=GOOD.replace("\n", "\r\n"),
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (root / "m.py").read_text() == numbered(6).replace("line 3\n", "LINE 3\n")


def test_files_outside_files_to_modify_need_allow_outside(tmp_path, capsys):
    from tui.cli import main

    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    answer = tmp_path / "answer.diff"
    answer.write_text("--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n", encoding="utf-8")
    args = ["apply", "--workdir", str(tmp_path), str(answer), "--files-to-modify", "b.py"]
    assert main(args) == 1
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == "x = 1\n"
    assert main([*args, "--allow-outside"]) == 0
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == "x = 2\n"


def _on_a_terminal(command: list[str]) -> tuple[int, bytes]:
    """Run `command` with stdout and stderr on a real pseudo-terminal; its exit code and output."""
    import os
    import pty

    leader, follower = pty.openpty()
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower) as process:
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        code = process.wait()
    os.close(leader)
    return code, shown


HOSTILE_NAME = "evil\x1b]52;c;cHduZWQ=\x07\x1b[2J.py"


def test_paths_from_the_answer_reach_a_terminal_without_escape_sequences(tree, tmp_path):
    root = tree({"m.py": numbered(6)})
    created = f"--- /dev/null\n+++ b/{HOSTILE_NAME}\n@@ -0,0 +1,1 @@\n+x\n"
    failing = f"--- a/{HOSTILE_NAME}\n+++ b/{HOSTILE_NAME}\n@@ -1,1 +1,1 @@\n-y\n+z\n"
    command = [sys.executable, "-m", "tui", "apply", "--workdir", str(root)]
    code, shown = _on_a_terminal([*command, _answer(tmp_path, created + BAD)])
    assert code == 1 and b"\x1b" not in shown and b"\x07" not in shown
    assert b"evil.py: failed" in shown
    code, shown = _on_a_terminal([*command, _answer(tmp_path, created)])
    assert code == 1 and b"\x1b" not in shown and b"\x07" not in shown
    assert b"evil.py: failed" in shown and b"contains a control character" in shown
    assert sorted(path.name for path in root.iterdir()) == ["m.py"]  # no file takes such a name
    code, shown = _on_a_terminal([*command, _answer(tmp_path, failing)])
    assert code == 1 and b"\x1b" not in shown and b"\x07" not in shown
    assert b"evil.py" in shown


def test_a_piped_report_keeps_the_exact_path(tree, tmp_path):
    root = tree({"m.py": numbered(6)})
    answer = _answer(tmp_path, f"--- /dev/null\n+++ b/{HOSTILE_NAME}\n@@ -0,0 +1,1 @@\n+x\n")
    done = subprocess.run(
        [sys.executable, "-m", "tui", "apply", "--workdir", str(root), "--dry-run", answer],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and f"{HOSTILE_NAME}: failed" in done.stdout
