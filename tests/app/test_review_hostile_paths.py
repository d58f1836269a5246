"""Paths and refusal reasons in the review come from the model's answer: the file list and the
message line show them as written, never as markup and never with terminal escape sequences."""

from __future__ import annotations

from pathlib import Path

from app.pilot_helpers import settle
from app.review_support import ReviewHost, StandInRun, file_diff, hunk, numbered_lines
from tui.app.widgets.file_list import FileList

HOSTILE = "a[b]x[@click=app.quit]y[/]\x1b]52;c;cHduZWQ=\x07\x1b[2J.py"


async def test_a_hostile_path_in_the_answer_is_plain_text_in_the_review(tmp_path: Path):
    work = tmp_path / "work"
    work.mkdir()
    lines = numbered_lines(10)
    (work / "alpha.py").write_text("".join(lines))
    # A file the answer edits but that does not exist: refused, with its path in the reason.
    answer = file_diff("alpha.py", [hunk(lines, 5, "value_5 = 50")]) + file_diff(
        HOSTILE, [hunk(lines, 3, "x = 1")]
    )
    run = StandInRun(work, answer)
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("}")  # the refused file
        await settle(pilot)
        listed = str(app.screen.query_one(FileList).render())
        message = str(app.screen.query_one("#review-message").render())
        assert app.is_running
    plain = "a[b]x[@click=app.quit]y[/].py"
    assert plain in listed and "\x1b" not in listed and "\x07" not in listed
    assert plain in message and "\x1b" not in message and "\x07" not in message
