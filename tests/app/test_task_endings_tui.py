"""Every flow of the main screen ends in a state the footer can act on (issue 11): driven with Pilot
on a real copy of the demo, with the replay model standing in for a language model."""

from __future__ import annotations

import failure_kinds as kinds
import yaml

from app.pilot_helpers import main_screen, make_app, settle
from app.test_main_flows import SIZE, on_review, status_in_yaml


def finish_type_hints_by_hand(folder) -> None:
    from tui.runbook.writer import set_detail_status, set_task_status

    set_task_status(folder / "runbook.yaml", "add_type_hints", "DONE")
    set_detail_status(folder / "tasks/add_type_hints.yaml", "DONE")


async def select(pilot, task_id: str) -> None:
    screen = main_screen(pilot.app)
    screen.tree.select_task((0, task_id))
    await settle(pilot, lambda: screen.selected_key == (0, task_id))


def idle(app) -> bool:
    """Nothing runs and nothing claims to: the footer offers the next step."""
    screen = main_screen(app)
    return screen.busy is None


# -- defect 1: r in the review screen retries instead of hanging ------------------------------------
async def test_retry_from_the_review_screen_does_not_leave_the_app_busy(demo):
    finish_type_hints_by_hand(demo)
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await select(pilot, "add_median")
        await pilot.press("r")
        await settle(pilot, lambda: on_review(app))
        await pilot.press("r")  # retry from the review
        await settle(pilot, lambda: on_review(app) and screen.run.attempt == 2)
        assert idle(app)
        assert screen.run.failure  # the retry template is told why the first answer was set aside
    # The app closed with the second answer unreviewed: set aside, READY (not left RUNNING).
    assert status_in_yaml(demo, "add_median") == "READY"


# -- defect 2: a write that fails on a manual task is shown, and the keys keep working ---------------
async def test_done_on_a_manual_task_with_a_broken_runbook_says_why_and_stays_usable(demo):
    app = make_app(demo)
    runbook = demo / "runbook.yaml"
    good = runbook.read_text()
    shown: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.notify = lambda message, **_kw: shown.append(str(message))  # what the user would read
        await select(pilot, "document_usage")
        runbook.write_text(good.replace("tasks:\n", "tasks:\n  - {broken\n", 1))
        await pilot.press("y")
        await settle(pilot, lambda: idle(app) and bool(shown))
        assert any("runbook.yaml" in text for text in shown), shown
        runbook.write_text(good)
        await pilot.press("y")
        await settle(pilot, lambda: idle(app) and status_in_yaml(demo, "document_usage") == "DONE")
    assert status_in_yaml(demo, "document_usage") == "DONE"


# -- defect 4: quitting with a change applied and undecided asks; a restart can undo it -------------
async def test_quit_with_an_undecided_change_asks_and_u_undoes_it_after_a_restart(demo):
    from tui.app.screens.modals import ConfirmScreen

    kinds.validation_fails(demo)
    stats = demo / "project/textkit/stats.py"
    before = stats.read_bytes()
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("r")
        await settle(pilot, lambda: on_review(app))
        await pilot.press("A", "enter")
        await settle(pilot, lambda: not on_review(app) and idle(app))
        assert str(screen.run.phase) == "validation_failed"
        await pilot.press("q")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "applied" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
        await pilot.pause()
    assert stats.read_bytes() != before  # the user chose to quit with it applied
    assert status_in_yaml(demo, kinds.TASK) == "RUNNING"

    again = make_app(demo)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(again)
        rows = {row.key[1]: row.status for row in screen.task_rows(0)}
        assert rows[kinds.TASK] == "INTERRUPTED"
        await pilot.press("u")
        await settle(pilot, lambda: idle(again) and status_in_yaml(demo, kinds.TASK) == "READY")
    assert stats.read_bytes() == before


# -- defect 8: --parallel N reaches the app -----------------------------------------------------------
def test_parallel_option_reaches_the_app(demo, monkeypatch):
    from tui.app.app import PatchbayApp
    from tui.cli import main

    seen: list[int] = []
    monkeypatch.setattr(PatchbayApp, "run", lambda self, *a, **k: seen.append(self.parallel))
    assert main(["--parallel", "3", str(demo)]) == 0
    assert main([str(demo)]) == 0
    assert seen == [3, None]  # None: the model's pool capacity decides
    assert main(["--parallel", "0", str(demo)]) == 2


def test_parallel_limit_of_the_screen_follows_the_app(demo):
    from tui.app.app import PatchbayApp
    from tui.app.screens.main import MainScreen
    from tui.session import Session

    app = PatchbayApp([Session(demo, replay_rate=0)], watch=False, parallel=4)
    screen = MainScreen(app.sessions)
    assert app.parallel == 4
    assert yaml.safe_load((demo / "runbook.yaml").read_text())  # the demo is intact
    assert screen is not None
