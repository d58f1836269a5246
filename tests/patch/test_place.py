"""Placing hunks: exact, offset, whitespace-tolerant, fuzzy, and the refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.patch.conftest import numbered
from tui.patch.apply_change import ApplyRefused
from tui.patch.assemble import assemble
from tui.patch.extract import build_change_set
from tui.patch.fuzzy import FuzzyConfig
from tui.patch.place import place_hunks
from tui.patch.text_file import FileText
from tui.patch.unified_parse import parse_unified

FUNC = "def area(w, h):\n    total = w * h\n    return total\n"


def _place(text: str, diff: str, config: FuzzyConfig | None = None):
    patches = parse_unified(diff.split("\n"), lenient=True)
    file = FileText.from_text(text)
    results = place_hunks(file, patches[0].hunks, config)
    return file, results


def _apply(root: Path, answer: str, **kwargs):
    change_set = build_change_set(answer, root, **kwargs)
    return change_set, change_set.files[0]


def test_exact_at_stated_line(tree):
    root = tree({"m.py": numbered(10)})
    _, change = _apply(root, "--- a/m.py\n+++ b/m.py\n@@ -4,3 +4,3 @@\n line 4\n-line 5\n+LINE 5\n line 6\n")
    placement = change.hunks[0].placement
    assert (placement.status, placement.line, placement.offset) == ("exact", 4, 0)
    assert change.new_text == numbered(10).replace("line 5\n", "LINE 5\n")


def test_wrong_line_number_gives_offset(tree):
    root = tree({"m.py": numbered(40)})
    _, change = _apply(
        root, "--- a/m.py\n+++ b/m.py\n@@ -10,3 +10,3 @@\n line 24\n-line 25\n+LINE 25\n line 26\n"
    )
    placement = change.hunks[0].placement
    assert (placement.status, placement.offset, placement.line) == ("offset", 14, 24)
    assert placement.describe() == "offset +14"


def test_later_hunks_expect_the_drift_of_earlier_ones():
    text = numbered(100)
    diff = (
        "@@ -10,3 +10,3 @@\n line 20\n-line 21\n+X\n line 22\n"
        "@@ -50,3 +50,3 @@\n line 60\n-line 61\n+Y\n line 62\n"
    )
    _, results = _place(text, diff)
    assert [p.offset for p, _ in results] == [10, 10]


def test_removed_lines_absent_fail_and_name_the_closest_region():
    text = numbered(50)
    diff = "@@ -20,4 +20,4 @@\n line 20\n line 21\n-line 21b\n+changed\n line 22\n line 23\n"
    _, [(placement, edit)] = _place(text, diff)
    assert placement.status == "failed" and edit is None
    assert "removed lines not found" in placement.reason
    assert placement.closest == (20, 23)
    assert "closest: lines 20-23" in placement.describe()


def test_removed_line_must_not_land_where_only_context_matches():
    text = "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"
    diff = "@@ -1,5 +1,5 @@\n a = 1\n b = 2\n-c = 30\n+c = 3000\n d = 4\n e = 5\n"
    _, [(placement, _)] = _place(text, diff)
    assert placement.status == "failed"


def test_two_equal_places_without_line_numbers_fail_naming_both():
    block = "def f():\n    x = 1\n    y = 2\n    return x + y\n"
    text = block + "\n\n" + block
    diff = "@@ ... @@\n def f():\n     x = 1\n-    y = 2\n+    y = 3\n     return x + y\n"
    _, [(placement, _)] = _place(text, diff)
    assert placement.status == "failed"
    assert "lines 1-4 (100%) and lines 7-10 (100%)" in placement.reason


def test_stated_line_settles_equal_places_only_when_close():
    block = "def f():\n    x = 1\n    y = 2\n    return x + y\n"
    text = block + numbered(30, "pad") + block
    close = "@@ -33,4 +33,4 @@\n def f():\n     x = 1\n-    y = 2\n+    y = 3\n     return x + y\n"
    _, [(placement, edit)] = _place(text, close)
    assert placement.status == "offset" and placement.line == 35 and edit.start == 36
    far = "@@ -18,4 +18,4 @@\n def f():\n     x = 1\n-    y = 2\n+    y = 3\n     return x + y\n"
    _, [(placement, _)] = _place(text, far)
    assert placement.status == "failed" and "ambiguous" in placement.reason


def test_overlapping_hunks_fail():
    text = numbered(10)
    diff = "@@ -2,3 +2,3 @@\n line 2\n-line 3\n+A\n line 4\n@@ -2,3 +2,3 @@\n line 2\n-line 3\n+B\n line 4\n"
    _, results = _place(text, diff)
    assert results[0][0].status == "exact"
    assert results[1][0].status == "failed" and "overlaps hunk 1" in results[1][0].reason


def test_trailing_whitespace_and_tabs_are_tolerated():
    text = "def f():\n\tx = 1   \n\ty = 2\n\treturn x\n"
    diff = "@@ -1,4 +1,4 @@\n def f():\n     x = 1\n-    y = 2\n+    y = 3\n     return x\n"
    file, [(placement, edit)] = _place(text, diff)
    assert placement.status == "fuzzy"

    # The added line takes the file's tab indentation; untouched lines keep their bytes.
    assert assemble(file, [edit]).text == "def f():\n\tx = 1   \n\ty = 3\n\treturn x\n"


def test_dedented_hunk_is_reindented():
    text = "class A:\n    def f(self):\n        a = 1\n        return a\n"
    diff = "@@ ... @@\n def f(self):\n-    a = 1\n+    a = 2\n+    b = 3\n     return a\n"
    file, [(placement, edit)] = _place(text, diff)

    assert placement.status == "fuzzy" and placement.reason == "indentation +4"
    assert (
        assemble(file, [edit]).text
        == "class A:\n    def f(self):\n        a = 2\n        b = 3\n        return a\n"
    )


def test_drifted_context_line_is_fuzzy_with_a_score():
    text = numbered(30).replace("line 12\n", "line 12  # edited since\n")
    diff = (
        "@@ -10,7 +10,7 @@\n line 10\n line 11\n line 12\n-line 13\n+LINE 13\n line 14\n line 15\n line 16\n"
    )
    _, [(placement, edit)] = _place(text, diff)
    assert placement.status == "fuzzy" and 0.8 < placement.score < 1.0
    assert edit.start == 12 and edit.new == (("LINE 13", None),)


def test_far_match_is_found_whatever_the_stated_line():
    # dmp's default Match_Distance (1000 chars) would reject a place this far from the stated line.
    text = numbered(20000)
    diff = "@@ -1,3 +1,3 @@\n line 15000\n-line 15001\n+X\n line 15002x\n"
    _, [(placement, edit)] = _place(text, diff)
    assert placement.status == "fuzzy" and edit.start == 15000


def test_threshold_rejects_weak_context():
    text = numbered(30)
    diff = "@@ -10,5 +10,6 @@\n line 10\n alpha\n beta\n+inserted\n gamma\n delta\n"
    _, [(placement, _)] = _place(text, diff)
    assert placement.status == "failed"
    loose = FuzzyConfig(min_insert_score=0.1)
    _, [(placement, _)] = _place(text, diff, loose)
    assert placement.status == "failed"  # the insertion point itself is not anchored


def test_match_distance_breaks_near_ties():
    block = "x = compute()\ny = x + 1\nprint(y)\n"
    text = block.replace("print", "log") + numbered(500, "pad") + block.replace("print", "echo")
    # Equally similar places 500 lines apart; the stated line (100) is near neither.
    diff = "@@ -100,3 +100,3 @@\n x = compute()\n-y = x + 1\n+y = x + 2\n print(y)\n"
    _, [(placement, _)] = _place(text, diff)
    assert placement.status == "failed" and "ambiguous" in placement.reason
    # A short match distance makes the 300-line difference in distance decide.
    _, [(placement, edit)] = _place(text, diff, FuzzyConfig(match_distance=1000))
    assert placement.status == "fuzzy" and edit.start == 1


def test_crlf_file_stays_crlf_with_lf_answer(tree):
    root = tree({"w.txt": b"one\r\ntwo\r\nthree\r\n"})
    _, change = _apply(root, "--- a/w.txt\n+++ b/w.txt\n@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n+2b\n three\n")
    assert change.new_bytes() == b"one\r\nTWO\r\n2b\r\nthree\r\n"


def test_lf_file_stays_lf_with_crlf_answer(tree):
    root = tree({"w.txt": "one\ntwo\nthree\n"})
    answer = "```diff\r\n--- a/w.txt\r\n+++ b/w.txt\r\n@@ -1,3 +1,3 @@\r\n one\r\n-two\r\n+TWO\r\n three\r\n```\r\n"
    _, change = _apply(root, answer)
    assert change.new_bytes() == b"one\nTWO\nthree\n"


def test_bom_and_missing_final_newline_are_kept(tree):
    root = tree({"b.txt": b"\xef\xbb\xbfa\nb\nc"})
    _, change = _apply(root, "--- a/b.txt\n+++ b/b.txt\n@@ -2,2 +2,2 @@\n b\n-c\n+C\n")
    assert change.new_bytes() == b"\xef\xbb\xbfa\nb\nC"


def test_no_newline_marker_is_honoured(tree):
    root = tree({"n.txt": "a\nb"})
    diff = "--- a/n.txt\n+++ b/n.txt\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"
    _, change = _apply(root, diff)
    assert change.new_bytes() == b"a\nb\n"


def test_new_file_from_dev_null(tree):
    root = tree({})
    _, change = _apply(root, "--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1,2 @@\n+x = 1\n+y = 2\n")
    assert change.kind == "create" and change.path == "pkg/new.py"
    assert change.new_bytes() == b"x = 1\ny = 2\n"


def test_deleting_a_file_needs_its_exact_lines(tree):
    root = tree({"gone.py": "a\nb\n", "kept.py": "a\nb\nc\n"})
    _, change = _apply(root, "--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n")
    assert change.kind == "delete" and change.status == "ok" and change.new_bytes() is None
    _, change = _apply(root, "--- a/kept.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n")
    assert change.status == "failed"


def test_reapplying_an_insertion_is_refused(tree):
    root = tree({"m.py": numbered(20).replace("line 10\n", "line 10\nNEW\n")})
    _, change = _apply(
        root,
        "--- a/m.py\n+++ b/m.py\n@@ -8,6 +8,7 @@\n line 8\n line 9\n line 10\n+NEW\n line 11\n line 12\n line 13\n",
    )
    placement = change.hunks[0].placement
    assert placement.status == "failed" and "already applied" in placement.reason


# -- similar functions: each hunk at its own block or refused, never a neighbour -------------


def _calc_tests(*names: str) -> str:
    return "".join(
        f"def test_{name}():\n    calc = Calculator()\n    calc.push(2)\n    calc.push(3)\n"
        f"    calc.apply('{name}')\n    assert calc.ok()\n\n\n"
        for name in names
    )


CALC = _calc_tests("add", "sub", "mul")  # test_add at line 1, test_sub at 9, test_mul at 17
MUL_HUNK = (
    " def test_mul():\n     calc = Calculator()\n-    calc.push(2)\n+    calc.push(4)\n"
    "     calc.push(3)\n     calc.apply('mul')  # drifted\n"
)


def _region_of(text: str, edit) -> str:
    """The name of the test function an edit falls in."""
    lines = text.splitlines()
    for position in range(edit.start, -1, -1):
        if lines[position].startswith("def "):
            return lines[position][4:].split("(")[0]
    return "?"


def test_hunk_for_one_of_three_similar_functions_lands_in_its_own():
    for header in ("@@ -17,5 +17,5 @@", "@@ ... @@"):
        _, [(placement, edit)] = _place(CALC, header + "\n" + MUL_HUNK)
        assert placement.status == "fuzzy", header
        assert _region_of(CALC, edit) == "test_mul", header
    # A line number pointing at a neighbour may make it a refusal, never the neighbour.
    _, [(placement, edit)] = _place(CALC, "@@ -9,5 +9,5 @@\n" + MUL_HUNK)
    assert placement.status == "failed" or _region_of(CALC, edit) == "test_mul"


def test_drifted_def_line_lands_at_its_function_not_the_first_lookalike():
    # `def test_mul() :` is not exactly any line; a wide window anchored on the first copy of
    # the body used to put it into test_add and call that "fuzzy 1.00".
    hunk = MUL_HUNK.replace("test_mul():", "test_mul() :").replace("  # drifted", "")
    for header in ("@@ -17,5 +17,5 @@", "@@ @@"):
        _, [(placement, edit)] = _place(CALC, header + "\n" + hunk)
        assert placement.status == "fuzzy" and placement.score < 1.0, header
        assert _region_of(CALC, edit) == "test_mul", header
        assert placement.describe().startswith("fuzzy 0.9")


def test_equally_similar_neighbours_without_evidence_are_refused_naming_both():
    text = _calc_tests("one", "two")
    hunk = (
        "@@ @@\n def test_three():\n     calc = Calculator()\n-    calc.push(2)\n+    calc.push(4)\n"
        "     calc.push(3)\n"
    )
    _, [(placement, edit)] = _place(text, hunk)
    assert placement.status == "failed" and edit is None
    assert placement.reason.startswith("ambiguous: it fits lines 1-4 (")
    assert "and lines 9-12 (" in placement.reason
    assert placement.closest is not None and placement.closest_score is not None


def test_stated_line_decides_between_equally_similar_neighbours():
    text = _calc_tests("one", "two")
    hunk = (
        " def test_three():\n     calc = Calculator()\n-    calc.push(2)\n+    calc.push(4)\n"
        "     calc.push(3)\n"
    )
    _, [(placement, edit)] = _place(text, "@@ -9,4 +9,4 @@\n" + hunk)
    assert placement.placed and _region_of(text, edit) == "test_two"
    _, [(placement, edit)] = _place(text, "@@ -1,4 +1,4 @@\n" + hunk)
    assert placement.placed and _region_of(text, edit) == "test_one"


def test_section_text_decides_between_identical_bodies():
    body = "     calc = Calculator()\n-    calc.push(2)\n+    calc.push(4)\n     calc.push(3)\n"
    for name in ("add", "sub", "mul"):
        _, [(placement, edit)] = _place(CALC, f"@@ ... @@ def test_{name}():\n" + body)
        assert placement.placed and _region_of(CALC, edit) == f"test_{name}", name
    # Section text naming no candidate decides nothing.
    _, [(placement, _)] = _place(CALC, "@@ ... @@ def test_div():\n" + body)
    assert placement.status == "failed" and "ambiguous" in placement.reason


def test_section_text_names_the_enclosing_class():
    method = "    def run(self):\n        self.start()\n        return self.done\n\n"
    text = "class Alpha:\n" + method + "\nclass Beta:\n" + method
    diff = "@@ -7,3 +7,3 @@ class Beta:\n     def run(self):\n-        self.start()\n+        self.begin()\n"
    _, [(placement, edit)] = _place(text, diff.replace("-7,3 +7,3", "-1,3 +1,3"))
    # The stated line says Alpha, the section says Beta: conflicting evidence is a refusal.
    assert placement.status == "failed" and "disagrees" in placement.reason
    _, [(placement, edit)] = _place(text, diff.replace("-7,3 +7,3", "-30,3 +30,3"))
    assert placement.placed and edit.start == 8


def test_context_of_one_function_with_removed_line_of_another_is_refused():
    hunk = (
        " def test_mul():\n     calc = Calculator()\n     calc.push(2)\n     calc.push(3)\n"
        "-    calc.apply('sub')\n+    calc.apply('div')\n     assert calc.ok()\n"
    )
    for header in ("@@ -17,6 +17,6 @@", "@@ @@"):
        _, [(placement, edit)] = _place(CALC, header + "\n" + hunk)
        assert placement.status == "failed" and edit is None, header
        assert "'def test_mul():' is at line 17" in placement.reason
        assert placement.closest == (9, 14) and placement.closest_score is not None


# -- add-only hunks are anchored: applying twice does not insert twice ------------------------


def _apply_twice(root: Path, rel: str, answer: str) -> tuple[bytes, object]:
    """Apply `answer` for real, then build it again against the result."""
    from tui.patch.apply_change import apply_change_set

    change_set = build_change_set(answer, root)
    apply_change_set(root, change_set)
    once = (root / rel).read_bytes()
    again = build_change_set(answer, root)
    return once, again


def test_insertion_at_end_of_file_applied_twice_is_already_applied(tree):
    from tui.patch.apply_change import plan_writes

    root = tree({"m.py": numbered(20)})
    answer = "--- a/m.py\n+++ b/m.py\n@@ -18,3 +18,5 @@\n line 18\n line 19\n line 20\n+line 21\n+line 22\n"
    once, again = _apply_twice(root, "m.py", answer)
    assert once == numbered(22).encode()
    placement = again.files[0].hunks[0].placement
    assert placement.status == "failed" and placement.reason == "the change is already applied at line 18"
    assert placement.closest == (18, 22) and placement.closest_score == 1.0
    with pytest.raises(ApplyRefused, match="already applied"):
        plan_writes(again)
    assert (root / "m.py").read_bytes() == once


def test_insertion_at_start_of_file_applied_twice_is_already_applied(tree):
    root = tree({"m.py": numbered(20)})
    answer = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,3 @@\n+import os\n line 1\n line 2\n"
    once, again = _apply_twice(root, "m.py", answer)
    assert once == ("import os\n" + numbered(20)).encode()
    placement = again.files[0].hunks[0].placement
    assert placement.status == "failed" and "already applied at line 1" in placement.reason


def test_replacement_applied_twice_does_not_land_at_a_lookalike(tree):
    root = tree({"t.py": CALC})
    answer = "--- a/t.py\n+++ b/t.py\n@@ -17,5 +17,5 @@\n" + MUL_HUNK.replace("  # drifted", "")
    once, again = _apply_twice(root, "t.py", answer)
    assert (
        once
        == CALC.replace(
            "calc.push(2)\n    calc.push(3)\n    calc.apply('mul')",
            "calc.push(4)\n    calc.push(3)\n    calc.apply('mul')",
        ).encode()
    )
    placement = again.files[0].hunks[0].placement
    assert placement.status == "failed" and "already applied at line 17" in placement.reason


def test_line_number_lets_a_second_identical_block_get_the_same_change():
    block = "def f():\n    x = 1\n    return x\n"
    text = block.replace("x = 1", "x = 2") + numbered(30, "pad") + block
    diff = "@@ -34,3 +34,3 @@\n def f():\n-    x = 1\n+    x = 2\n     return x\n"
    _, [(placement, edit)] = _place(text, diff)
    assert placement.status == "exact" and edit.start == 34


def test_zero_zero_header_without_dev_null_is_refused_on_a_non_empty_file(tree):
    root = tree({"m.py": "x = 1\n", "same.py": "a\nb\n", "empty.py": ""})
    diff = "--- a/{0}\n+++ b/{0}\n@@ -0,0 +1,2 @@\n+a\n+b\n"
    _, change = _apply(root, diff.format("m.py"))
    placement = change.hunks[0].placement
    assert placement.status == "failed" and "the file exists and is not empty" in placement.reason
    assert placement.closest == (1, 1)
    _, change = _apply(root, diff.format("same.py"))
    assert "already applied" in change.hunks[0].placement.reason
    _, change = _apply(root, diff.format("empty.py"))
    assert change.status == "ok" and change.new_bytes() == b"a\nb\n"


def test_u0_insertion_applied_twice_is_already_applied(tree):
    root = tree({"m.py": numbered(10)})
    answer = "--- a/m.py\n+++ b/m.py\n@@ -4,0 +5,2 @@\n+new a\n+new b\n"
    once, again = _apply_twice(root, "m.py", answer)
    assert once == numbered(10).replace("line 4\n", "line 4\nnew a\nnew b\n").encode()
    placement = again.files[0].hunks[0].placement
    assert placement.status == "failed" and placement.reason == "the change is already applied at line 5"


# -- placements that should succeed ------------------------------------------------------------


def test_two_hunks_written_without_an_at_line_between_them_are_placed_each_on_its_own():
    text = numbered(40)
    diff = (
        "@@ -3,7 +3,7 @@\n line 3\n line 4\n-line 5\n+LINE 5\n line 6\n line 7\n"
        " line 20\n line 21\n-line 22\n+LINE 22\n line 23\n"
    )
    file, [(placement, edit)] = _place(text, diff)

    assert placement.status == "fuzzy" and placement.reason.startswith("in 2 parts")
    assert placement.reason == "in 2 parts; it skips lines 8-19"
    assert assemble(file, [edit]).text == text.replace("line 5\n", "LINE 5\n").replace(
        "line 22\n", "LINE 22\n"
    )


def test_outer_context_and_hunk_order_decide_between_two_copies_of_the_removed_lines():
    block = "    if ready:\n        start()\n        wait()\n"
    text = (
        "def first():\n    setup()\n" + block + "    return 1\n\n\n"
        "def second():\n    prepare()\n    log()\n" + block + "    cleanup()\n    return 2\n"
    )
    # The removed line and the lines around it are in both functions; the hunk's first and last
    # context lines only near the second copy (a few lines apart: the file drifted).
    second = "     prepare()\n     if ready:\n-        start()\n+        launch()\n         wait()\n     return 2\n"
    launched = text[: text.index("def second")] + text[text.index("def second") :].replace(
        "start()", "launch()"
    )
    for header in ("@@ -10,6 +10,6 @@", "@@ @@"):
        file, [(placement, edit)] = _place(text, header + "\n" + second)
        assert placement.status == "fuzzy", header
        assert assemble(file, [edit]).text == launched, header
    # The file's other hunk took the first copy: hunk order agrees.
    first = "@@ -1,5 +1,5 @@\n def first():\n     setup()\n     if ready:\n-        start()\n+        begin()\n         wait()\n"
    file, results = _place(text, first + "@@ @@\n" + second)
    assert [placement.placed for placement, _ in results] == [True, True]
    assert assemble(file, [edit for _, edit in results]).text == launched.replace("start()", "begin()")


def test_insertion_with_slightly_drifted_context_at_a_unique_place_is_placed():
    text = (
        "def load(path, strict=True):\n    data = read_bytes(path)\n    text = data.decode('utf-8')  # strict\n"
        "    rows = parse_rows(text)\n    return [row for row in rows if row]  # skip blanks\n"
        "\n\ndef save(path, rows):\n    write_rows(path, rows)\n"
    )
    diff = (
        "@@ -1,5 +1,6 @@\n def load(path):\n     data = read_bytes(path)\n"
        "     text = data.decode('utf-8')\n+    text = text.lstrip('\\ufeff')\n     rows = parse_rows(text)\n"
        "     return [row for row in rows if row]\n"
    )
    _, [(placement, edit)] = _place(text, diff)
    assert placement.status == "fuzzy" and placement.score < 0.8
    assert edit.start == 3 and edit.new == (("    text = text.lstrip('\\ufeff')", None),)


def test_offset_of_the_next_hunk_settles_an_ambiguous_one():
    block = "def helper():\n    value = compute()\n    check(value)\n    return value\n"
    text = numbered(10, "a") + block + numbered(26, "b") + block + numbered(40, "c")
    # Both hunks state lines 40 too far down; the second is unique, so its offset tells which
    # copy of the block the first one meant.
    diff = (
        "@@ -81,4 +81,4 @@\n def helper():\n     value = compute()\n-    check(value)\n+    verify(value)\n"
        "     return value\n"
        "@@ -103,3 +103,3 @@\n c 19\n-c 20\n+C 20\n c 21\n"
    )
    _, [(first, edit), (second, _)] = _place(text, diff)
    assert (second.status, second.offset) == ("offset", -40)
    assert first.status == "offset" and first.line == 41 and edit.start == 42
    # Alone, the first hunk is ambiguous.
    _, [(alone, _)] = _place(text, diff[: diff.index("@@ -103")])
    assert alone.status == "failed" and "ambiguous" in alone.reason


_TWO_COPIES = (
    "def f():\n    x = 1\n    y = 2\n    return x + y\n\n\ndef f():\n    x = 1\n    y = 2\n    return x + y\n"
)


@pytest.mark.parametrize(
    ("text", "diff", "says"),
    [
        (numbered(30), "@@ -5,3 +5,3 @@\n line 5\n-line 5b\n+x\n line 6\n", "removed lines not found"),
        (
            _TWO_COPIES,
            "@@ @@\n def f():\n-    x = 1\n+    x = 3\n     y = 2\n",
            "ambiguous: it fits lines 1-3",
        ),
        (
            numbered(9),
            "@@ -2,2 +2,2 @@\n-line 2\n+A\n line 3\n@@ -2,2 +2,2 @@\n-line 2\n+B\n line 3\n",
            "overlaps hunk 1",
        ),
        (
            CALC,
            "@@ @@\n def test_mul():\n     calc = Calculator()\n-    calc.apply('sub')\n+    x\n",
            "is at line 17",
        ),
        (numbered(9) + "extra\n", "@@ -8,2 +8,3 @@\n line 8\n line 9\n+extra\n", "already applied at line 8"),
        (numbered(3), "@@ -0,0 +1,1 @@\n+new\n", "exists and is not empty"),
        (numbered(30), "@@ -3,4 +3,5 @@\n line 3\n zeta\n+new\n eta\n theta\n", "matches too weakly"),
        (
            "class Alpha:\n    def run(self):\n        go()\n\n\nclass Beta:\n    def run(self):\n        go()\n",
            "@@ -1,2 +1,2 @@ class Beta:\n     def run(self):\n-        go()\n+        stop()\n",
            "the evidence disagrees",
        ),
        (numbered(30), "@@ @@\n+line 7\n+line 8\n", "no context or removed lines"),
        (numbered(30), "@@ -12,1 +12,1 @@\n-@@@@@@@@@@@@@@@@\n+x\n", "removed lines not found"),
        (numbered(30), "@@ -12,2 +12,3 @@\n @@@@@@@@@@\n+x\n ##########\n", "context is not in the file"),
        (
            numbered(30),
            "@@ -9,4 +9,2 @@\n line 9\n-line 10\n-line 11\n line 12\n@@ -10,0 +9,1 @@\n+b\n",
            "inside lines 10-11 that hunk 1 changes",
        ),
    ],
)
def test_every_refusal_says_why_in_one_sentence_and_names_the_closest_region(text, diff, says):
    _, results = _place(text, diff)
    placement, edit = results[-1]
    assert placement.status == "failed" and edit is None
    assert says in placement.reason
    assert "\n" not in placement.reason and ". " not in placement.reason
    assert placement.closest is not None
    if placement.closest_score is None:  # nothing resembles it: its stated line's neighbourhood
        assert placement.closest_note.startswith("around its stated line")
    else:
        assert 0 <= placement.closest_score <= 1
    region = r"(line \d+|lines \d+-\d+)"
    assert re.search(rf"\(closest: {region}, (\d+%|around its stated line \d+[^)]*)\)$", placement.describe())


def test_patchbay_apply_twice_says_already_applied_and_writes_nothing(tree, tmp_path, capsys):
    from tui.cli import main

    root = tree({"m.py": numbered(20)})
    answer = tmp_path / "answer.md"
    answer.write_text(
        "```diff\n--- a/m.py\n+++ b/m.py\n@@ -19,2 +19,3 @@\n line 19\n line 20\n+line 21\n```\n"
    )
    assert main(["apply", "--workdir", str(root), str(answer)]) == 0
    once = (root / "m.py").read_bytes()
    capsys.readouterr()
    assert main(["apply", "--workdir", str(root), str(answer)]) == 1
    out = capsys.readouterr()
    assert "the change is already applied at line 19" in out.out + out.err
    assert (root / "m.py").read_bytes() == once == numbered(21).encode()


def test_line_number_against_slightly_better_lines_is_a_refusal():
    body = "    a = 1\n    b = 2\n    c = a + b\n    total = c * 2\n    return total\n"
    text = "".join(f"def func_{name}():\n{body}\n\n" for name in ("one", "two"))
    hunk = " def func_twe():\n     a = 1\n-    b = 2\n+    b = 3\n     c = a + b\n     total = c * 2\n"
    # The lines lean a little to func_two (line 9), too little to decide alone.
    _, [(placement, _)] = _place(text, "@@ @@\n" + hunk)
    assert placement.status == "failed" and placement.reason.startswith("ambiguous")
    _, [(placement, edit)] = _place(text, "@@ -9,5 +9,5 @@\n" + hunk)
    assert placement.placed and edit.start == 10
    _, [(placement, _)] = _place(text, "@@ -1,5 +1,5 @@\n" + hunk)
    assert placement.status == "failed"
    assert placement.reason == (
        "the evidence disagrees about where it goes (its line number points at line 1; "
        "its content points at line 9)"
    )


def test_creating_a_file_that_exists_and_is_not_empty_is_refused(tree):
    from tui.patch.apply_change import plan_writes

    create = "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+x = 1\n+y = 2\n"
    root = tree({"new.py": "kept = True\n"})
    change_set = build_change_set(create, root)
    assert change_set.files[0].error == "the diff creates new.py, which exists"
    with pytest.raises(ApplyRefused):
        plan_writes(change_set)
    # Applying the same creation twice: the second time finds it done and writes nothing.
    (root / "new.py").unlink()
    once, again = _apply_twice(root, "new.py", create)
    assert once == b"x = 1\ny = 2\n"
    assert again.files[0].error == "the diff creates new.py, which exists with this content already"
    with pytest.raises(ApplyRefused):
        plan_writes(again)
