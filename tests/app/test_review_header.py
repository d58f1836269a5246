"""The review header and messages name one change as the answer's edit format does: hunks of a
diff, blocks of SEARCH/REPLACE, the changes of a whole new file."""

from __future__ import annotations

from app.pilot_helpers import settle
from app.review_support import ReviewHost, StandInRun
from app.screen_text import screen_text
from tui.app.widgets.review_dialogs import UndecidedHunks
from tui.patch.extract import build_change_set

CALC = "import os\n\n\ndef add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
SIZE = (140, 30)


def _sr(search: str, replace: str) -> str:
    return f"<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def run_for(tmp_path, answer: str, **build) -> StandInRun:
    work = tmp_path / "work"
    work.mkdir()
    (work / "calc.py").write_text(CALC)
    run = StandInRun(
        work, "```diff\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-import os\n+import sys\n```\n"
    )
    run.change_set = build_change_set(answer, work, **build)
    return run


def title(app) -> str:
    return str(app.screen.query_one("#review-title").render())


async def test_search_replace_blocks_are_counted_as_blocks(tmp_path):
    answer = "calc.py\n```python\n" + _sr("    return a + b\n", "    return b + a\n")
    answer += _sr("    return a - b\n", "    return b - a\n") + "```\n"  # not in the file
    app = ReviewHost(run_for(tmp_path, answer, output_parser="auto"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: "file 1" in title(app))
        assert "block 1 of 2 · file 1 of 1 (SEARCH/REPLACE)" in title(app)
        assert "hunk" not in title(app)
        await pilot.press("right_square_bracket")
        await settle(pilot, lambda: "block 2 of 2" in title(app))
        message = str(app.screen.query_one("#review-message").render())
        assert message.startswith("This block could not be placed, so it cannot be accepted")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, UndecidedHunks))
        assert "2 blocks are still undecided (0 accepted so far)" in screen_text(app)


async def test_a_whole_file_answer_is_counted_in_changes_of_the_file(tmp_path):
    new = CALC.replace("import os", "import sys").replace("a * b", "b * a")
    answer = f"Here it is:\n```python\n{new}```\n"
    run = run_for(tmp_path, answer, output_parser="python_code_block", output_artifact="calc.py")
    app = ReviewHost(run)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: "file 1" in title(app))
        assert "change 1 of 2 · file 1 of 1 (whole file)" in title(app)
        await pilot.press("y", "enter")
        await settle(pilot, lambda: isinstance(app.screen, UndecidedHunks))
        assert "1 change is still undecided (1 accepted so far)" in screen_text(app)


async def test_a_unified_diff_keeps_its_hunks(tmp_path):
    answer = "```diff\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-import os\n+import sys\n```\n"
    app = ReviewHost(run_for(tmp_path, answer))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: "file 1" in title(app))
        assert "hunk 1 of 1 · file 1 of 1 · 0 accepted" in title(app)


def test_the_diff_labels_each_change_in_the_answers_terms(tmp_path):
    from tui.patch.review import build_file_rows

    answer = "calc.py\n```python\n" + _sr("    return a + b\n", "    return b + a\n")
    answer += _sr("    return a * b\n", "    return b * a\n") + "```\n"
    run = run_for(tmp_path, answer, output_parser="auto")
    labels = [
        row.label for row in build_file_rows(run.change_set.files[0]).side_by_side if row.kind == "hunk"
    ]
    assert [label.split(" · ")[0] for label in labels] == ["block 1/2", "block 2/2"]
