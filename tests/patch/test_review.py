"""Review rows: aligned side-by-side and unified rows, lazy word spans, accepted subsets."""

from __future__ import annotations

from tests.patch.conftest import numbered
from tui.patch.extract import build_change_set
from tui.patch.review import build_rows, build_unified_rows, result_for

DIFF = (
    "--- a/m.py\n+++ b/m.py\n"
    "@@ -5,3 +5,3 @@\n line 5\n-line 6\n+line six\n line 7\n"
    "@@ -30,3 +30,4 @@\n line 30\n+line 30b\n line 31\n line 32\n"
)


def _change(tree):
    root = tree({"m.py": numbered(60)})
    return build_change_set(DIFF, root).files[0]


def test_rows_pair_changed_lines_and_number_both_sides(tree):
    rows = build_rows(_change(tree))
    kinds = [row.kind for row in rows]
    assert kinds[0] == "elided" and kinds[1] == "hunk-header"
    changed = next(row for row in rows if row.kind == "changed")
    assert (changed.left_no, changed.left, changed.right_no, changed.right) == (6, "line 6", 6, "line six")
    added = next(row for row in rows if row.kind == "added")
    assert (added.left_no, added.right_no, added.right) == (None, 31, "line 30b")
    after = next(row for row in rows if row.kind == "context" and row.left_no == 31)
    assert after.right_no == 32  # the insertion shifts the right-hand numbers
    assert rows[-1].kind == "elided" and rows[-1].left == "27 unchanged lines"
    assert {row.hunk_id for row in rows if row.hunk_id} == {"m.py#1", "m.py#2"}


def test_spans_are_computed_on_demand(tree):
    rows = build_rows(_change(tree))
    changed = next(row for row in rows if row.kind == "changed")
    assert changed._spans is None
    removed, added = changed.spans()
    assert [changed.left[a:b] for a, b in removed] == ["6"]
    assert [changed.right[a:b] for a, b in added] == ["six"]


def test_unified_rows_never_pair(tree):
    rows = build_unified_rows(_change(tree))
    assert "changed" not in {row.kind for row in rows}
    kinds = [row.kind for row in rows if row.hunk_id == "m.py#1" and row.kind in ("removed", "added")]
    assert kinds == ["removed", "added"]


def test_result_for_accepted_subset(tree):
    change = _change(tree)
    only_second = result_for(change, {"m.py#2"})
    assert "line six" not in only_second and "line 30b\n" in only_second
    assert result_for(change, set()) == numbered(60)
    assert (change.added, change.removed) == (2, 1)


def test_failed_hunk_is_shown_with_its_reason(tree):
    root = tree({"m.py": numbered(10)})
    change = build_change_set(
        "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n-nothing like this\n+x\n", root
    ).files[0]
    rows = build_rows(change)
    assert rows[0].kind == "hunk-header" and "removed lines not found" in rows[0].left


def test_fifty_thousand_line_change_builds_rows_linearly(tree):
    old = numbered(50_000)
    new = "".join(f"line {n}{' changed' if n % 100 == 0 else ''}\n" for n in range(1, 50_001))
    root = tree({"big.txt": old})
    change = build_change_set(
        f"```\n{new}```", root, output_parser="code_block", output_artifact="big.txt"
    ).files[0]
    assert len(change.hunks) == 500
    rows = build_rows(change)
    assert sum(row.kind == "changed" for row in rows) == 500
    assert all(row._spans is None for row in rows)
    assert change.new_text == new
