"""The main screen never hides or drops anything: the filter keeps the selection, the focused pane
shows, the output wraps and keeps a retry's previous attempt, the streaming figures fit at 120
columns, the status line lets go of "cancelling…", reloads say so, remapped keys show."""

from __future__ import annotations

from app.pilot_helpers import main_screen, make_app, settle
from app.screen_text import screen_lines, screen_text

SIZE = (120, 40)


async def test_clearing_the_filter_keeps_the_selected_task(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("slash", *"median")
        await pilot.pause()
        await pilot.press("enter")  # to the tree, on the one task left
        await settle(pilot, lambda: screen.selected_key == (0, "add_median"))
        await pilot.press("slash", "escape")
        await pilot.pause()
        await settle(pilot)
        assert len(screen.tree._task_nodes) == 7
        assert screen.selected_key == (0, "add_median")


async def test_escape_from_the_filter_box_keeps_the_task_the_filter_left_selected(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("slash", *"cli")
        await settle(pilot)
        assert screen.selected_key == (0, "add_cli_flag")
        await pilot.press("escape")
        await settle(pilot)
        assert len(screen.tree._task_nodes) == 7
        assert screen.selected_key == (0, "add_cli_flag")


async def test_a_filter_typed_and_cleared_quickly_keeps_the_selection(demo):
    from textual import events

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        screen.tree.select_task((0, "release_notes"))
        await settle(pilot, lambda: screen.selected_key == (0, "release_notes"))
        await pilot.press("slash", *"notes")
        await settle(pilot)
        for key, char in [("escape", None)]:
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert screen.selected_key == (0, "release_notes")


async def test_the_focused_pane_is_marked_and_tab_moves_the_mark(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        accent = app.theme_variables["accent"]

        def marked() -> list[str]:
            panes = [screen.tree, screen.prompt_pane, screen.query_one("#output-log")]
            return [
                pane.id
                for pane in panes
                if pane.styles.border_left[1].hex.lower() == accent.lower()
            ]

        assert marked() == ["tree"]
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not screen.tree
        assert marked() == [app.focused.id]
