"""The main screen's flows, driven with Pilot on a real copy of the demo (git repository, YAML files,
run log) with the replay model standing in for a language model."""

from __future__ import annotations

import json

import git
import yaml

from app.pilot_helpers import hold_stream_until_cancelled, main_screen, make_app, settle, wait_for
from tui.app import messages as m

SIZE = (120, 40)


def status_in_yaml(folder, task_id: str) -> str:
    runbook = yaml.safe_load((folder / "runbook.yaml").read_text())
    return next(task["status"] for task in runbook["tasks"] if task["id"] == task_id)


def detail(folder, name: str) -> dict:
    return yaml.safe_load((folder / "tasks" / f"{name}.yaml").read_text())


def commit_subjects(folder) -> list[str]:
    return [c.summary for c in git.Repo(folder / "project").iter_commits()]


def log_events(folder) -> list[dict]:
    path = folder / "logs" / "run_log.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def on_review(app) -> bool:
    from tui.app.screens.review import ReviewScreen

    # Mounted, not only pushed: a test that ends while the screen composes tears it down mid-mount.
    return isinstance(app.screen, ReviewScreen) and app.screen.is_mounted


async def review_and_apply(pilot) -> None:
    await settle(pilot, lambda: on_review(pilot.app))
    await pilot.press("A", "enter")
    await settle(pilot, lambda: not on_review(pilot.app) and main_screen(pilot.app).busy is None)


async def test_r_accept_all_apply_validates_commits_and_marks_done(demo):
    seen: list = []
    app = make_app(demo)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.selected_key == (0, "add_type_hints")  # the first READY task, selected at start
        await pilot.press("r")
        await review_and_apply(pilot)
        assert screen.run is None
        rows = {row.key[1]: row.status for row in screen.task_rows(0)}
        assert rows["add_type_hints"] == "DONE"
        assert rows["add_median"] == "READY"  # it waited for add_type_hints
    assert any(isinstance(x, m.GenerationFinished) for x in seen)
    assert any(isinstance(x, m.ValidationFinished) for x in seen)
    assert status_in_yaml(demo, "add_type_hints") == "DONE"
    assert detail(demo, "add_type_hints")["status"] == "DONE"
    assert "def word_count(text: str) -> int:" in (demo / "project/textkit/stats.py").read_text()
    assert commit_subjects(demo)[0] == "feat(add_type_hints): Add type hints to textkit.stats"
    kinds = [event.get("event_type") for event in log_events(demo)]
    assert "PATCH_APPLIED" in kinds and "VALIDATION_RUN" in kinds and "COMMIT_CREATED" in kinds


async def test_failed_validation_offers_retry_which_then_passes(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("r")
        await review_and_apply(pilot)
        screen.tree.select_task((0, "add_median"))
        await settle(pilot, lambda: screen.selected_key == (0, "add_median"))
        await pilot.press("r")
        await review_and_apply(pilot)
        assert str(screen.run.phase) == "validation_failed"
        assert "validation exited" in screen.output.text
        assert screen.check_action("retry", ()) and screen.check_action("rollback", ())
        assert not screen.check_action("run", ())
        await pilot.press("r")
        await review_and_apply(pilot)
        assert screen.run is None
    assert status_in_yaml(demo, "add_median") == "DONE"
    issues = detail(demo, "add_median")["issues"]
    assert [issue["type"] for issue in issues] == ["VALIDATION_FAIL"]
    assert commit_subjects(demo)[0] == "feat(add_median): Add a median() helper with tests"
    # the retry's answer (averaging the two middle values) is the one in the tree
    assert (
        "return (ordered[middle - 1] + ordered[middle]) / 2"
        in (demo / "project/textkit/stats.py").read_text()
    )


async def test_failed_validation_roll_back_restores_the_files(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("r")
        await review_and_apply(pilot)
        before = (demo / "project/textkit/stats.py").read_bytes()
        screen.tree.select_task((0, "add_median"))
        await settle(pilot, lambda: screen.selected_key == (0, "add_median"))
        await pilot.press("r")
        await review_and_apply(pilot)
        assert (demo / "project/textkit/stats.py").read_bytes() != before
        await pilot.press("b")
        await settle(pilot, lambda: screen.run is None)
    assert (demo / "project/textkit/stats.py").read_bytes() == before
    assert status_in_yaml(demo, "add_median") == "READY"


async def test_manual_task_done_with_y(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        screen.tree.select_task((0, "document_usage"))
        await settle(pilot, lambda: screen.selected_key == (0, "document_usage"))
        assert "Usage" in screen.prompt_pane.shown_summary.instructions
        await pilot.press("y")
        await settle(pilot, lambda: screen.busy is None)
    assert status_in_yaml(demo, "document_usage") == "DONE"
    assert any(e.get("task_id") == "document_usage" for e in log_events(demo))


async def test_manual_task_skipped_with_s(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        screen.tree.select_task((0, "document_usage"))
        await settle(pilot, lambda: screen.selected_key == (0, "document_usage"))
        await pilot.press("s")
        await settle(pilot, lambda: screen.busy is None)
    assert status_in_yaml(demo, "document_usage") == "SKIPPED"


async def test_manual_task_error_asks_for_a_note(demo):
    from tui.app.screens.modals import NoteScreen

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        screen.tree.select_task((0, "document_usage"))
        await settle(pilot, lambda: screen.selected_key == (0, "document_usage"))
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, NoteScreen))
        await pilot.press(*"no docs yet")
        await pilot.press("enter")
        await settle(pilot, lambda: screen.busy is None and app.screen is screen)
    assert status_in_yaml(demo, "document_usage") == "ERROR"
    runbook = yaml.safe_load((demo / "runbook.yaml").read_text())
    task = next(t for t in runbook["tasks"] if t["id"] == "document_usage")
    assert task["issues"][-1]["detail"] == "no docs yet"


async def test_script_task_runs_its_command_and_is_done(demo):
    from tui.runbook.writer import set_detail_status, set_task_status

    set_task_status(demo / "runbook.yaml", "add_type_hints", "DONE")  # so lint_check is READY
    set_detail_status(demo / "tasks/add_type_hints.yaml", "DONE")
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        screen.tree.select_task((0, "lint_check"))
        await settle(pilot, lambda: screen.selected_key == (0, "lint_check"))
        await pilot.press("r")
        await settle(pilot, lambda: screen.run is None)
        assert "$ python3 -m compileall -q textkit" in screen.output.text
    assert status_in_yaml(demo, "lint_check") == "DONE"
    assert any(e.get("event_type") == "SCRIPT_RUN" for e in log_events(demo))


async def test_failing_script_marks_the_task_error(demo):
    from tui.runbook.writer import set_detail_status, set_task_status

    set_task_status(demo / "runbook.yaml", "add_type_hints", "DONE")
    set_detail_status(demo / "tasks/add_type_hints.yaml", "DONE")
    (demo / "project/textkit/broken.py").write_text("def (:\n")
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        screen.tree.select_task((0, "lint_check"))
        await settle(pilot, lambda: screen.selected_key == (0, "lint_check"))
        await pilot.press("r")
        await settle(pilot, lambda: screen.run is None)
        assert "ERROR" in screen.output.text
    assert status_in_yaml(demo, "lint_check") == "ERROR"


async def test_escape_cancels_a_streaming_answer(demo):
    app = make_app(demo, rate=50)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        hold_stream_until_cancelled(screen.sessions[0], "add_type_hints")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.busy == "generating" and screen.output.answer_text)
        await pilot.press("escape")
        await settle(pilot, lambda: screen.busy is None and screen.run is None)
        assert screen.output.answer_text  # the partial answer stays on screen
        assert screen.check_action("run", ())  # READY again: r runs it afresh
    assert any(e.get("event_type") == "AI_GENERATION_CANCELLED" for e in log_events(demo))
    assert status_in_yaml(demo, "add_type_hints") == "READY"


async def test_quit_while_streaming_asks_first(demo):
    from tui.app.screens.modals import ConfirmScreen

    app = make_app(demo, rate=10)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        hold_stream_until_cancelled(screen.sessions[0], "add_type_hints")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.busy == "generating")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen and app.is_running
        await pilot.press("escape")
        await settle(pilot, lambda: screen.busy is None)


async def test_quit_when_idle_exits_without_asking(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0  # exit() was called, no question asked


async def test_undo_restores_the_last_applied_change(demo):
    app = make_app(demo)
    original = (demo / "project/textkit/stats.py").read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("r")
        await review_and_apply(pilot)
        assert (demo / "project/textkit/stats.py").read_bytes() != original
        await pilot.press("u")
        await settle(pilot, lambda: screen.busy is None)
    assert (demo / "project/textkit/stats.py").read_bytes() == original
    assert status_in_yaml(demo, "add_type_hints") == "READY"
    assert not commit_subjects(demo)[0].startswith("feat(add_type_hints)")


async def test_prompt_over_budget_is_refused_and_the_task_is_error_with_the_cause(demo):
    detail_file = demo / "tasks/add_type_hints.yaml"
    detail_file.write_text(detail_file.read_text().replace("context_budget: 2000", "context_budget: 10"))
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await settle(pilot, lambda: bool(screen.prompt_pane.prompt_text))
        budget = screen.query_one("#prompt-budget")
        assert budget.has_class("over") and "/ 10 tokens" in str(budget.render())
        await pilot.press("r")
        await settle(pilot, lambda: screen.run is None and screen.busy is None)
        assert "over" in screen.output.text
    assert status_in_yaml(demo, "add_type_hints") == "ERROR"
    issue = detail(demo, "add_type_hints")["issues"][-1]
    assert issue["type"] == "PROMPT_FAIL" and "context_budget of 10" in issue["detail"]
    assert not (demo / "outputs").exists() or not list((demo / "outputs").iterdir())


async def test_task_keys_wait_while_the_runbook_loads(demo):
    import threading

    from tui.app.app import PatchbayApp
    from tui.runner import Session

    loaded = threading.Event()

    def load() -> list:
        loaded.wait(30)  # the runbook is still loading while the keys are pressed
        return [Session(demo / "runbook.yaml")]

    app = PatchbayApp(load, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        assert not screen.check_action("undo", ()) and not screen.check_action("run_parallel", ())
        await pilot.press("u", "p", "r")  # nothing to act on yet: no error, nothing started
        assert app.is_running and screen.run is None
        loaded.set()
        await settle(pilot, lambda: screen.sessions and screen.selected_key is not None)
        assert screen.check_action("run", ())
