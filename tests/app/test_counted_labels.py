"""Labels with a count read in the singular for one: `loading 1 task…`, `… 1 more group`."""

from __future__ import annotations


def test_the_skeleton_of_a_one_task_runbook_says_task():
    from tui.app.skeleton import Skeleton
    from tui.app.widgets.skeleton_view import MOST_GROUPS, skeleton_text

    groups = tuple(f"Group {n}" for n in range(MOST_GROUPS + 1))
    lines = skeleton_text(Skeleton("One", groups, 1)).plain.splitlines()
    assert lines[1] == "├─ loading 1 task…"
    assert lines[-1] == "└─ … 1 more group"
