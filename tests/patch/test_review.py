"""The review's one row model (tui.patch.review): aligned side-by-side and unified rows, shared
context between close hunks, lazy word spans, accepted subsets; and the wrap layout."""

from __future__ import annotations

import itertools

import pytest

from tests.patch.conftest import numbered
from tui.patch.extract import build_change_set
from tui.patch.review import build_file_rows, changed_spans, result_for
from tui.patch.review_layout import Widths, WrapLayout, cut_points, display_width

DIFF = (
    "--- a/m.py\n+++ b/m.py\n"
    "@@ -5,3 +5,3 @@\n line 5\n-line 6\n+line six\n line 7\n"
    "@@ -30,3 +30,4 @@\n line 30\n+line 30b\n line 31\n line 32\n"
)


def _change(tree, diff=DIFF, lines=60):
    root = tree({"m.py": numbered(lines)})
    return build_change_set(diff, root).files[0]


def test_rows_pair_changed_lines_and_number_both_sides(tree):
    rows = build_file_rows(_change(tree)).side_by_side
    kinds = [row.kind for row in rows]
    assert kinds[0] == "fold" and kinds[1] == "hunk"
    changed = next(row for row in rows if row.kind == "change")
    assert (changed.old_no, changed.old, changed.new_no, changed.new) == (6, "line 6", 6, "line six")
    added = next(row for row in rows if row.kind == "added")
    assert (added.old_no, added.new_no, added.new) == (None, 31, "line 30b")
    after = next(row for row in rows if row.kind == "context" and row.old_no == 31)
    assert after.new_no == 32  # the insertion shifts the right-hand numbers
    assert rows[-1].kind == "fold" and rows[-1].label == "⋯ 27 unchanged lines"
    assert {row.hunk for row in rows if row.hunk} == {"m.py#1", "m.py#2"}


@pytest.mark.parametrize("gap", [0, 1, 2, 3, 4, 5, 6, 7, 8])
def test_close_hunks_show_every_old_line_once(tree, gap):
    """Two one-line changes `gap` unchanged lines apart: each old line appears exactly once, and
    none between the first and the last shown line is skipped without a fold."""
    first, second = 10, 10 + gap + 1
    lines = [f"line {n}" for n in range(1, 31)]

    def hunk(at: int) -> str:
        before = "".join(f" {lines[i]}\n" for i in range(at - 4, at - 1))
        after = "".join(f" {lines[i]}\n" for i in range(at, at + 3))
        return f"@@ -{at - 3},7 +{at - 3},7 @@\n{before}-line {at}\n+LINE {at}\n{after}"

    diff = "--- a/m.py\n+++ b/m.py\n" + hunk(first) + (hunk(second) if gap >= 6 else "")
    if gap < 6:  # overlapping context: the model writes one hunk, or two that share lines
        diff = "--- a/m.py\n+++ b/m.py\n" + hunk(first)
        diff += f"@@ -{second},1 +{second},1 @@\n-line {second}\n+LINE {second}\n"
    rows = build_file_rows(_change(tree, diff, 30)).side_by_side
    olds = [row.old_no for row in rows if row.old_no is not None]
    assert len(olds) == len(set(olds)), olds
    shown = sorted(olds)
    gaps = [b for a, b in itertools.pairwise(shown) if b != a + 1]
    assert len(gaps) == sum(row.kind == "fold" for row in rows[1:-1])


def test_word_spans_mark_only_the_words_that_differ():
    old_spans, new_spans = changed_spans("total = compute(a, b)", "total = compute(a, c)")
    assert [("total = compute(a, b)"[s:e]) for s, e in old_spans] == ["b"]
    assert [("total = compute(a, c)"[s:e]) for s, e in new_spans] == ["c"]
    assert changed_spans("completely different", "nothing alike here at all") == ([], [])


def test_unified_rows_never_pair(tree):
    rows = build_file_rows(_change(tree)).unified
    assert "change" not in {row.kind for row in rows}
    kinds = [(row.kind, row.side) for row in rows if row.hunk == "m.py#1" and row.kind != "context"]
    assert kinds == [("hunk", "both"), ("removed", "old"), ("added", "new")]


def test_result_for_accepted_subset(tree):
    change = _change(tree)
    only_second = result_for(change, {"m.py#2"})
    assert only_second is not None
    assert "line six" not in only_second and "line 30b\n" in only_second
    assert result_for(change, set()) == numbered(60)
    assert (change.added, change.removed) == (2, 1)


def test_failed_hunk_is_shown_with_its_reason(tree):
    root = tree({"m.py": numbered(10)})
    change = build_change_set(
        "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n-nothing like this\n+x\n", root
    ).files[0]
    rows = build_file_rows(change).side_by_side
    assert rows[0].kind == "hunk" and "removed lines not found" in rows[0].label
    assert (rows[1].old, rows[1].new, rows[1].old_no) == ("nothing like this", "x", None)


def test_fifty_thousand_line_change_builds_rows_linearly(tree):
    old = numbered(50_000)
    new = "".join(f"line {n}{' changed' if n % 100 == 0 else ''}\n" for n in range(1, 50_001))
    root = tree({"big.txt": old})
    change = build_change_set(
        f"```\n{new}```", root, output_parser="code_block", output_artifact="big.txt"
    ).files[0]
    assert len(change.hunks) == 500
    rows = build_file_rows(change).side_by_side
    assert sum(row.kind == "change" for row in rows) == 500
    assert change.new_text == new


# -- the wrap layout ---------------------------------------------------------------------------------


def test_cut_points_never_split_a_wide_character():
    assert cut_points("abcdefg", 3) == [0, 3, 6, 7]
    assert cut_points("", 3) == [0, 0]
    # 日本語 is two cells a character: at 5 cells a line, two characters fit
    assert cut_points("日本語のテ", 5) == [0, 2, 4, 5]
    assert display_width("a\tb") == 5 and display_width("日本") == 4


def test_long_lines_take_as_many_screen_lines_as_their_longest_side(tree):
    long_old = "x = " + "a" * 50
    long_new = "x = " + "b" * 95
    root = tree({"w.py": f"start\n{long_old}\nend\n"})
    diff = f"--- a/w.py\n+++ b/w.py\n@@ -1,3 +1,3 @@\n start\n-{long_old}\n+{long_new}\n end\n"
    rows = build_file_rows(build_change_set(diff, root).files[0]).side_by_side
    widths = Widths(old=40, new=40, label=80)
    layout = WrapLayout(rows, unified=False, widths=widths, wrap=True)
    change = next(index for index, row in enumerate(rows) if row.kind == "change")
    # 99 cells on the new side at 40 a line: three lines; the rows after it move down by two
    assert layout.last_line(change) - layout.first_line(change) == 2
    assert layout.height == len(rows) + 2
    assert layout.locate(layout.first_line(change) + 2) == (change, 2)
    assert layout.locate(layout.last_line(change) + 1) == (change + 1, 0)
    flat = WrapLayout(rows, unified=False, widths=widths, wrap=False)
    assert flat.height == len(rows) and flat.locate(5) == (5, 0)


def test_many_hunks_show_every_old_line_once_with_their_context(tree):
    """Dozens of one-line changes at every spacing (adjacent, sharing context, far apart): each old
    line shows once, in order, each change keeps its three lines of context either side, and every
    gap between shown lines is one fold."""
    import random

    chance = random.Random(18)
    changed, at = [], 5
    while at < 400:
        changed.append(at)
        at += chance.choice([1, 2, 3, 4, 5, 6, 7, 8, 12, 30])
    lines = [f"line {n}" for n in range(1, 421)]
    diff = "--- a/m.py\n+++ b/m.py\n" + "".join(
        f"@@ -{n},1 +{n},1 @@\n-{lines[n - 1]}\n+LINE {n}\n" for n in changed
    )
    rows = build_file_rows(_change(tree, diff, 420)).side_by_side
    olds = [row.old_no for row in rows if row.old_no is not None]
    assert olds == sorted(set(olds))
    for n in changed:
        assert set(range(max(1, n - 3), min(420, n + 3) + 1)) <= set(olds), n
    gaps = [b for a, b in itertools.pairwise(olds) if b != a + 1]
    assert len(gaps) == sum(row.kind == "fold" for row in rows[1:-1])
    assert sum(row.kind == "change" for row in rows) == len(changed)


def test_rows_cannot_be_changed_once_built(tree):
    row = build_file_rows(_change(tree)).side_by_side[1]
    with pytest.raises(AttributeError):
        row.kind = "context"  # type: ignore[misc]


@pytest.mark.parametrize("unified", [False, True])
@pytest.mark.parametrize("longest", [0, 19, 20, 21, 39, 40, 41, 95])
@pytest.mark.parametrize("where", ["old", "new", "label"])
def test_the_layout_agrees_with_each_rows_height_whatever_the_longest_text(unified, longest, where):
    """Rows of short lines and one text `longest` long (ASCII, two-cell characters, tabs or accented
    letters), on either side or in a hunk label: the layout places every row where its own height puts it."""
    from tui.patch.review import DiffRow
    from tui.patch.review_layout import row_height

    widths = Widths(old=40, new=40, label=40)
    for char in ("x", "日", "\t", "é"):
        text = char * longest
        rows = [DiffRow("context", "h", n, "short", n, "short") for n in range(1, 30)]
        rows.insert(0, DiffRow("hunk", "h", label=text if where == "label" else "hunk 1/1 · exact"))
        if where != "label":
            rows[10] = DiffRow(
                "change", "h", 10, text if where == "old" else "a", 10, text if where == "new" else "a"
            )
        if unified and where != "label":
            rows[10] = rows[10]._replace(kind="removed" if where == "old" else "added", side=where)
        layout = WrapLayout(rows, unified=unified, widths=widths, wrap=True)
        heights = [row_height(row, unified, widths) for row in rows]
        assert layout.height == sum(heights)
        assert [layout.first_line(index) for index in range(len(rows))] == [
            sum(heights[:index]) for index in range(len(rows))
        ]


def test_the_layout_agrees_with_each_rows_height_on_random_rows():
    import random

    from tui.patch.review import DiffRow
    from tui.patch.review_layout import row_height

    chance = random.Random(18)
    alphabet = ["a", "b", " ", "\t", "日", "é"]
    for trial in range(300):
        plain = trial % 2 == 0  # half the trials ASCII without tabs, the usual diff

        letters = alphabet[:3] if plain else alphabet

        def text(letters: list[str] = letters) -> str | None:
            if chance.random() < 0.2:
                return None
            return "".join(chance.choice(letters) for _ in range(chance.randrange(0, 90)))

        rows = []
        for _ in range(chance.randrange(0, 30)):
            kind = chance.choice(["context", "change", "removed", "added", "hunk", "fold"])
            if kind in ("hunk", "fold"):
                rows.append(DiffRow(kind, "h", label="x" * chance.randrange(0, 90) + " · exact"))
            else:
                rows.append(DiffRow(kind, "h", 1, text(), 1, text(), chance.choice(["both", "old", "new"])))
        unified = chance.random() < 0.5
        widths = Widths(*(chance.randrange(-2, 60) for _ in range(3)))
        layout = WrapLayout(rows, unified=unified, widths=widths, wrap=True)
        heights = [row_height(row, unified, widths) for row in rows]
        assert layout.height == sum(heights), (trial, widths)
        assert [layout.first_line(i) for i in range(len(rows))] == [
            sum(heights[:i]) for i in range(len(rows))
        ]


def test_a_line_of_tabs_takes_as_many_screen_lines_as_it_is_cut_into():
    # Each tab is drawn as up to four cells: ten of them are 40 cells, two lines at 20 cells. The
    # count must agree with the cuts, or the second part of the line is never drawn.
    from tui.patch.review_layout import display_text, parts_needed

    for text, width in [("\t" * 10, 20), ("\t" * 10, 39), ("\té" * 6, 10), ("a\tb\tc", 4), ("\t", 2)]:
        assert parts_needed(text, width) == len(cut_points(display_text(text), width)) - 1, (text, width)
