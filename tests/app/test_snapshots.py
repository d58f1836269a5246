"""SVG snapshots of the main screen, the help screen and a manual task (stored in snapshots/).

Deterministic: fixed size, the demo under the (temporary) current folder so paths are relative,
TZ pinned, the demo repository on branch main, workers awaited rather than slept on."""

from __future__ import annotations

from app.pilot_helpers import main_screen, make_app, settle

SIZE = (120, 40)


def test_main_screen(demo, snap_compare):
    """The demo opened: add_type_hints selected with its rendered prompt and token budget."""
    app = make_app(demo)

    async def ready(pilot):
        screen = main_screen(pilot.app)
        await settle(pilot, lambda: bool(screen.prompt_pane.prompt_text))

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_help_screen(demo, snap_compare):
    """`?` lists every key of every screen."""
    app = make_app(demo)

    async def ready(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_manual_task(demo, snap_compare):
    """A manual task: its instructions as Markdown, y/s/x in the footer."""
    app = make_app(demo)

    async def ready(pilot):
        screen = main_screen(pilot.app)
        await settle(pilot)
        screen.tree.select_task((0, "document_usage"))
        await settle(pilot, lambda: screen.selected_key == (0, "document_usage"))
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)
