"""Quitting while an answer waits for review (nothing applied yet) ends as `patchbay run` leaves an
answered task: the answer stays under outputs/, the task is READY again, and the log says why.
Never RUNNING on disk (which the next start shows as interrupted)."""

from __future__ import annotations

import json

from app.pilot_helpers import main_screen, make_app, settle
from app.test_main_flows import SIZE, on_review, status_in_yaml

QUIT = "the app quit before the answer was applied"


def reset_reasons(folder, task_id: str) -> list[str]:
    lines = (folder / "logs" / "run_log.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines if line.strip()]
    return [
        e["details"].get("reason", "")
        for e in events
        if e.get("task_id") == task_id and e.get("event_type") == "RESET_TASK"
    ]


def kept_answers(folder, task_id: str) -> list:
    return sorted((folder / "outputs").glob(f"{task_id}.attempt1.*.md"))


async def test_q_after_leaving_the_review_asks_and_sets_the_answer_aside(demo):
    from tui.app.screens.modals import ConfirmScreen

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("n", "r")
        await settle(pilot, lambda: on_review(app))
        await pilot.press("q")  # back to the main screen: the answer still waits
        await settle(pilot, lambda: app.screen is screen)
        assert status_in_yaml(demo, "add_type_hints") == "RUNNING"
        await pilot.press("q")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#confirm-question").render())
        assert "waits for your review" in question and "READY again" in question
        await pilot.press("y")
        await settle(pilot, lambda: not app.is_running)
    assert status_in_yaml(demo, "add_type_hints") == "READY"
    assert reset_reasons(demo, "add_type_hints").count(QUIT) == 1
    assert kept_answers(demo, "add_type_hints")


async def test_ctrl_q_on_the_review_screen_leaves_the_task_ready_not_running(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "r")
        await settle(pilot, lambda: on_review(app))
        await pilot.press("ctrl+q")
        await settle(pilot, lambda: not app.is_running)
    assert status_in_yaml(demo, "add_type_hints") == "READY"
    assert reset_reasons(demo, "add_type_hints").count(QUIT) == 1
    assert kept_answers(demo, "add_type_hints")
    # The next start shows it READY, with nothing interrupted to recover.
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = {row.key[1]: row.status for row in main_screen(app).task_rows(0)}
        assert rows["add_type_hints"] == "READY"
