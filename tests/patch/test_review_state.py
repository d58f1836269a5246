"""The reviewer's decisions (tui.patch.review_state): undecided hunks, accepting or leaving them."""

from __future__ import annotations

from tests.patch.conftest import numbered
from tui.patch.extract import build_change_set
from tui.patch.review_state import ReviewState, display_order

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


def _three_files(tree):
    """a.py: hunks written out of file order; an empty refused file; c.py: a failed hunk first."""
    from tui.patch.model import FileChange

    root = tree({"a.py": numbered(60), "c.py": numbered(60)})
    change_set = build_change_set(
        "--- a/a.py\n+++ b/a.py\n"
        "@@ -40,1 +40,1 @@\n-line 40\n+line forty\n"
        "@@ -5,1 +5,1 @@\n-line 5\n+line five\n"
        "--- a/c.py\n+++ b/c.py\n"
        "@@ -50,1 +50,1 @@\n-nothing like this line\n+x\n"
        "@@ -10,1 +10,1 @@\n-line 10\n+line ten\n",
        root,
    )
    change_set.files.insert(1, FileChange("empty.py", "modify", None, None, [], error="binary file"))
    return change_set


def test_review_order_runs_file_by_file_in_line_order_across_a_file_without_hunks(tree):
    change_set = _three_files(tree)
    state = ReviewState(change_set)
    expected = [hunk.id for change in change_set.files for hunk in display_order(change)]
    assert expected == ["a.py#2", "a.py#1", "c.py#2", "c.py#1"]
    assert state.undecided_ids() == expected
    seen = [(state.hunk_id, state.file_index, state.position())]
    while state.move_hunk(1):
        seen.append((state.hunk_id, state.file_index, state.position()))
    assert seen == [
        ("a.py#2", 0, (1, 4)),
        ("a.py#1", 0, (2, 4)),
        ("c.py#2", 2, (3, 4)),
        ("c.py#1", 2, (4, 4)),
    ]
    assert not state.move_hunk(1) and state.move_hunk(-2) and state.hunk_id == "a.py#1"
    assert [state.file_of(hunk_id).path for hunk_id in expected] == ["a.py", "a.py", "c.py", "c.py"]
    assert state.file_of("nowhere.py#1") is None
    assert state.move_file(1) and state.hunk_id is None and state.position() == (0, 4)
    assert state.move_file(1) and state.hunk_id == "c.py#2"
    # accepting everything skips what cannot be placed; the next undecided wraps to it
    assert state.accept_everything() == 3
    state.move_file(-2)
    state.next_undecided()
    assert state.hunk_id == "c.py#1" and state.counts() == (3, 0, 1)


def test_opening_sorts_only_the_file_it_opens_on(tree, monkeypatch):
    from tui.patch import review_state

    change_set = _three_files(tree)
    sorted_files: list[str] = []
    original = review_state.display_order

    def counting(change):
        sorted_files.append(change.path)
        return original(change)

    monkeypatch.setattr(review_state, "display_order", counting)
    state = ReviewState(change_set)
    current = state.current_file
    assert current is not None
    assert [state.acceptable(hunk) for hunk in current.hunks] == [True, True]
    assert state.position() == (1, 4) and state.counts() == (0, 0, 4)
    assert sorted_files == ["a.py"]
    assert state.undecided_ids()[-1] == "c.py#1"  # the rest are sorted when asked for, once
    state.undecided_ids()
    assert sorted_files == ["a.py", "empty.py", "c.py"]
