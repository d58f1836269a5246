"""Keys typed right after `/` (a fast typist, a paste) go into the filter box, never to the task keys.

Textual moves focus after a refresh, and a key travels to its binding through the focused widget's
parents: `/sk` arriving in one burst used to open the box empty and let `s` skip the selected
manual task. The keys are posted to the app in one go here, as a terminal delivers a burst.
"""

from __future__ import annotations

from textual import events

from app.pilot_helpers import main_screen, make_app, settle

SIZE = (120, 40)


def burst(app, text: str) -> None:
    for character in text:
        key = "slash" if character == "/" else character
        app.post_message(events.Key(key, character))


async def test_keys_typed_right_after_slash_go_into_the_filter_box(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.selected_key is not None)
        screen.tree.select_task((0, "document_usage"))  # a MANUAL task that is READY: `s` skips it
        await pilot.pause()
        assert screen.check_action("skip", ())
        burst(app, "/sk")
        await settle(pilot, lambda: screen.browser.filtering)
        await pilot.pause()
        assert screen.query_one("#filter").value == "sk"
        assert screen.sessions[0].effective_status("document_usage") == "READY"
        assert "status: SKIPPED" not in (demo / "runbook.yaml").read_text()


async def test_a_slash_typed_in_the_filter_box_is_part_of_the_filter(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await settle(pilot, lambda: screen.selected_key is not None)
        burst(app, "/Phase 2/Docs")
        await settle(pilot, lambda: screen.browser.filtering)
        await pilot.pause()
        assert screen.query_one("#filter").value == "Phase 2/Docs"
