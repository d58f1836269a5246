"""`patchbay run RUNBOOK --task ID --note "…"`: the task's last kept answer goes back to the model
with the note, as a focused follow-up (the next attempt), and the new answer is kept beside it."""

from __future__ import annotations

import json
from pathlib import Path

from conversation_project import FIRST, FIX, make_runbook

from tui.cli import main


def events(folder: Path, kind: str) -> list[dict]:
    lines = (folder / "logs" / "run_log.jsonl").read_text().splitlines()
    return [r["details"] for r in map(json.loads, lines) if r["event_type"] == kind]


def test_note_reruns_the_task_with_the_note_on_its_last_answer(tmp_path, capsys):
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": FIRST}, {"attempt": 2, "text": FIX}])
    assert main(["run", str(folder), "--task", "tune_values"]) == 0
    capsys.readouterr()
    note = "value_15 must be 1500, not 15000"
    assert main(["run", str(folder), "--task", "tune_values", "--note", note]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == FIX.strip()  # the replay's attempt 2: the follow-up was sent as attempt 2
    assert "goes with attempt 2" in err
    assert [n["note"] for n in events(folder, "REVIEW_NOTE")] == [note]
    assert events(folder, "RETRY")[-1]["focused"] is True
    assert len(list((folder / "outputs").glob("tune_values.attempt2.*.md"))) == 1


def test_the_follow_up_holds_the_note_and_the_previous_hunks(tmp_path):
    from tui.conversation_steps import last_answer
    from tui.runner import TaskRun
    from tui.session import Session

    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": FIRST}])
    assert main(["run", str(folder), "--task", "tune_values"]) == 0
    session = Session(folder, replay_rate=0)
    run = TaskRun.begin(session, "tune_values")
    user = run.rerun_with_note(last_answer(session, "tune_values"), "fewer zeros").rendered.user
    assert "The reviewer's note on the whole answer: fewer zeros" in user
    assert "+value_15 = 15000" in user.split("The reviewer rejected these parts")[1]


def test_note_without_a_kept_answer_or_without_task_is_one_sentence(tmp_path, capsys):
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": FIRST}])
    assert main(["run", str(folder), "--task", "tune_values", "--note", "x"]) == 1
    assert "has no answer kept under" in capsys.readouterr().err
    assert main(["run", str(folder), "--note", "x"]) == 2
    assert "--note reruns one task" in capsys.readouterr().err
