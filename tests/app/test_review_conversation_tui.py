"""Review as a conversation, driven with Pilot through the whole app on a real runbook, git
repository and run log, with the replay model answering: `N` rejects with a note, `r` shows the
focused follow-up and sends it, the answer merges into the same review, `g` regenerates a failed
hunk, `p` shows a hunk's earlier version, and `enter` applies the union as one commit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import git
from conversation_project import FIRST, FIX, diff, hunk, make_runbook, unplaceable_hunk

from app.pilot_helpers import main_screen, make_app, settle, wait_for
from tui.app.widgets.diff_view import DiffView
from tui.app.widgets.follow_up_dialog import FollowUpPrompt

SIZE = (120, 40)


def on_review(app) -> bool:
    from tui.app.screens.review import ReviewScreen

    return isinstance(app.screen, ReviewScreen)


def log_events(folder: Path, kind: str) -> list[dict]:
    lines = (folder / "logs" / "run_log.jsonl").read_text().splitlines()
    return [record for record in map(json.loads, lines) if record["event_type"] == kind]


def last_commit(folder: Path) -> str:
    return git.Repo(folder / "project").head.commit.message


async def open_review(pilot) -> None:
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot, lambda: on_review(pilot.app))


async def test_reject_with_a_note_then_retry_asks_only_for_that_hunk_and_applies_the_union(tmp_path):
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": FIRST}, {"attempt": 2, "text": FIX}])
    app = make_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("y", "N")
        await settle(pilot, lambda: not on_review(app))  # the note's one-line input
        await pilot.press(*"should be 1500", "enter")
        await settle(pilot, lambda: on_review(app))
        review = app.screen
        assert review.state.decisions == {"values.py#1": "accepted", "values.py#2": "rejected"}
        assert "Note: should be 1500" not in str(review.query_one("#review-message").render())
        await pilot.press("y", "r")
        await settle(pilot, lambda: isinstance(app.screen, FollowUpPrompt))
        dialog = app.screen
        prompt = dialog.text
        asked = prompt.split("The reviewer rejected these parts")[1]
        assert "+value_15 = 15000" in asked and "Reviewer's note: should be 1500" in asked
        assert "+value_5 = 500" not in asked and "+value_25 = 2500" not in asked
        assert "already agreed and kept" in prompt
        budget = str(dialog.query_one("#follow-up-budget").render())
        assert f"{dialog.prompt.tokens.count:,} / 4,000 tokens" in budget
        await pilot.press("enter")
        await settle(pilot, lambda: on_review(app) and main_screen(app).run.attempt == 2)
        review = app.screen
        run = main_screen(app).run
        assert run.prompt.rendered.user == prompt  # what was shown is what was sent
        # Kept hunks stay accepted; the new version arrives undecided and is the current hunk.
        assert review.state.decisions == {"values.py#1": "accepted", "values.py#3": "accepted"}
        assert review.state.hunk_id == "values.py#4"
        assert "Attempt 2 of this hunk" in str(review.query_one("#review-message").render())
        await pilot.press("p")  # its earlier version, under the same decision keys
        assert review.comparing
        assert "Showing attempt 1 of this hunk" in str(review.query_one("#review-message").render())
        await pilot.press("p", "y", "enter")
        await settle(pilot, lambda: not on_review(app) and main_screen(app).run is None)
    text = (folder / "project/values.py").read_text()
    assert "value_5 = 500\n" in text and "value_15 = 1500\n" in text and "value_25 = 2500\n" in text
    message = last_commit(folder)
    assert "Review notes:\n- values.py line 15: should be 1500\n" in message
    assert "Hunks-Applied: values.py#1, values.py#3, values.py#4" in message
    [note] = log_events(folder, "REVIEW_NOTE")
    assert note["details"]["hunk"] == "values.py#2" and note["details"]["decision"] == "rejected"
    assert len(log_events(folder, "PATCH_APPLIED")) == 1  # one all-or-nothing change


async def test_g_on_a_failed_hunk_replaces_it_with_the_replayed_answer_for_that_hunk(tmp_path):
    first = diff(hunk(5, "value_5 = 500"), unplaceable_hunk())
    fixed = diff(hunk(20, "value_20 = 2000"))
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": first}, {"attempt": 2, "text": fixed}])
    app = make_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        review = app.screen
        await pilot.press("y")
        assert review.state.hunk_id == "values.py#2"
        assert not review.state.acceptable(review.state.current_hunk)
        await pilot.press("g")
        await settle(pilot, lambda: review.state.hunk_id == "values.py#3")
        assert review.state.acceptable(review.state.current_hunk)
        rows = review.query_one(DiffView)._rows.side_by_side
        assert any(row.kind == "hunk" and "attempt 2" in row.label for row in rows)
        await pilot.press("y", "enter")
        await settle(pilot, lambda: not on_review(app) and main_screen(app).run is None)
    text = (folder / "project/values.py").read_text()
    assert "value_5 = 500\n" in text and "value_20 = 2000\n" in text
    [event] = log_events(folder, "HUNK_REGENERATED")
    assert event["details"]["hunk"] == "values.py#2" and event["details"]["new_hunks"] == ["values.py#3"]


async def test_escape_in_the_note_cancels_the_note_not_the_rejection(tmp_path):
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": FIRST}])
    app = make_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        review = app.screen
        await pilot.press("N")
        await settle(pilot, lambda: not on_review(app))
        await pilot.press(*"never mind", "escape")
        await settle(pilot, lambda: on_review(app))
        assert review.state.decisions == {"values.py#1": "rejected"}
        assert review.run.conversation.history == []
        await pilot.press("O")  # a note on the whole answer
        await settle(pilot, lambda: not on_review(app))
        await pilot.press(*"keep the file's style", "enter")
        await settle(pilot, lambda: on_review(app))
        assert review.run.conversation.note_for(None) == "keep the file's style"
    assert [e["details"]["where"] for e in log_events(folder, "REVIEW_NOTE")] == ["the whole answer"]


async def test_escape_while_a_hunk_is_regenerated_cancels_it_and_the_hunk_stays(tmp_path):
    first = diff(hunk(5, "value_5 = 500"), unplaceable_hunk())
    fixed = diff(hunk(20, "value_20 = 2000"))
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": first}, {"attempt": 2, "text": fixed}])
    app = make_app(folder, rate=5)  # slow enough that the escape lands mid-answer
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        review = app.screen
        await pilot.press("]", "g")
        await wait_for(pilot, lambda: review.run.step == "generating")
        await pilot.press("escape")
        await settle(pilot, lambda: review.run.step is None)
        assert on_review(app)  # the escape stopped the answer, not the review
        assert [h.id for h in review.state.change_set.hunks] == ["values.py#1", "values.py#2"]
        assert "cancelled; the hunk is unchanged" in str(review.query_one("#review-message").render())
    assert log_events(folder, "HUNK_REGENERATED") == []


async def test_e_edits_the_follow_up_which_is_counted_again_and_sent_as_edited(tmp_path, monkeypatch):
    editor = tmp_path / "editor.py"
    editor.write_text(  # a scripted editor: one more sentence at the end of the prompt
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text() + 'Keep the numbers as integers.\\n')\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": FIRST}, {"attempt": 2, "text": FIX}])
    app = make_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("y", "n", "y", "r")
        await settle(pilot, lambda: isinstance(app.screen, FollowUpPrompt))
        dialog = app.screen
        before = dialog.prompt.tokens.count
        await pilot.press("e")
        await settle(pilot, lambda: dialog.edited)
        assert dialog.text.endswith("Keep the numbers as integers.\n")
        assert dialog.prompt.tokens.count == before + 5
        assert "(edited)" in str(dialog.query_one("#follow-up-budget").render())
        await pilot.press("enter")
        await settle(pilot, lambda: on_review(app) and main_screen(app).run.attempt == 2)
        assert main_screen(app).run.prompt.rendered.user == dialog.text


async def test_while_a_hunk_is_regenerated_the_keys_say_escape_stops_it(tmp_path):
    from app.screen_text import screen_lines

    first = diff(hunk(5, "value_5 = 500"), unplaceable_hunk())
    fixed = diff(hunk(20, "value_20 = 2000"))
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": first}, {"attempt": 2, "text": fixed}])
    app = make_app(folder, rate=5)  # slow enough to look at the keys mid-answer
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        review = app.screen
        await pilot.press("]", "g")
        await wait_for(pilot, lambda: review.run.step == "generating" and "Stop" in screen_lines(app)[-1])
        keys = screen_lines(app)[-1]
        assert "q Stop regenerating" in keys and "Back" not in keys and "Accept" not in keys
        await pilot.press("escape")
        await settle(pilot, lambda: review.run.step is None)
        assert on_review(app)
        await wait_for(pilot, lambda: "n Reject" in screen_lines(app)[-1])  # the review's keys again
