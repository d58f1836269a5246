"""`patchbay run`, with and without --auto, as whole commands on a copy of the demo."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui.cli import main
from tui.commands.demo import prepare_demo
from tui.runbook.loader import load_runbook


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return prepare_demo(tmp_path / "demo")


def statuses(folder: Path) -> dict[str, str]:
    return {task.id: task.status for task in load_runbook(folder).tasks}


def commits(project: Path) -> list[str]:
    out = subprocess.run(
        ["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


def test_run_streams_the_answer_and_leaves_the_task_ready(demo, capsys):
    assert main(["run", str(demo), "--task", "add_type_hints", "--replay-rate", "0"]) == 0
    out, err = capsys.readouterr()
    assert "```diff" in out and "apply it with: patchbay apply" in err
    assert statuses(demo)["add_type_hints"] == "READY"
    assert len(list((demo / "outputs").glob("add_type_hints.attempt1.*.md"))) == 1


def test_run_without_a_ready_task_names_the_problem(demo, capsys):
    assert main(["run", str(demo), "--task", "add_median", "--replay-rate", "0"]) == 1
    assert "waits for add_type_hints" in capsys.readouterr().err


def test_autopilot_runs_the_demo_end_to_end(demo, capsys):
    code = main(["run", str(demo), "--auto", "--keep-going", "--replay-rate", "0"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "6 done, 0 failed, 1 retry, 2 passed over" in err
    final = statuses(demo)
    done = ("add_type_hints", "lint_check", "add_median", "add_cli_flag", "add_top_words", "add_top_flag")
    assert [final[t] for t in done] == ["DONE"] * 6
    # release_notes waits for add_cli_flag and lint_check, both DONE: READY in the file too
    assert final["document_usage"] != "DONE" and final["release_notes"] == "READY"
    assert commits(demo / "project")[:5] == [
        "feat(add_top_flag): Add a --top flag (answered in an apply_patch envelope)",
        "feat(add_top_words): Add top_words() (answered in SEARCH/REPLACE blocks)",
        "feat(add_cli_flag): Add a --longest flag to the CLI",
        "feat(add_median): Add a median() helper with tests",
        "feat(add_type_hints): Add type hints to textkit.stats",
    ]


def test_autopilot_stops_at_a_manual_task_without_keep_going(demo, capsys):
    code = main(["run", str(demo), "--auto", "--replay-rate", "0"])
    err = capsys.readouterr().err
    assert code == 0
    assert "document_usage is MANUAL; stopping here" in err


def test_autopilot_without_retries_rolls_back_and_marks_error(demo, capsys):
    code = main(["run", str(demo), "--auto", "--max-retries", "0", "--keep-going", "--replay-rate", "0"])
    err = capsys.readouterr().err
    assert code == 1
    final = statuses(demo)
    assert final["add_median"] == "ERROR" and final["add_cli_flag"] == "PENDING"
    assert "def median" not in (demo / "project/textkit/stats.py").read_text()
    assert "failed: add_median" in err
    assert "autopilot gave up" in (demo / "tasks/add_median.yaml").read_text()


def test_ctrl_c_during_validation_rolls_back_and_leaves_nothing_half_done(demo):
    """A real SIGINT to a real `patchbay run --auto` while its validation command runs."""
    stats = demo / "project/textkit/stats.py"
    before = stats.read_bytes()
    detail = demo / "tasks/add_type_hints.yaml"
    text = detail.read_text()
    # A validation command that takes long enough to be interrupted.
    detail.write_text(text + 'validation_command: python3 -c "import time; time.sleep(30)"\n')
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "run", str(demo), "--auto", "--replay-rate", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 30
    seen = ""
    while "validating" not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert "validating" in seen
    # No pause: a Ctrl-C that lands before the command starts must win as well as one during it.
    proc.send_signal(signal.SIGINT)
    _out, rest = proc.communicate(timeout=30)
    assert proc.returncode == 130, seen + rest
    assert "nothing was left half-applied" in rest
    assert stats.read_bytes() == before
    assert statuses(demo)["add_type_hints"] == "READY"
    assert commits(demo / "project") == ["chore: textkit before the demo runbook"]


def test_the_shipped_demo_runs_in_a_copy_and_stays_untouched(capsys):
    from tui.resources import shipped

    demo = shipped("runbooks/demo")
    before = {p: p.read_bytes() for p in demo.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert main(["run", str(demo), "--auto", "--keep-going", "--replay-rate", "0"]) == 0
    err = capsys.readouterr().err
    assert "working on a copy in" in err and "6 done" in err
    after = {p: p.read_bytes() for p in demo.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert after == before


def test_branch_per_run_commits_on_the_new_branch(demo, capsys):
    args = ["run", str(demo), "--auto", "--task", "add_type_hints", "--branch", "patchbay/run-1"]
    assert main([*args, "--replay-rate", "0"]) == 0
    project = demo / "project"
    branch = subprocess.run(["git", "branch", "--show-current"], cwd=project, capture_output=True, text=True)
    assert branch.stdout.strip() == "patchbay/run-1"
    main_log = subprocess.run(
        ["git", "log", "--format=%s", "main"], cwd=project, capture_output=True, text=True
    )
    assert main_log.stdout.splitlines() == ["chore: textkit before the demo runbook"]
    assert commits(project)[0].startswith("feat(add_type_hints)")
    assert main(["run", str(demo), "--auto", "--branch", "patchbay/run-1", "--replay-rate", "0"]) == 1
    assert "already exists" in capsys.readouterr().err
