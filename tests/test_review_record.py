"""What went in is recorded: a review that leaves hunks out says so in the commit's trailers and in
the task's last_run (on a real copy of the demo, a real git repository)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tui.commands.demo import prepare_demo
from tui.runner import TaskRun
from tui.session import Session


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return prepare_demo(tmp_path / "demo")


def last_commit(project: Path) -> str:
    done = subprocess.run(
        ["git", "log", "-1", "--format=%B"], cwd=project, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_hunks_left_out_in_review_are_named_in_the_commit_and_last_run(demo):
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, "add_type_hints")
    run.prepare()
    run.generate()
    hunks = [hunk.id for change in run.review().files for hunk in change.hunks]
    assert len(hunks) == 3
    run.apply({hunks[0], hunks[1]})
    run.validate()
    message = last_commit(demo / "project")
    assert f"Hunks-Applied: {hunks[0]}, {hunks[1]}" in message
    assert f"Hunks-Left-Out: {hunks[2]}" in message
    details = yaml.safe_load((demo / "tasks" / "add_type_hints.yaml").read_text())
    assert details["last_run"]["hunks_applied"] == hunks[:2]
    assert details["last_run"]["hunks_left_out"] == hunks[2:]
    assert details["last_run"]["model"]  # what the answer wrote is kept


def test_everything_applied_names_no_hunk_left_out(demo):
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, "add_type_hints")
    run.prepare()
    run.generate()
    run.review()
    run.apply()
    run.validate()
    message = last_commit(demo / "project")
    assert "Hunks-Applied: textkit/stats.py#1" in message and "Hunks-Left-Out" not in message


def test_reload_models_reads_the_registry_and_the_replay_transcript_again(demo):
    session = Session(demo, replay_rate=0)
    first = session.backend("demo")
    config = demo / "patchbay.yaml"
    config.write_text(config.read_text() + "  second:\n    backend: replay\n    transcript: replay.yaml\n")
    assert "second" not in session.registry.names()
    assert "demo" in session.reload_models()
    assert "second" in session.registry.names()
    assert session.backend("demo") is not first  # a fresh backend reads the transcript again
