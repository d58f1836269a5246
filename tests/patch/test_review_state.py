"""The reviewer's decisions (tui.patch.review_state): undecided hunks, accepting or leaving them."""

from __future__ import annotations

from tests.patch.conftest import numbered
from tui.patch.extract import build_change_set
from tui.patch.review_state import ReviewState

DIFF = (
    "--- a/m.py\n+++ b/m.py\n"
    "@@ -5,3 +5,3 @@\n line 5\n-line 6\n+line six\n line 7\n"
    "@@ -20,3 +20,3 @@\n line 20\n-line 21\n+line 21b\n line 22\n"
    "@@ -40,2 +40,2 @@\n-nothing like this line\n+x\n"
)


def _state(tree) -> ReviewState:
    return ReviewState(build_change_set(DIFF, tree({"m.py": numbered(60)})))


def test_undecided_hunks_are_listed_in_review_order(tree):
    state = _state(tree)
    assert state.undecided_ids() == ["m.py#1", "m.py#2", "m.py#3"]
    state.reject_current()
    assert state.undecided_ids() == ["m.py#2", "m.py#3"]
    assert state.counts() == (0, 1, 2)


def test_accepting_the_undecided_keeps_rejections_and_skips_unplaceable_hunks(tree):
    state = _state(tree)
    state.reject_current()  # #1
    assert state.accept_undecided() == 1  # #2; #3 could not be placed
    assert state.decisions == {"m.py#1": "rejected", "m.py#2": "accepted"}
    assert state.undecided_ids() == ["m.py#3"]


def test_leaving_the_undecided_out_rejects_them(tree):
    state = _state(tree)
    state.accept_current()  # #1
    assert state.reject_undecided() == 2
    assert state.accepted_ids() == {"m.py#1"} and state.undecided_ids() == []


def test_decisions_carried_from_an_earlier_attempt_open_on_the_first_undecided_hunk(tree):
    change_set = build_change_set(DIFF, tree({"m.py": numbered(60)}))
    state = ReviewState(change_set, {"m.py#1": "accepted"})
    assert state.hunk_id == "m.py#2" and state.counts() == (1, 0, 2)


def test_reindex_forgets_decisions_on_hunks_gone_and_selects_the_new_one(tree):
    from dataclasses import replace

    state = _state(tree)
    state.accept_current()  # #1
    state.reject_current()  # #2
    change = state.change_set.files[0]
    second = change.hunks[1]
    state.change_set.files[0] = replace(
        change, hunks=[change.hunks[0], replace(second, id="m.py#4"), change.hunks[2]]
    )
    state.reindex(select="m.py#4")
    assert state.decisions == {"m.py#1": "accepted"}
    assert state.hunk_id == "m.py#4" and state.undecided_ids() == ["m.py#4", "m.py#3"]
