"""The task state machine on a real copy of the demo: real files, a real git repository, real commands."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from tui.commands.demo import prepare_demo
from tui.errors import PatchbayError
from tui.runbook.event_log import read as read_log
from tui.runbook.loader import load_runbook
from tui.runner import Phase, TaskRun
from tui.session import Session


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return prepare_demo(tmp_path / "demo")


def git_log(project: Path) -> list[str]:
    out = subprocess.run(
        ["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


def stored_status(folder: Path, task_id: str) -> str:
    return load_runbook(folder).task(task_id).status


def events(folder: Path, *, promotions: bool = False) -> list[str]:
    """The log's event types; READY promotions written when a session opens are left out unless asked."""
    return [
        record["event_type"]
        for record in read_log(folder / "logs" / "run_log.jsonl")
        if promotions or (record.get("details") or {}).get("reason") != "its dependencies are done"
    ]


def test_ai_task_goes_from_ready_to_done_with_a_commit(demo):
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, "add_type_hints")
    prepared = run.prepare()
    assert "textkit/stats.py" in prepared.rendered.user and prepared.rendered.system
    assert stored_status(demo, "add_type_hints") == "RUNNING"
    chunks: list[str] = []
    answer = run.generate(chunks.append)
    assert "".join(chunks) == answer.text and answer.output_path.is_file()
    change_set = run.review()
    assert [h.placement.status for h in change_set.hunks] == ["fuzzy", "offset", "offset"]
    run.apply()
    assert "def word_count(text: str) -> int:" in (demo / "project/textkit/stats.py").read_text()
    run.validate()
    assert run.phase is Phase.DONE
    assert git_log(demo / "project")[0] == "feat(add_type_hints): Add type hints to textkit.stats"
    body = subprocess.run(
        ["git", "log", "-1", "--format=%B"], cwd=demo / "project", capture_output=True, text=True
    ).stdout
    assert f"Prompt-SHA256: {prepared.rendered.sha256}" in body and "Model: demo" in body
    assert stored_status(demo, "add_type_hints") == "DONE"
    detail = (demo / "tasks/add_type_hints.yaml").read_text()
    assert "status: DONE" in detail and "outcome: SUCCESS" in detail
    assert Session(demo).next_ready().id == "lint_check"
    assert events(demo)[:5] == [
        "START_TASK",
        "AI_PROMPT_SENT",
        "AI_RESPONSE_RECEIVED",
        "PATCH_APPLIED",
        "VALIDATION_RUN",
    ]


def answer_and_apply(session: Session, task_id: str):
    """Begin a task, generate its answer, place and apply every hunk."""
    run = TaskRun.begin(session, task_id)
    run.generate()
    run.review()
    run.apply()
    return run


def finish_type_hints(demo: Path) -> None:
    answer_and_apply(Session(demo, replay_rate=0), "add_type_hints").validate()


def test_failed_validation_then_retry_with_the_fallback_template_passes(demo):
    finish_type_hints(demo)
    session = Session(demo, replay_rate=0)
    run = answer_and_apply(session, "add_median")
    output: list[str] = []
    result = run.validate(output.append)
    assert run.phase is Phase.VALIDATION_FAILED and not result.passed
    assert "FAILED" in "".join(output)
    assert "VALIDATION_FAIL" in (demo / "tasks/add_median.yaml").read_text()
    prepared = run.retry()
    assert run.attempt == 2
    assert "It failed:" in prepared.rendered.user and "FAILED" in prepared.rendered.user
    # The failed change was rolled back before the retry.
    assert "def median" not in (demo / "project/textkit/stats.py").read_text()
    run.generate()
    run.review()
    run.apply()
    run.validate()
    assert run.phase is Phase.DONE
    assert git_log(demo / "project")[0].startswith("feat(add_median)")


def test_rollback_restores_the_files_exactly_and_the_task_is_ready(demo):
    stats = demo / "project/textkit/stats.py"
    before = stats.read_bytes()
    session = Session(demo, replay_rate=0)
    run = answer_and_apply(session, "add_type_hints")
    assert stats.read_bytes() != before
    run.rollback()
    assert stats.read_bytes() == before
    assert stored_status(demo, "add_type_hints") == "READY"


def test_undo_last_removes_the_commit_and_restores_the_files(demo):
    stats = demo / "project/textkit/stats.py"
    before = stats.read_bytes()
    session = Session(demo, replay_rate=0)
    run = answer_and_apply(session, "add_type_hints")
    run.validate()
    sentence = session.undo_last()
    assert "add_type_hints" in sentence and "commit" in sentence
    assert stats.read_bytes() == before
    assert git_log(demo / "project") == ["chore: textkit before the demo runbook"]
    assert stored_status(demo, "add_type_hints") == "READY"
    with pytest.raises(PatchbayError, match="no applied change"):
        session.undo_last()


def test_keep_after_a_failed_validation_marks_done(demo):
    finish_type_hints(demo)
    session = Session(demo, replay_rate=0)
    run = answer_and_apply(session, "add_median")
    run.validate()
    run.keep()
    assert run.phase is Phase.DONE and stored_status(demo, "add_median") == "DONE"


def test_mark_error_rolls_back_and_records_the_note(demo):
    finish_type_hints(demo)
    session = Session(demo, replay_rate=0)
    run = answer_and_apply(session, "add_median")
    run.validate()
    run.mark_error("the median is wrong")
    assert stored_status(demo, "add_median") == "ERROR"
    assert "def median" not in (demo / "project/textkit/stats.py").read_text()
    assert "the median is wrong" in (demo / "tasks/add_median.yaml").read_text()


def test_script_task_exit_code_decides(demo):
    finish_type_hints(demo)
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, "lint_check")
    result = run.run_script()
    assert result.passed and stored_status(demo, "lint_check") == "DONE"


def test_manual_task_done_and_skip(demo):
    session = Session(demo, replay_rate=0)
    TaskRun.begin(session, "document_usage").skip()
    assert stored_status(demo, "document_usage") == "SKIPPED"
    session.reset("document_usage")
    TaskRun.begin(session, "document_usage").mark_done("wrote it")
    assert stored_status(demo, "document_usage") == "DONE"
    assert "MANUAL_ACTION" in events(demo)


def test_a_blocked_task_cannot_begin(demo):
    session = Session(demo, replay_rate=0)
    with pytest.raises(PatchbayError, match="waits for add_type_hints"):
        TaskRun.begin(session, "add_median")


def test_cancel_mid_stream_keeps_the_partial_answer(demo):
    session = Session(demo, replay_rate=40)
    run = TaskRun.begin(session, "add_type_hints")
    received: list[str] = []

    def on_chunk(text: str) -> None:
        received.append(text)
        if len(received) == 3:
            run.cancel()

    worker = threading.Thread(target=lambda: run.generate(on_chunk))
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert run.phase is Phase.CANCELLED
    assert run.answer.text == "".join(received) and len(received) < 20
    run.set_aside("cancelled")
    assert stored_status(demo, "add_type_hints") == "READY"


def test_no_answer_in_the_transcript_is_an_error_with_a_sentence(demo):
    finish_type_hints(demo)
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, "add_median")
    run.attempt = 7  # the transcript has answers for attempts 1 and 2 only
    answer = run.generate()
    assert answer.error and "no answer" in answer.error
    assert stored_status(demo, "add_median") == "ERROR"


def test_review_reports_target_files_with_the_users_own_edits(demo):
    stats = demo / "project/textkit/stats.py"
    stats.write_text(stats.read_text() + "\n# my own note\n")
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, "add_type_hints")
    run.generate()
    run.review()
    assert run.user_edited == ["textkit/stats.py"]
    run.apply()
    session.restore(run.applied)
    assert stats.read_text().endswith("# my own note\n")
