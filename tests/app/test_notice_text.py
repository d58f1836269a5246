"""Notices quote paths and lines from a model's answer or the runbook: they are shown as written,
never read as markup (a `[/b]` in a file name stops the toast's markup parser, a `[@click=…]`
would run an action) and never carry escape sequences to the terminal."""

from __future__ import annotations

from textual.notifications import Notify

from app.pilot_helpers import make_app, settle

HOSTILE = "Copied the diff of a[/b]x[@click=app.quit]y[/]\x1b]52;c;cHduZWQ=\x07\x1b[2J.py (3 lines)."


async def test_a_notice_quoting_a_hostile_path_is_plain_text_without_escapes(demo):
    seen: list = []
    app = make_app(demo)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(pilot)
        app.screen.notify(HOSTILE, title="\x1b[31mReview")
        await settle(pilot, until=lambda: any(isinstance(item, Notify) for item in seen))
        assert app.is_running
    [notice] = [item.notification for item in seen if isinstance(item, Notify)]
    assert notice.message == "Copied the diff of a[/b]x[@click=app.quit]y[/].py (3 lines)."
    assert notice.title == "Review" and notice.markup is False
