"""How a task run ends, on a real copy of the demo: every failure ends in a clear state, written to
the YAML with an `issues` entry, and nothing the user did is lost (issue 11, and issue 17 item 17)."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import failure_kinds as kinds
import pytest

from tui.cli import main
from tui.commands.demo import prepare_demo
from tui.errors import PatchbayError
from tui.runbook.event_log import read as read_log
from tui.runbook.loader import load_runbook
from tui.runner import Phase, RunnerError, TaskRun
from tui.session import Session


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return prepare_demo(tmp_path / "demo")


def stored(folder: Path, task_id: str):
    return load_runbook(folder).task(task_id)


def log(folder: Path) -> list[dict]:
    return read_log(folder / "logs" / "run_log.jsonl")


# -- defect 1: retry after a review whose hunks did not place ---------------------------------------
def test_retry_from_a_review_with_unplaced_hunks_prepares_the_next_attempt(demo):
    kinds.apply_refused(demo)
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, kinds.TASK)
    run.generate()
    change_set = run.review()
    assert not any(hunk.placement.placed for hunk in change_set.hunks)
    prepared = run.retry()
    assert run.attempt == 2 and run.phase is Phase.PROMPTED
    assert "removed lines not found" in run.failure
    assert "removed lines not found" in prepared.rendered.user or run.failure


# -- defect 3: failures before the answer end ERROR with an issue naming the cause -------------------
@pytest.mark.parametrize(
    ("kind", "issue_type", "words"),
    [
        ("over_budget", "PROMPT_FAIL", "over the task's context_budget of 10"),
        ("template_error", "PROMPT_FAIL", "broken.j2:1"),
        ("server_down", "GENERATION_FAIL", "cannot reach http://127.0.0.1"),
    ],
)
def test_a_failure_before_the_answer_marks_the_task_error_with_an_issue(demo, kind, issue_type, words):
    kinds.KINDS[kind](demo)
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, kinds.TASK)
    try:
        run.prepare()
        answer = run.generate()
        assert answer.error
    except RunnerError as exc:
        assert words in str(exc)
    assert run.phase is Phase.ERROR
    task = stored(demo, kinds.TASK)
    assert task.status == "ERROR"
    assert [issue.type for issue in task.issues] == [issue_type]
    assert words in task.issues[0].detail
    assert [r["event_type"] for r in log(demo) if r["task_id"] == kinds.TASK][-2:] == [
        "START_TASK",
        "ERROR_TASK",
    ]


# -- defect 5: x after a failed validation says and logs the roll back; the outcome is FAILURE -------
def test_mark_error_after_a_failed_validation_logs_the_rollback_and_the_failure(demo):
    kinds.validation_fails(demo)
    stats = demo / "project/textkit/stats.py"
    before = stats.read_bytes()
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, kinds.TASK)
    run.generate()
    run.review()
    run.apply()
    run.validate()
    assert run.phase is Phase.VALIDATION_FAILED
    assert stored(demo, kinds.TASK).last_run.outcome == "FAILURE"
    said = run.mark_error("the hints are wrong")
    assert "rolled back" in said and "textkit/stats.py" in said
    assert stats.read_bytes() == before
    task = stored(demo, kinds.TASK)
    assert task.status == "ERROR" and task.last_run.outcome == "FAILURE"
    assert task.issues[-1].detail == "the hints are wrong; the change to textkit/stats.py was rolled back"
    types = [r["event_type"] for r in log(demo) if r["task_id"] == kinds.TASK]
    assert types[-3:] == ["VALIDATION_RUN", "ROLLBACK", "ERROR_TASK"]


# -- defect 6: a cancel between steps is not lost ----------------------------------------------------
def test_a_cancel_before_generation_stops_it(demo):
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, kinds.TASK)
    run.prepare()
    run.cancel()  # lands after prepare, before the stream
    answer = run.generate()
    assert run.phase is Phase.CANCELLED and answer.text == ""


def test_a_cancel_before_validation_stops_it(demo):
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, kinds.TASK)
    run.generate()
    run.review()
    run.apply()
    run.cancel()  # lands after the apply, before the validation command starts
    result = run.validate()
    assert result.cancelled and run.phase is Phase.CANCELLED
    assert stored(demo, kinds.TASK).issues == []  # a stopped check is not a failed change
    stats = demo / "project/textkit/stats.py"
    assert "def word_count(text: str)" in stats.read_text()
    assert (
        run.abandon("cancelled")
        == "add_type_hints is READY again; the change to textkit/stats.py was rolled back."
    )
    assert "def word_count(text: str)" not in stats.read_text()
    assert stored(demo, kinds.TASK).status == "READY"


def test_after_a_cancel_running_again_starts_afresh(demo):
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, kinds.TASK)
    run.cancel()
    run.generate()
    assert run.phase is Phase.CANCELLED
    run.prepare()  # the user runs it again
    answer = run.generate()
    assert run.phase is Phase.ANSWERED and "```diff" in answer.text


def test_cancel_from_another_thread_while_validating_wins(demo):
    kinds.validation_fails(demo)
    detail = demo / f"tasks/{kinds.TASK}.yaml"
    detail.write_text(detail.read_text().replace("raise SystemExit(3)", "import time; time.sleep(60)"))
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, kinds.TASK)
    run.generate()
    run.review()
    run.apply()
    started = threading.Event()

    def output(_text: str) -> None:
        started.set()

    worker = threading.Thread(target=lambda: run.validate(output))
    worker.start()
    run.cancel()  # whenever it lands: before the command, or while it runs
    worker.join(timeout=30)
    assert not worker.is_alive() and run.validation.cancelled


# -- defect 7: default_model is the model of tasks that name none -----------------------------------
def test_default_model_from_the_config_is_used(demo):
    runbook = demo / "runbook.yaml"
    runbook.write_text(runbook.read_text().replace("  model: demo\n", "", 1))
    config = demo / "patchbay.yaml"
    config.write_text(
        config.read_text()
        + "  spare:\n    backend: replay\n    transcript: replay.yaml\ndefault_model: demo\n"
    )
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, kinds.TASK)
    assert run.prepare().model_name == "demo"
    assert run.generate().error is None


# -- defect 11: READY is written to the file ----------------------------------------------------------
def test_ready_promotions_are_written_to_the_yaml(demo):
    assert stored(demo, "add_type_hints").status == "PENDING"  # as shipped: setup_env is DONE
    session = Session(demo, replay_rate=0)
    assert stored(demo, "add_type_hints").status == "READY"
    assert "status: READY" in (demo / "tasks/add_type_hints.yaml").read_text()
    assert stored(demo, "add_median").status == "PENDING"
    TaskRun.begin(session, "add_type_hints").mark_done("by hand")
    after = load_runbook(demo)
    assert after.task("add_median").status == "READY" and after.task("lint_check").status == "READY"
    session.reset("add_type_hints")  # the dependency is open again: its dependents wait again
    assert stored(demo, "add_median").status == "PENDING"
    promotions = [r for r in log(demo) if r["details"].get("reason") == "its dependencies are done"]
    assert {r["task_id"] for r in promotions} >= {"add_type_hints", "add_median", "lint_check"}


def test_a_status_and_the_promotions_it_unblocks_are_one_careful_write(demo, monkeypatch):
    import tui.session_writes

    session = Session(demo, replay_rate=0)
    batches = []
    real = tui.session_writes.set_task_statuses
    monkeypatch.setattr(
        tui.session_writes,
        "set_task_statuses",
        lambda path, statuses: (batches.append(dict(statuses)), real(path, statuses)),
    )
    TaskRun.begin(session, "add_type_hints").mark_done("by hand")
    # the task's own DONE joins them: one fsync between the key and the tree showing both
    assert batches == [{"add_type_hints": "DONE", "add_median": "READY", "lint_check": "READY"}]
    after = load_runbook(demo)
    assert after.task("add_median").status == "READY" and after.task("lint_check").status == "READY"


def test_a_status_change_looks_only_at_its_dependents_for_promotions(demo):
    """On 10,000 tasks a pass over every task after each write held the interpreter for a tenth
    of a second, and the TUI's keys with it: only the changed task's dependents can change."""
    session = Session(demo, replay_rate=0)
    assert {task.id for task in session.dependents_of("add_type_hints")} == {
        "add_median",
        "lint_check",
        "add_top_words",
    }
    # document_usage depends on setup_env only; its status in memory is stale on purpose: a pass
    # over every task would "promote" it, a look at add_type_hints' dependents leaves it alone.
    with session._lock:
        session.task("document_usage").status = "PENDING"
    logged = len(log(demo))
    TaskRun.begin(session, "add_type_hints").mark_done("by hand")
    after = load_runbook(demo)
    assert after.task("add_median").status == "READY" and after.task("lint_check").status == "READY"
    assert after.task("add_top_words").status == "PENDING"  # it waits for add_median too
    assert after.task("document_usage").status == "READY"  # as written at open, untouched since
    assert session.task("document_usage").status == "PENDING"
    assert "document_usage" not in {r["task_id"] for r in log(demo)[logged:]}


def test_two_callers_promoting_at_once_write_and_log_each_promotion_once(demo, monkeypatch):
    import tui.session_writes

    session = Session(demo, replay_rate=0)
    with session._lock:  # add_type_hints DONE in memory only: add_median and lint_check may be promoted
        session.task("add_type_hints").status = "DONE"
    inside, second_called = threading.Event(), threading.Event()
    batches = []
    real = tui.session_writes.set_task_statuses

    def slow_write(path, statuses):  # the first caller is mid-write when the second one calls
        batches.append(dict(statuses))
        inside.set()
        second_called.wait(10)
        real(path, statuses)

    monkeypatch.setattr(tui.session_writes, "set_task_statuses", slow_write)
    first = threading.Thread(target=session.sync_ready_statuses)
    first.start()
    assert inside.wait(10)

    def second() -> None:
        second_called.set()
        session.sync_ready_statuses()

    other = threading.Thread(target=second)
    other.start()
    first.join(10)
    other.join(10)
    assert batches == [{"add_median": "READY", "lint_check": "READY"}]
    promoted = [r["task_id"] for r in log(demo) if r["details"].get("reason") == "its dependencies are done"]
    assert promoted.count("add_median") == 1 and promoted.count("lint_check") == 1


# -- issue 17 item 17: a validation command that edits the applied file, then fails ------------------
def test_autopilot_keeps_a_change_edited_by_a_failing_check_and_marks_error(demo, capsys):
    kinds.validation_edits_then_fails(demo)
    code = main(
        ["run", str(demo), "--auto", "--task", kinds.TASK, "--max-retries", "0", "--replay-rate", "0"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "force" not in err and "1 failed" in err
    stats = (demo / "project/textkit/stats.py").read_text()
    assert "# touched by the check" in stats and "def word_count(text: str) -> int:" in stats
    task = stored(demo, kinds.TASK)
    assert task.status == "ERROR"
    assert "left in place" in task.issues[-1].detail and "textkit/stats.py" in task.issues[-1].detail


def test_autopilot_retry_over_an_edited_change_marks_error_instead_of_hanging_running(demo, capsys):
    kinds.validation_edits_then_fails(demo)
    code = main(
        ["run", str(demo), "--auto", "--task", kinds.TASK, "--max-retries", "1", "--replay-rate", "0"]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    assert "force" not in err and "autopilot: 0 done, 1 failed" in err
    assert stored(demo, kinds.TASK).status == "ERROR"


def test_rollback_over_later_edits_is_refused_with_a_sentence(demo):
    kinds.validation_edits_then_fails(demo)
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, kinds.TASK)
    run.generate()
    run.review()
    run.apply()
    run.validate()
    with pytest.raises(PatchbayError, match="changed after the change was applied") as caught:
        run.rollback()
    assert "force" not in str(caught.value)
    assert run.phase is Phase.VALIDATION_FAILED  # still waiting for a choice: keep or error
    assert "# touched by the check" in (demo / "project/textkit/stats.py").read_text()
    head = subprocess.run(["git", "status", "--short"], cwd=demo / "project", capture_output=True, text=True)
    assert "textkit/stats.py" in head.stdout
