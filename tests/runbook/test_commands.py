"""The headless runbook commands through tui.cli.main: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.cli import main
from tui.runbook.event_log import EventLog

RUNBOOK = """\
name: Demo  # a comment that must survive
tasks:
  - id: setup
    name: Set up
    status: DONE
    type: MANUAL
  - id: build
    name: Build it
    group: Phase 1
    status: PENDING
    depends_on: [setup]
    type: MANUAL
    task_detail_file: tasks/build.yaml
  - id: ship
    name: Ship it
    status: PENDING
    depends_on: [build]
    type: MANUAL
"""
BUILD = "id: build\nname: Build it\nstatus: PENDING   # mirrors the runbook\nmanual_instructions: go\n"


@pytest.fixture
def folder(runbook_dir) -> Path:
    return runbook_dir({"runbook.yaml": RUNBOOK, "tasks/build.yaml": BUILD})


def test_validate_clean_runbook(folder, capsys, monkeypatch):
    monkeypatch.chdir(folder)
    assert main(["validate", "."]) == 0
    assert capsys.readouterr().out == "runbook.yaml: 3 tasks, 0 errors, 0 warnings\n"


def test_validate_prints_errors_and_warnings_with_locations(runbook_dir, capsys, monkeypatch):
    folder = runbook_dir(
        {
            "runbook.yaml": "tasks:\n  - id: a\n    name: A\n    status: NOPE\n    colour: red\n  - id: b\n    name: B\n"
        }
    )
    monkeypatch.chdir(folder.parent)
    assert main(["validate", "rb"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "rb/runbook.yaml:4:13: error: unknown status `NOPE`; use one of PENDING, READY, RUNNING, DONE, ERROR, SKIPPED.",
        "rb/runbook.yaml:5:5: warning: unknown key `colour` in the task entry; it is ignored.",
        "rb/runbook.yaml: 2 tasks, 1 error, 1 warning",
    ]


def test_validate_warnings_only_exits_zero(runbook_dir, capsys):
    folder = runbook_dir({"runbook.yaml": "extra: 1\ntasks:\n  - {id: a, name: A}\n"})
    assert main(["validate", str(folder / "runbook.yaml")]) == 0
    assert capsys.readouterr().out.endswith(": 1 task, 0 errors, 1 warning\n")


def test_validate_missing_runbook_is_one_sentence(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("patchbay: ") and err.strip().endswith("there is no such file or folder.")
    assert "Traceback" not in err


def test_validate_without_argument_is_usage_error(capsys):
    assert main(["validate"]) == 2


def test_status_table(folder, capsys):
    assert main(["status", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "TYPE", "GROUP", "NAME", "WAITING", "FOR"]
    assert lines[1].split() == ["setup", "DONE", "MANUAL", "Set", "up"]
    assert lines[2].split() == ["build", "READY", "MANUAL", "Phase", "1", "Build", "it"]
    assert lines[3].split() == ["ship", "PENDING", "MANUAL", "Ship", "it", "build"]
    assert lines[1].index("DONE") == lines[2].index("READY") == lines[0].index("STATUS")  # aligned


def test_status_json(folder, capsys):
    assert main(["status", str(folder), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[1] == {
        "id": "build", "name": "Build it", "group": "Phase 1", "status": "READY", "type": "MANUAL",
        "depends_on": ["setup"], "blocked_by": [], "interrupted": False,
    }  # fmt: skip
    assert rows[2]["blocked_by"] == ["build"] and rows[2]["status"] == "PENDING"


def test_status_of_invalid_runbook_fails_with_the_first_error(runbook_dir, capsys):
    folder = runbook_dir({"runbook.yaml": "tasks:\n  - id: a\n    name: A\n    depends_on: [zz]\n"})
    assert main(["status", str(folder)]) == 1
    assert "runbook.yaml:4:18: task `a` depends on `zz`" in capsys.readouterr().err


def test_next_prints_the_first_ready_task(folder, capsys):
    assert main(["next", str(folder)]) == 0
    assert capsys.readouterr().out == "build\tBuild it\n"


def test_next_when_all_done(runbook_dir, capsys):
    folder = runbook_dir(
        {
            "runbook.yaml": "tasks:\n  - {id: a, name: A, status: DONE}\n  - {id: b, name: B, status: SKIPPED}\n"
        }
    )
    assert main(["next", str(folder)]) == 1
    assert capsys.readouterr().err == "patchbay: all 2 tasks are done (or skipped)\n"


def test_next_when_blocked_says_on_what(runbook_dir, capsys):
    folder = runbook_dir(
        {
            "runbook.yaml": "tasks:\n  - {id: a, name: A, status: ERROR}\n  - {id: b, name: B, depends_on: [a]}\n"
        }
    )
    assert main(["next", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "no task is READY: the rest wait on a (ERROR)" in err


def test_reset_rewrites_only_the_status(folder, capsys):
    assert main(["reset", str(folder), "build", "--to", "done"]) == 0
    assert capsys.readouterr().out == "build: PENDING -> DONE\n"
    assert (folder / "runbook.yaml").read_text() == RUNBOOK.replace(
        "    status: PENDING\n    depends_on: [setup]", "    status: DONE\n    depends_on: [setup]"
    )
    # The detail file writes a status, so it mirrors the change; its comment survives.
    assert (folder / "tasks" / "build.yaml").read_text() == BUILD.replace("PENDING", "DONE")
    assert main(["next", str(folder)]) == 0
    assert capsys.readouterr().out == "ship\tShip it\n"


def test_reset_defaults_to_ready(folder, capsys):
    assert main(["reset", str(folder), "setup"]) == 0
    assert "setup: DONE -> READY" in capsys.readouterr().out
    assert "status: READY" in (folder / "runbook.yaml").read_text()


def test_reset_logs_its_status_change_like_any_other(folder, capsys):
    assert main(["reset", str(folder), "setup"]) == 0
    records = EventLog(folder).read()
    assert [(r["task_id"], r["event_type"], r["status_change"]) for r in records] == [
        ("setup", "RESET_TASK", "DONE->READY")
    ]


def test_reset_unknown_task_or_status(folder, capsys):
    before = (folder / "runbook.yaml").read_bytes()
    assert main(["reset", str(folder), "biuld"]) == 1
    assert "there is no task 'biuld'" in capsys.readouterr().err
    assert main(["reset", str(folder), "build", "--to", "FINISHED"]) == 1
    assert capsys.readouterr().err == (
        "patchbay: unknown status 'FINISHED'; use one of PENDING, READY, RUNNING, DONE, ERROR, SKIPPED\n"
    )
    assert (folder / "runbook.yaml").read_bytes() == before


def test_validate_warns_about_models_the_registry_does_not_know(runbook_dir, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-user-config"))
    folder = runbook_dir(
        {
            "prompt_templates/p.j2": "x",
            "transcript.jsonl": "",
            "patchbay.yaml": "models:\n  small:\n    backend: replay\n    transcript: transcript.jsonl\n",
            "runbook.yaml": "tasks:\n  - id: a\n    name: A\n    ai_details: {prompt_template: p.j2, model: giant}\n",
        }
    )
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "runbook.yaml:4:48: warning: the model `giant` is not in the model registry (known: small)." in out
    assert out.endswith(": 1 task, 0 errors, 1 warning\n")


def test_reset_of_an_invalid_runbook_fails_with_the_first_error_and_writes_nothing(runbook_dir, capsys):
    text = "tasks:\n  - id: a\n    name: A\n    depends_on: [zz]\n  - {id: b, name: B, status: DONE}\n"
    folder = runbook_dir({"runbook.yaml": text})
    assert main(["reset", str(folder), "b"]) == 1
    assert "runbook.yaml:4:18: task `a` depends on `zz`" in capsys.readouterr().err
    assert (folder / "runbook.yaml").read_text() == text
