"""The app shell: themes, keymap, help, palette, filter, clipboard, interrupted tasks, launch errors."""

from __future__ import annotations

import argparse

import yaml

from app.pilot_helpers import main_screen, make_app, settle
from tui.app.themes import load_themes
from tui.resources import shipped

SIZE = (120, 40)


def test_every_shipped_theme_loads_with_its_pygments_style():
    themes = load_themes(shipped("themes"))
    assert {"patchbay-dark", "patchbay-light", "patchbay-contrast"} <= set(themes)
    assert themes["patchbay-light"].theme.dark is False
    assert themes["patchbay-dark"].pygments_style == "monokai"
    assert "status-ready" in themes["patchbay-dark"].theme.variables


async def test_theme_switch_is_remembered_in_the_user_config(demo, tmp_path):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "patchbay-dark"
        app.theme = "patchbay-light"
        await pilot.pause()
        assert app.pygments_style == "friendly"
        assert main_screen(app).prompt_pane.pygments_style == "friendly"
    saved = yaml.safe_load((tmp_path / "config/patchbay/config.yaml").read_text())
    assert saved["theme"] == "patchbay-light"


async def test_textual_builtin_theme_still_renders_status_colours(demo):
    app = make_app(demo, theme="nord")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "nord"
        assert "status-ready" in app.get_css_variables()


async def test_keymap_from_config_rebinds_by_binding_id(demo):
    app = make_app(demo, keymap={"main.next_ready": "j"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        screen.tree.select_task((0, "release_notes"))
        await settle(pilot, lambda: screen.selected_key == (0, "release_notes"))
        await pilot.press("j")
        await settle(pilot, lambda: screen.selected_key == (0, "add_type_hints"))


async def test_help_lists_the_keys_of_every_screen(demo):
    from tui.app.screens.help import HelpScreen, help_table

    app = make_app(demo, keymap={"main.next_ready": "j"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        from rich.console import Console

        console = Console(width=100, record=True)
        console.print(help_table(app))
        text = console.export_text()
        assert "Accept all" in text and "Filter the tasks" in text and "Mark the task ERROR" in text
        line = next(line for line in text.splitlines() if "Jump to the next READY task" in line)
        assert line.split()[0] == "j"  # the remapped key, not `n`
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_filter_narrows_the_tree_and_escape_clears_it(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("slash", *"median")
        await pilot.pause()
        assert set(screen.tree._task_nodes) == {(0, "add_median")}
        await pilot.press("escape")
        await pilot.pause()
        assert len(screen.tree._task_nodes) == 9
        assert not screen.query_one("#filter").display


async def test_blocked_task_says_what_it_waits_for(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        row = screen.tree.row((0, "add_median"))
        assert row.status == "PENDING" and row.blocked_by == ("add_type_hints",)
        label = screen.tree.render_label(screen.tree._task_nodes[(0, "add_median")], None, None)
        assert "⧗ waits for add_type_hints" in label.plain


async def test_running_at_load_is_shown_interrupted_and_R_resets_it(demo):
    from tui.runbook.writer import set_task_status

    set_task_status(demo / "runbook.yaml", "document_usage", "RUNNING")
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.tree.row((0, "document_usage")).status == "INTERRUPTED"
        screen.tree.select_task((0, "document_usage"))
        await settle(pilot, lambda: screen.selected_key == (0, "document_usage"))
        await pilot.press("R")
        await settle(pilot, lambda: screen.tree.row((0, "document_usage")).status == "READY")
    runbook = yaml.safe_load((demo / "runbook.yaml").read_text())
    assert next(t for t in runbook["tasks"] if t["id"] == "document_usage")["status"] == "READY"


async def test_prompt_pane_shows_rendered_prompt_and_budget(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await settle(pilot, lambda: bool(screen.prompt_pane.prompt_text))
        assert "textkit/stats.py" in screen.prompt_pane.prompt_text
        budget = str(screen.query_one("#prompt-budget").render())
        assert "/ 2,000 tokens" in budget


async def test_copy_puts_the_answer_on_the_clipboard(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("r")
        from tui.app.screens.review import ReviewScreen

        await settle(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("q")  # back to the main screen without applying
        await settle(pilot, lambda: app.screen is screen)
        await pilot.press("c")
        assert "File: textkit/stats.py" in app.clipboard
        assert screen.check_action("review", ())


async def test_command_palette_offers_the_runbook_commands(demo):
    from tui.app.commands import PatchbayCommands

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = PatchbayCommands(app.screen)
        titles = [title for title, _cb, _help in provider._commands()]
        assert "Next READY task" in titles and "Run task add_type_hints" in titles
        assert "Switch theme: patchbay-light" in titles and "Switch model: demo" in titles
        assert "Open the run log" in titles and "Reload the runbook" in titles


def test_launch_reports_an_invalid_runbook_in_one_sentence(tmp_path, capsys):
    from tui.app.launch import launch

    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "runbook.yaml").write_text("name: x\ntasks:\n  - id: [unclosed\n")
    code = launch(
        folder / "runbook.yaml", argparse.Namespace(model=None, theme=None, config=None, replay_rate=0)
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("patchbay: ") and "runbook.yaml:" in err
    assert len(err.strip().splitlines()) == 1


def test_launch_refuses_an_unknown_theme(demo, capsys):
    from tui.app.launch import launch

    args = argparse.Namespace(model=None, theme="no-such-theme", config=None, replay_rate=0)
    assert launch(demo / "runbook.yaml", args) == 1
    err = capsys.readouterr().err
    assert "no-such-theme" in err and "patchbay-dark" in err


async def test_open_log_shows_the_run_log(demo):
    from textual.widgets import Log

    from tui.app.screens.log_view import LogScreen

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        screen.tree.select_task((0, "document_usage"))
        await settle(pilot, lambda: screen.selected_key == (0, "document_usage"))
        await pilot.press("y")
        await settle(pilot, lambda: screen.busy is None)
        screen.action_open_log()
        await settle(pilot, lambda: isinstance(app.screen, LogScreen))
        lines = app.screen.query_one(Log).lines
        assert any("document_usage" in line for line in lines)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_no_color_makes_the_app_monochrome(demo, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.no_color
