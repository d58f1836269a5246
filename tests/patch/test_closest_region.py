"""Every refusal names a closest region: the best partial match, or the stated line's
neighbourhood (said as such) when nothing in the file resembles the hunk."""

from __future__ import annotations

import json

from tests.patch.conftest import numbered
from tui.cli import main
from tui.commands.demo import prepare_demo
from tui.patch.extract import build_change_set
from tui.patch.failure_text import failure_text
from tui.patch.place import place_hunks
from tui.patch.text_file import FileText
from tui.patch.unified_parse import parse_unified
from tui.runner import TaskRun
from tui.session import Session

CODE = "".join(f"def f{n}(x):\n    return x + {n}\n\n" for n in range(1, 11))


def _placements(text: str, diff: str):
    patches = parse_unified(diff.split("\n"), lenient=True)
    return [placement for placement, _ in place_hunks(FileText.from_text(text), patches[0].hunks)]


def test_a_hunk_with_only_added_lines_names_the_region_its_lines_resemble():
    diff = "@@ @@\n+def f4(x):\n+    return x + 4"
    [placement] = _placements(CODE, diff)
    assert placement.reason == "the hunk has no context or removed lines to place it by"
    assert placement.closest == (10, 11) and placement.closest_score == 1.0


def test_a_hunk_with_only_added_lines_and_no_look_alike_says_there_is_nothing_to_go_by():
    diff = "@@ @@\n+zzz\n+qqq"
    [placement] = _placements(CODE, diff)
    assert placement.closest is None
    assert placement.describe() == (
        "failed: the hunk has no context or removed lines to place it by; "
        "nothing in the file resembles the hunk; it states no line number to look around"
    )


def test_removed_lines_found_nowhere_name_their_stated_line_when_nothing_resembles_them():
    diff = "@@ -12,1 +12,1 @@\n-@@@@@@@@@@@@@@@@@@@@\n+x"
    [placement] = _placements(CODE, diff)
    assert placement.reason == "removed lines not found"
    assert (placement.closest, placement.closest_score) == ((10, 14), None)
    assert placement.describe() == (
        "failed: removed lines not found (closest: lines 10-14, around its stated line 12; "
        "nothing in the file resembles the hunk)"
    )


def test_context_found_nowhere_names_the_most_similar_region():
    diff = "@@ -40,2 +40,3 @@\n def f5(yy):\n+    y = int(yy)\n     return yy + 5"
    [placement] = _placements(CODE, diff)
    assert placement.reason == "its context is not in the file"
    assert placement.describe().endswith("(closest: lines 13-14, 88%)")


def test_removed_lines_found_nowhere_name_the_most_similar_region_over_the_stated_line():
    diff = "@@ -2,2 +2,2 @@\n-def f5(yy):\n+def f5(y):\n     return yy + 5"
    [placement] = _placements(CODE, diff)
    assert placement.reason == "removed lines not found"
    assert (placement.closest, placement.closest_score) == ((13, 14), 0.88)


def test_of_look_alike_regions_the_one_nearest_the_stated_line_is_named():
    block = "def check(x):\n    return x > 0\n\n"
    diff = "@@ -13,2 +13,2 @@\n-def check(y):\n+def check(z):\n     return y > 0"
    [placement] = _placements(block * 6, diff)
    assert placement.reason == "removed lines not found"
    assert placement.closest == (13, 14)


def test_a_stated_line_past_the_end_names_the_files_last_lines_and_says_why():
    diff = "@@ -90,1 +90,1 @@\n-@@@@@@@@@@@@@@@@@@@@\n+x"
    [placement] = _placements(numbered(6), diff)
    assert placement.closest == (4, 6)
    assert "its stated line 90 is past the end (6 lines)" in placement.describe()


def test_an_insertion_colliding_with_another_hunk_names_both_and_its_stated_line():
    diff = "@@ -9,4 +9,2 @@\n line 9\n-line 10\n-line 11\n line 12\n@@ -10,0 +9,1 @@\n+b"
    first, second = _placements(numbered(30), diff)
    assert first.placed and not second.placed
    assert second.reason == "it inserts after line 10, inside lines 10-11 that hunk 1 changes"
    assert second.closest == (8, 12) and second.closest_note == "around its stated line 10"


def test_a_hunk_overlapping_an_insertion_names_the_insertions_number():
    diff = "@@ -10,0 +11,1 @@\n+b\n@@ -9,4 +9,2 @@\n line 9\n-line 10\n-line 11\n line 12"
    first, second = _placements(numbered(30), diff)
    assert first.placed
    assert second.reason == "it overlaps hunk 1"


def test_the_retry_prompt_quotes_the_stated_lines_neighbourhood(tree):
    root = tree({"m.py": CODE})
    answer = "--- a/m.py\n+++ b/m.py\n@@ -12,1 +12,1 @@\n-@@@@@@@@@@@@@@@@@@@@\n+x\n"
    text = failure_text(build_change_set(answer, root))
    assert (
        "m.py: hunk 1 failed: removed lines not found (closest: lines 10-14, around its stated line 12"
        in text
    )
    quoted = CODE.splitlines()[9:14]
    assert "The file's actual lines 10-14 of m.py:\n```\n" + "\n".join(quoted) + "\n```" in text


def test_apply_json_carries_how_the_region_was_chosen(tree, tmp_path, capsys):
    root = tree({"m.py": CODE})
    answer = tmp_path / "answer.diff"
    answer.write_text("--- a/m.py\n+++ b/m.py\n@@ -12,1 +12,1 @@\n-@@@@@@@@@@@@@@@@@@@@\n+x\n")
    assert main(["apply", "--workdir", str(root), "--json", str(answer)]) == 1
    [hunk] = json.loads(capsys.readouterr().out)["files"][0]["hunks"]
    assert hunk["closest"] == {
        "lines": [10, 14],
        "score": None,
        "note": "around its stated line 12; nothing in the file resembles the hunk",
    }


def test_a_hunk_whose_parts_only_add_lines_is_refused_not_a_crash():
    [placement] = _placements("x = 1\n", "@@ @@\n+x = 1\n return y\n-x = 1")
    assert placement.status == "failed" and placement.closest == (1, 1)


def test_the_retry_prompt_quotes_the_region_a_hunk_found_nowhere_was_meant_for(tmp_path):
    demo = prepare_demo(tmp_path / "demo")
    """A hunk whose lines resemble nothing in the file is refused naming its stated line's
    neighbourhood, and the retry's failure text (the template's `failure`) quotes the lines there."""
    replay = demo / "replay.yaml"
    ghost = "-" + "@" * 30
    replay.write_text(
        "rate: 60\nanswers:\n  - task: add_type_hints\n    text: |\n"
        "      ```diff\n      --- a/textkit/stats.py\n      +++ b/textkit/stats.py\n"
        f"      @@ -5,1 +5,1 @@\n      {ghost}\n      +x = 1\n      ```\n"
    )
    session = Session(demo, replay_rate=0)
    run = TaskRun.begin(session, "add_type_hints")
    run.generate()
    [hunk] = run.review().hunks
    assert hunk.placement.closest == (3, 7) and hunk.placement.closest_score is None
    run.retry()
    lines = (demo / "project/textkit/stats.py").read_text().splitlines()[2:7]
    assert run.failure.startswith(
        "textkit/stats.py: hunk 1 failed: removed lines not found (closest: lines 3-7, around its stated "
        "line 5; nothing in the file resembles the hunk)\nThe file's actual lines 3-7 of textkit/stats.py:\n"
        "```\n" + "\n".join(lines) + "\n```"
    )
