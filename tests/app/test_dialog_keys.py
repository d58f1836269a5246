"""While a dialog is up, the bottom line shows the dialog's keys (the ones that work), not the keys
of the screen under it; once it closes, that screen's keys are back."""

from __future__ import annotations

from conversation_project import FIRST, FIX, make_runbook

from app.pilot_helpers import hold_stream_until_cancelled, main_screen, make_app, settle, wait_for
from app.review_support import ReviewHost, StandInRun, file_diff, hunk, numbered_lines
from app.screen_text import screen_lines
from tui.app.screens.help import HelpScreen
from tui.app.screens.modals import ConfirmScreen, NoteScreen
from tui.app.screens.review import ReviewScreen
from tui.app.widgets.follow_up_dialog import FollowUpPrompt
from tui.app.widgets.review_dialogs import ConfirmOutsideScope, UndecidedHunks

SIZE = (120, 40)
REVIEW_KEYS = ("y Accept", "Reject", "Accept all")
MAIN_KEYS = ("r Run", "n Next", "Filter")


def footer(app) -> str:
    return screen_lines(app)[-1]


async def shows(pilot, screen_type, *keys: str) -> str:
    """Waits for `screen_type` on top and its keys drawn on the bottom line; returns that line."""
    app = pilot.app
    try:
        await wait_for(
            pilot, lambda: isinstance(app.screen, screen_type) and all(k in footer(app) for k in keys)
        )
    except AssertionError:
        raise AssertionError(f"{type(app.screen).__name__} on top, bottom line {footer(app)!r}") from None
    return footer(app)


def two_files(tmp_path) -> StandInRun:
    work = tmp_path / "work"
    work.mkdir()
    alpha, beta = numbered_lines(30), numbered_lines(20, "item")
    (work / "alpha.py").write_text("".join(alpha))
    (work / "beta.py").write_text("".join(beta))
    answer = file_diff("alpha.py", [hunk(alpha, 5, "value_5 = 500"), hunk(alpha, 15, "value_15 = 1500")])
    answer += file_diff("beta.py", [hunk(beta, 3, "item_3 = 300")])
    return StandInRun(work, answer, files_to_modify=["alpha.py"])


async def test_the_review_questions_show_their_own_keys(tmp_path):
    app = ReviewHost(two_files(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await shows(pilot, ReviewScreen, *REVIEW_KEYS)
        await pilot.press("n", "enter")  # one hunk rejected, two undecided
        line = await shows(pilot, UndecidedHunks, "a Accept them", "l Leave them out", "Go back")
        assert not any(key in line for key in REVIEW_KEYS)
        await pilot.press("b")
        await shows(pilot, ReviewScreen, *REVIEW_KEYS)
        await pilot.press("A", "enter")  # beta.py is outside files_to_modify
        line = await shows(pilot, ConfirmOutsideScope, "y Apply anyway", "n Go back")
        assert not any(key in line for key in REVIEW_KEYS)
        await pilot.press("escape")
        await shows(pilot, ReviewScreen, *REVIEW_KEYS)


async def test_the_note_and_follow_up_over_the_review_show_their_own_keys(tmp_path):
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": FIRST}, {"attempt": 2, "text": FIX}])
    app = make_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await shows(pilot, ReviewScreen, *REVIEW_KEYS)
        await pilot.press("y", "N")
        line = await shows(pilot, NoteScreen, "⏎ Save", "esc Cancel")
        assert not any(key in line for key in REVIEW_KEYS)
        await pilot.press(*"should be 1500", "enter")
        await shows(pilot, ReviewScreen, *REVIEW_KEYS)
        await pilot.press("r")
        line = await shows(pilot, FollowUpPrompt, "⏎ Send", "e Edit", "esc Back to the review")
        assert not any(key in line for key in REVIEW_KEYS)
        await pilot.press("escape")
        await shows(pilot, ReviewScreen, *REVIEW_KEYS)


async def test_the_questions_over_the_main_screen_show_their_own_keys(demo):
    app = make_app(demo, rate=10)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("question_mark")
        line = await shows(pilot, HelpScreen, "esc Close help")
        assert not any(key in line for key in MAIN_KEYS)
        await pilot.press("escape")
        screen.tree.select_task((0, "document_usage"))
        await settle(pilot, lambda: screen.selected_key == (0, "document_usage"))
        await pilot.press("x")
        line = await shows(pilot, NoteScreen, "⏎ Save", "esc Cancel")
        assert not any(key in line for key in MAIN_KEYS)
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen and screen.busy is None)
        screen.tree.select_task((0, "add_type_hints"))
        await settle(pilot, lambda: screen.selected_key == (0, "add_type_hints"))
        hold_stream_until_cancelled(screen.sessions[0], "add_type_hints")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.busy == "generating")
        await pilot.press("q")
        line = await shows(pilot, ConfirmScreen, "y Yes", "n No")
        assert not any(key in line for key in ("esc Cancel", *MAIN_KEYS))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen and "esc Cancel" in footer(app))
        await pilot.press("escape")
        await settle(pilot, lambda: screen.busy is None)


async def test_help_lists_the_keys_of_every_dialog(demo):
    from rich.console import Console

    from tui.app.screens.help import help_table

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        console = Console(width=120, record=True)
        console.print(help_table(app))
        text = console.export_text()
    for description in ("Leave them out", "Apply anyway", "Back to the review", "Save", "Yes"):
        assert description in text, description
