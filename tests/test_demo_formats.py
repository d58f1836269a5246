"""The demo's tasks answered in SEARCH/REPLACE blocks and in an apply_patch envelope: replayed,
placed, reviewed, applied and validated like its diff tasks, on a real copy with git."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tui.commands.demo import prepare_demo
from tui.runner import Phase, TaskRun
from tui.session import Session


def _finish(session: Session, task_id: str):
    run = TaskRun.begin(session, task_id)
    run.prepare()
    run.generate()
    change_set = run.review()
    run.apply()
    run.validate()
    if run.phase is Phase.VALIDATION_FAILED:  # add_median's scripted first attempt fails
        run.retry()
        run.prepare()
        run.generate()
        change_set = run.review()
        run.apply()
        run.validate()
    assert run.phase is Phase.DONE, task_id
    return change_set


def test_demo_tasks_in_search_replace_and_apply_patch_are_placed_and_done(tmp_path: Path):
    demo = prepare_demo(tmp_path / "demo")
    session = Session(demo, replay_rate=0)
    for task_id in ("add_type_hints", "add_median", "add_cli_flag"):
        _finish(session, task_id)
    blocks = _finish(session, "add_top_words")
    assert {change.path: change.edit_format for change in blocks.files} == {
        "textkit/stats.py": "search_replace",
        "tests/test_stats.py": "search_replace",
    }
    assert blocks.file("textkit/stats.py").note == "the answer names stats.py; taken as textkit/stats.py"
    envelope = _finish(session, "add_top_flag")
    assert [(change.path, change.edit_format) for change in envelope.files] == [
        ("textkit/cli.py", "apply_patch")
    ]
    assert all(hunk.placement.status == "exact" for hunk in envelope.hunks)
    project = demo / "project"
    out = subprocess.run(
        ["python3", "-m", "textkit.cli", "--top", "2"],
        cwd=project,
        input="a b a c",
        capture_output=True,
        text=True,
    )
    assert out.stdout.splitlines()[-1] == "top: a, b"
