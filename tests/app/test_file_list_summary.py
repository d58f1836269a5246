"""The review's file list: each file's counts and words, summed in one pass over its hunks."""

from __future__ import annotations

import random

import pytest

from tui.app.widgets.file_list import describe_file, summarize_file
from tui.patch.model import FileChange, Hunk, HunkLine, LineEdit, Placement


def _hunk(number: int, placement: Placement, *, added: int, removed: int) -> Hunk:
    lines = tuple([HunkLine("removed", f"old {n}") for n in range(removed)]) + tuple(
        HunkLine("added", f"new {n}") for n in range(added)
    )
    edit = None
    if placement.placed:
        # as placed: the edit's counts may differ from the lines written (fuzzy trimming)
        edit = LineEdit(number * 10, number * 10 + removed + 1, (), added + 1, removed + 1)
    return Hunk(f"f.py#{number}", number, "@@", number * 10, lines, placement, edit)


PLACEMENTS = [
    Placement("exact", 1),
    Placement("offset", 3, offset=2),
    Placement("fuzzy", 5, score=0.87, reason="indentation"),
    Placement("fuzzy", 5, score=0.62),
    Placement("fuzzy", 5),
    Placement("failed", reason="no match"),
]


def test_counts_are_as_placed_and_as_written_for_failed_hunks():
    change = FileChange(
        "f.py",
        "modify",
        None,
        None,
        [_hunk(1, PLACEMENTS[0], added=2, removed=1), _hunk(2, PLACEMENTS[-1], added=4, removed=3)],
    )
    # placed: the edit's 3 and 2; failed: the 4 and 3 lines written
    assert summarize_file(change) == (7, 5, "exact, 1 failed")


@pytest.mark.parametrize(
    ("kinds", "kind", "error", "words"),
    [
        ([], "modify", None, "no change"),
        ([0, 5], "modify", "binary file", "refused"),
        ([5, 5], "modify", None, "failed"),
        ([0, 0], "modify", None, "exact"),
        ([0, 1], "modify", None, "shifted"),
        ([1, 2, 3], "modify", None, "fuzzy 0.62"),
        ([4, 1], "modify", None, "fuzzy"),
        ([4, 2, 5], "modify", None, "fuzzy 0.87, 1 failed"),
        ([0], "create", None, "new file"),
        ([0, 5], "delete", None, "deleted, 1 failed"),
        ([1], "delete", None, "deleted, shifted"),
    ],
)
def test_the_words_say_how_the_file_would_apply(kinds, kind, error, words):
    hunks = [_hunk(n, PLACEMENTS[k], added=1, removed=1) for n, k in enumerate(kinds, start=1)]
    change = FileChange("f.py", kind, None, None, hunks, error=error)
    assert summarize_file(change)[2] == words
    assert describe_file(change) == words


def test_the_one_pass_agrees_with_the_model_on_random_files():
    chance = random.Random(18)
    for _ in range(300):
        hunks = [
            _hunk(n, chance.choice(PLACEMENTS), added=chance.randrange(5), removed=chance.randrange(5))
            for n in range(chance.randrange(8))
        ]
        change = FileChange("f.py", chance.choice(["modify", "create", "delete"]), None, None, hunks)
        added, removed, _words = summarize_file(change)
        assert (added, removed) == (change.added, change.removed)
