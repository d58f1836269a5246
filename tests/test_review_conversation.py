"""Review as a conversation on a real runbook, git repository and replay model: notes, a focused
follow-up that asks only for what was refused, the merge into the same review, one hunk
regenerated, and the union applied as one change and one commit whose body lists the notes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conversation_project import FIRST, FIX, LINES, diff, hunk, make_runbook, unplaceable_hunk

from tui.runbook.event_log import read as read_log
from tui.runbook.loader import load_runbook
from tui.runner import Action, Phase, TaskRun
from tui.session import Session


def log_of(folder: Path, kind: str) -> list[dict]:
    return [r for r in read_log(folder / "logs" / "run_log.jsonl") if r["event_type"] == kind]


def answered(folder: Path) -> TaskRun:
    run = TaskRun.begin(Session(folder, replay_rate=0), "tune_values")
    run.generate()
    run.review()
    return run


@pytest.fixture
def runbook(tmp_path: Path) -> Path:
    return make_runbook(tmp_path / "rb", [{"attempt": 1, "text": FIRST}, {"attempt": 2, "text": FIX}])


def test_reject_with_a_note_then_retry_asks_only_for_the_rejected_hunk(runbook):
    run = answered(runbook)
    assert {Action.NOTE, Action.REGENERATE} <= run.allowed()
    first, wrong, third = (h.id for h in run.change_set.hunks)
    decisions = {first: "accepted", wrong: "rejected", third: "accepted"}
    run.note(wrong, "value_15 should be 1500, a hundred times 15", "rejected")
    prompt = run.preview_follow_up(decisions).rendered.user
    asked = prompt.split("The reviewer rejected these parts")[1]
    kept = prompt.split("already agreed and kept")[1].split("The reviewer rejected")[0]
    assert "+value_15 = 15000" in asked and "Reviewer's note: value_15 should be 1500" in asked
    assert "value_5 = 500" not in asked and "value_25 = 2500" not in asked
    assert "+value_5 = 500" in kept and "+value_25 = 2500" in kept
    assert "Your previous answer was" not in prompt  # the whole answer is not asked again

    run.hold_review(decisions)
    sent = run.retry()
    assert sent.rendered.user == prompt
    run.generate()
    merged = run.review()
    ids = [h.id for h in merged.hunks]
    assert ids == [first, third, "values.py#4"]  # the rejected hunk gave way to its new version
    assert run.decisions == {first: "accepted", third: "accepted"}
    assert run.conversation.attempt_of("values.py#4") == 2
    assert "+value_15 = 15000" in "".join(
        "+" + line.text for line in run.conversation.previous["values.py#4"].lines if line.kind == "added"
    )

    run.apply({first, third, "values.py#4"})
    run.validate()
    assert run.phase is Phase.DONE
    text = (runbook / "project/values.py").read_text()
    assert "value_5 = 500\n" in text and "value_15 = 1500\n" in text and "value_25 = 2500\n" in text
    message = subprocess.run(
        ["git", "log", "-1", "--format=%B"], cwd=runbook / "project", capture_output=True, text=True
    ).stdout
    assert "Review notes:\n- values.py line 15: value_15 should be 1500" in message
    assert "Hunks-Applied: values.py#1, values.py#3, values.py#4" in message
    notes = log_of(runbook, "REVIEW_NOTE")
    assert [(n["details"]["hunk"], n["details"]["note"]) for n in notes] == [
        (wrong, "value_15 should be 1500, a hundred times 15")
    ]
    retry = log_of(runbook, "RETRY")[-1]["details"]
    assert retry == {"attempt": 2, "focused": True, "kept": 2, "rejected": 1, "failed": 0}
    [redone] = log_of(runbook, "HUNK_REGENERATED")
    assert redone["details"]["hunk"] == wrong and redone["details"]["new_hunks"] == ["values.py#4"]
    assert redone["details"]["by"] == "follow-up" and redone["details"]["hunk_attempt"] == 2
    applied = log_of(runbook, "PATCH_APPLIED")[-1]["details"]
    assert applied["attempts"] == {"1": [first, wrong, third], "2": ["values.py#4"]}


def test_a_repeated_kept_hunk_is_dropped_and_one_over_kept_lines_is_refused(tmp_path):
    again = diff(hunk(5, "value_5 = 500"), hunk(15, "value_15 = 1500"), hunk(25, "value_25 = 25"))
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": FIRST}, {"attempt": 2, "text": again}])
    run = answered(folder)
    first, wrong, third = (h.id for h in run.change_set.hunks)
    run.hold_review({first: "accepted", wrong: "rejected", third: "accepted"})
    run.retry()
    run.generate()
    merged = run.review()
    new = [h for h in merged.hunks if h.id not in (first, third)]
    assert [h.placement.placed for h in new] == [True, False]  # value_5 repeated: dropped
    assert f"{third}, which is kept from before" in new[1].placement.reason


def test_regenerate_a_failed_hunk_replaces_it_with_attempt_two_of_that_hunk(tmp_path):
    first = diff(hunk(5, "value_5 = 500"), unplaceable_hunk())
    fixed = diff(hunk(20, "value_20 = 2000"))
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": first}, {"attempt": 2, "text": fixed}])
    run = answered(folder)
    good, failed = (h.id for h in run.change_set.hunks)
    assert not run.change_set.hunks[1].placement.placed
    run.note(failed, "use the file's own lines")
    streamed: list[str] = []
    new_ids = run.regenerate_hunk(failed, streamed.append)
    assert new_ids == ["values.py#3"] and "".join(streamed) == fixed
    assert [h.id for h in run.change_set.hunks] == [good, "values.py#3"]
    assert run.change_set.hunks[1].placement.placed
    assert run.conversation.attempt_of("values.py#3") == 2
    assert run.conversation.previous["values.py#3"].id == failed
    prompt = log_of(folder, "AI_PROMPT_SENT")[-1]["details"]
    assert prompt["purpose"] == "regenerate" and prompt["hunk"] == failed
    event = log_of(folder, "HUNK_REGENERATED")[0]["details"]
    assert event == {
        "attempt": 2,
        "hunk": failed,
        "new_hunks": ["values.py#3"],
        "hunk_attempt": 2,
        "note": "use the file's own lines",
        "by": "regenerate",
    }
    run.apply({good, "values.py#3"})
    text = (folder / "project/values.py").read_text()
    assert "value_5 = 500\n" in text and "value_20 = 2000\n" in text


def test_the_regenerate_prompt_holds_the_hunk_its_note_and_the_lines_around_it(tmp_path):
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": diff(unplaceable_hunk())}])
    run = answered(folder)
    from tui.conversation_steps import regenerate_prompt

    change = run.change_set.files[0]
    run.note(change.hunks[0].id, "copy the lines exactly")
    user = regenerate_prompt(run, change, change.hunks[0], "copy the lines exactly").rendered.user
    assert "The reviewer's note: copy the lines exactly" in user
    assert "+value_20 = 2000" in user and "  20 | value_20 = 20" in user
    assert "It could not be placed in the file" in user
    assert "Here is the change" not in user  # the rest of the answer is not sent


def test_a_follow_up_over_budget_names_the_oldest_kept_hunks_instead_of_quoting_them(tmp_path):
    many = diff(*(hunk(n, f"value_{n} = {n * 100}") for n in (3, 9, 15, 21, 27)))
    folder = make_runbook(tmp_path / "rb", [{"attempt": 1, "text": many}], budget=4000)
    run = answered(folder)
    ids = [h.id for h in run.change_set.hunks]
    decisions = {hunk_id: "accepted" for hunk_id in ids[:4]} | {ids[4]: "rejected"}
    roomy = run.preview_follow_up(decisions)
    assert roomy.rendered.user.count("```\n") >= 5 and not roomy.budget.over
    # The same follow-up with a budget a little under what it takes quoted in full.
    tight_budget = f"context_budget: {roomy.tokens.count - 10}"
    text = (folder / "runbook.yaml").read_text().replace("context_budget: 4000", tight_budget)
    (folder / "runbook.yaml").write_text(text)
    run.session.reload()
    tight = run.preview_follow_up(decisions)
    assert not tight.budget.over
    assert "- values.py line 3\n" in tight.rendered.user  # the oldest kept hunk, named only
    assert "+value_3 = 300" not in tight.rendered.user and "+value_21 = 2100" in tight.rendered.user


def test_an_error_after_notes_records_them_among_the_tasks_issues(runbook):
    run = answered(runbook)
    wrong = run.change_set.hunks[1].id
    run.note(wrong, "wrong factor", "rejected")
    run.note(None, "keep the style of the file")
    run.mark_error("giving up")
    issues = load_runbook(runbook).task("tune_values").issues
    review = [issue for issue in issues if issue.type == "REVIEW_NOTES"]
    assert len(review) == 1
    assert "note on values.py line 15: wrong factor" in review[0].detail
    assert "note on the whole answer: keep the style of the file" in review[0].detail


def test_a_note_outside_a_review_is_refused(runbook):
    run = TaskRun.begin(Session(runbook, replay_rate=0), "tune_values")
    with pytest.raises(Exception, match="not reviewing"):
        run.note(None, "too early")
    assert LINES  # the project helper's file is what the answers are written against


def test_the_demos_top_words_task_is_fixed_by_a_note_and_a_follow_up(tmp_path):
    from tui.commands.demo import prepare_demo

    demo = prepare_demo(tmp_path / "demo")
    session = Session(demo, replay_rate=0)
    for task_id in ("add_type_hints", "add_median"):
        run = TaskRun.begin(session, task_id)
        run.generate()
        run.review()
        run.apply()
        run.validate()
        if run.phase is Phase.VALIDATION_FAILED:  # add_median's scripted first attempt fails
            run.retry()
            run.generate()
            run.review()
            run.apply()
            run.validate()
        assert run.phase is Phase.DONE
    run = TaskRun.begin(session, "add_top_words")
    run.generate()
    hunks = run.review().hunks
    wrong = next(h for h in hunks if any("alphabetical" in line.text for line in h.lines))
    decisions = {h.id: "accepted" for h in hunks} | {wrong.id: "rejected"}
    run.note(wrong.id, "most common first, the first seen first on ties", "rejected")
    run.hold_review(decisions)
    prompt = run.retry().rendered.user
    assert "alphabetical" in prompt.split("The reviewer rejected these parts")[1]
    run.generate()
    merged = run.review()
    new = [h for h in merged.hunks if h.id not in decisions]
    assert len(new) == 1 and run.conversation.previous[new[0].id].id == wrong.id
    run.apply(set(run.decisions) | {new[0].id})
    run.validate()
    assert run.phase is Phase.DONE
    stats = (demo / "project/textkit/stats.py").read_text()
    assert "most common first (the first seen first on ties)" in stats and "alphabetical" not in stats
    assert "from collections import Counter" in stats


def test_kept_hunks_of_a_file_edited_meanwhile_are_refused_not_misplaced(runbook):
    run = answered(runbook)
    first, wrong, third = (h.id for h in run.change_set.hunks)
    run.hold_review({first: "accepted", wrong: "rejected", third: "accepted"})
    run.retry()
    values = runbook / "project/values.py"
    values.write_text("# a line of the user's own\n" + values.read_text())  # shifts every line
    run.generate()
    merged = run.review()
    kept = [h for h in merged.hunks if h.id in (first, third)]
    assert [h.placement.placed for h in kept] == [False, False]
    assert all("the file changed since this hunk was reviewed" in h.placement.reason for h in kept)
    assert run.decisions == {}  # nothing refused stays accepted
    new = next(h for h in merged.hunks if h.id == "values.py#4")
    assert new.placement.placed and new.edit.start == 15  # the follow-up placed on the new text


def test_a_note_on_the_whole_answer_alone_asks_for_the_whole_change_again_with_it(tmp_path):
    folder = make_runbook(
        tmp_path / "rb", [{"attempt": 1, "text": FIRST}, {"attempt": 2, "text": FIX}], fallback=False
    )
    run = answered(folder)
    decisions = {h.id: "accepted" for h in run.change_set.hunks}
    run.note(None, "use underscores in big numbers")
    shown = run.preview_follow_up(decisions).rendered.user
    run.hold_review(decisions)
    sent = run.retry().rendered.user
    assert sent == shown
    # The task names no fallback template: the shipped one carries the note.
    assert "Your previous answer was" in sent and "+value_15 = 15000" in sent
    assert "The reviewer's note on it: use underscores in big numbers" in sent
    assert "already agreed" not in sent
    run.generate()
    assert [h.id for h in run.review().hunks] == ["values.py#1"]  # a review of its own: nothing kept
    assert run.decisions == {}
    assert log_of(folder, "RETRY")[-1]["details"]["focused"] is False
