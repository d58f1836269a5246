"""Quitting while an answer waits for review (nothing applied yet) ends as `patchbay run` leaves an
answered task: the answer stays under outputs/, the task is READY again, and the log says why.
Never RUNNING on disk (which the next start shows as interrupted)."""

from __future__ import annotations

import json

from app.pilot_helpers import main_screen, make_app, settle, wait_for
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
        await pilot.press("r")
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
        await pilot.press("r")
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


async def test_an_answer_that_arrives_under_the_quit_question_waits_for_v(demo):
    import threading

    from tui.app.screens.modals import ConfirmScreen
    from tui.engine.base import Chunk

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        session = screen.sessions[0]
        backend = session.backend(session.model_name_for(session.task("add_type_hints")))
        real, gate = backend._generate, threading.Event()

        def gated(request, cancel):  # the rest of the answer comes once the question is up
            for item in real(request, cancel):
                yield item
                if isinstance(item, Chunk):
                    gate.wait(30)

        backend._generate = gated
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.busy == "generating")
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))  # the stream still waits
        gate.set()
        await settle(pilot, lambda: screen.run is not None and str(screen.run.phase) == "reviewing")
        assert isinstance(app.screen, ConfirmScreen)  # still the question, not a review under it
        await pilot.press("n")
        await settle(pilot, lambda: app.screen is screen)
        assert "v reviews it" in screen.output.text
        assert screen.check_action("review", ())
        await pilot.press("v")
        await settle(pilot, lambda: on_review(app))


async def test_quitting_while_an_answer_streams_stops_it_and_leaves_the_task_ready(demo):
    from app.pilot_helpers import hold_stream_until_cancelled
    from tui.app.screens.modals import ConfirmScreen

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        hold_stream_until_cancelled(screen.sessions[0], "add_type_hints")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.busy == "generating")
        assert status_in_yaml(demo, "add_type_hints") == "RUNNING"
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Stop it and quit?" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
        await settle(pilot, lambda: not app.is_running)
    assert status_in_yaml(demo, "add_type_hints") == "READY"
    # Set aside once, as the quit (not as a plain cancel racing the app's exit).
    assert reset_reasons(demo, "add_type_hints")[-1:] == [QUIT]
    assert "cancelled" not in reset_reasons(demo, "add_type_hints")
