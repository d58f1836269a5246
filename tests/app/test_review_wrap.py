"""Nothing is cut silently: long lines wrap with a marker, `w` turns wrapping off for sideways
scrolling with cut edges marked, narrow terminals open the unified view and say so; `enter` with
undecided hunks asks; `A` then `enter` typed together both count; review points tick with symbols."""

from __future__ import annotations

from pathlib import Path

from textual import events

from app.pilot_helpers import settle
from app.review_support import ReviewHost, StandInRun
from app.screen_text import screen_lines, screen_text
from tui.app.widgets.diff_text import CUT_LEFT, CUT_RIGHT
from tui.app.widgets.diff_view import CONTINUED, DiffView
from tui.app.widgets.review_checklist import ReviewChecklist, plain_terminal

TAIL = "median_of_the_values_END"
END = "values_END"  # the hidden end of the long line (a wrap may cut TAIL itself)
LONG_OLD = "from statistics import mean, longest_common_prefix_of_words, " + "stdev"
LONG_NEW = "from statistics import mean, longest_common_prefix_of_words, stdev, " + TAIL


def long_line_run(folder: Path, points=()) -> StandInRun:
    source = "".join(f"line_{n} = {n}\n" for n in range(1, 8))
    (folder / "calc.py").write_text(f"{LONG_OLD}\n{source}")
    answer = (
        "```diff\n--- a/calc.py\n+++ b/calc.py\n@@ -1,3 +1,3 @@\n"
        f"-{LONG_OLD}\n+{LONG_NEW}\n line_1 = 1\n line_2 = 2\n"
        "@@ -6,3 +6,3 @@\n line_5 = 5\n-line_6 = 6\n+line_6 = 66\n line_7 = 7\n```\n"
    )
    return StandInRun(folder, answer, points=points)


async def test_a_long_line_wraps_with_a_marker_and_its_end_is_on_screen(tmp_path):
    app = ReviewHost(long_line_run(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        diff = app.screen.query_one(DiffView)
        assert diff.wrap
        text = screen_text(app)
        assert END in text
        continued = [line for line in screen_lines(app) if CONTINUED in line]
        assert continued, text
        assert diff.line_count > diff.row_count  # the wrapped rows take more screen lines


async def test_w_turns_wrapping_off_and_arrows_scroll_to_the_hidden_end(tmp_path):
    app = ReviewHost(long_line_run(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        diff = app.screen.query_one(DiffView)
        await pilot.press("w")
        await pilot.pause()
        assert not diff.wrap and diff.line_count == diff.row_count
        text = screen_text(app)
        assert END not in text
        assert any(line.rstrip().endswith(CUT_RIGHT) for line in screen_lines(app)), text
        for _ in range(12):
            await pilot.press("right")
        await pilot.pause()
        text = screen_text(app)
        assert diff.shift > 0 and END in text and CUT_LEFT in text
        await pilot.press("home")
        await pilot.pause()
        assert diff.shift == 0 and CUT_LEFT not in screen_text(app)
        await pilot.press("w")
        await pilot.pause()
        assert diff.wrap and END in screen_text(app)


async def test_a_narrow_terminal_opens_unified_and_says_so_and_s_still_toggles(tmp_path):
    app = ReviewHost(long_line_run(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        diff = app.screen.query_one(DiffView)
        assert diff.unified
        assert "too narrow" in str(app.screen.query_one("#review-message").render())
        await pilot.press("s")
        await pilot.pause()
        assert not diff.unified
        assert "too narrow" not in str(app.screen.query_one("#review-message").render())
        assert END in screen_text(app)  # side by side wraps too
    wide = ReviewHost(long_line_run(tmp_path))
    async with wide.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        assert not wide.screen.query_one(DiffView).unified


async def test_changed_words_stay_marked_on_a_wrapped_continuation_line(tmp_path):
    app = ReviewHost(long_line_run(tmp_path))
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        diff = app.screen.query_one(DiffView)
        word = diff.get_component_rich_style("diff-view--added-word").bgcolor
        lines = [diff.render_line(y) for y in range(diff.line_count)]
        tail_line = next(strip for strip in lines if "_END" in strip.text)
        assert CONTINUED in tail_line.text  # the end of the new line sits on a continuation
        marked = "".join(seg.text for seg in tail_line if seg.style and seg.style.bgcolor == word)
        assert "_END" in marked
        width = diff.scrollable_content_region.width
        assert all(strip.cell_length == width for strip in lines)
        dividers = {strip.text.index("│") for strip in lines if "│" in strip.text}
        assert len(dividers) == 1  # the divider keeps its column on wrapped lines


async def test_A_then_enter_typed_together_applies_everything(tmp_path):
    run = long_line_run(tmp_path)
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # Both keys arrive before either is handled, as when typed fast in a terminal.
        app.post_message(events.Key("A", "A"))
        app.post_message(events.Key("enter", "\r"))
        await settle(pilot, lambda: app.outcomes)  # the apply runs in a worker
    assert app.outcomes == ["applied"]
    assert run.applied_with == [({"calc.py#1", "calc.py#2"}, False)]
    assert TAIL in (tmp_path / "calc.py").read_text()


async def test_enter_with_undecided_hunks_asks_and_can_accept_them(tmp_path):
    run = long_line_run(tmp_path)
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n", "enter")  # #1 rejected, #2 undecided
        await pilot.pause()
        assert type(app.screen).__name__ == "UndecidedHunks"
        assert "calc.py#2" in screen_text(app)
        await pilot.press("b")  # back: nothing happens
        await pilot.pause()
        assert app.outcomes == [] and run.applied_with == []
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("a")
        await settle(pilot, lambda: app.outcomes)
    assert app.outcomes == ["applied"]
    assert run.applied_with == [({"calc.py#2"}, False)]
    assert "line_6 = 66" in (tmp_path / "calc.py").read_text()


async def test_review_points_wrap_and_tick_with_a_symbol(tmp_path, monkeypatch):
    monkeypatch.setenv("LANG", "C.UTF-8")
    point = "Every public function has type hints and a docstring that names its return value"
    app = ReviewHost(long_line_run(tmp_path, points=[point, "Imports stay sorted"]))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        checklist = app.screen.query_one(ReviewChecklist)
        text = screen_text(app)
        assert "☐ Every public" in text and "names its return value" in text.replace("\n", " ")
        checklist.focus()
        await pilot.press("space")
        await pilot.pause()
        assert checklist.ticked == [point]
        assert "☑ Every public" in screen_text(app) and "☐ Imports" in screen_text(app)
        assert " X " not in screen_text(app)
        await pilot.press("enter")  # not a tick: the screen's apply (here it asks first)
        await pilot.pause()
        assert type(app.screen).__name__ == "UndecidedHunks"
        assert checklist.ticked == [point]


def test_plain_terminals_get_brackets_for_ticks():
    assert plain_terminal({"TERM": "linux", "LANG": "C.UTF-8"})
    assert plain_terminal({"TERM": "xterm", "LANG": "en_US.ISO-8859-1"})
    assert not plain_terminal({"TERM": "xterm-256color", "LANG": "C.UTF-8"})


async def test_title_separates_its_parts_and_the_key_bar_never_leaves_a_stray_letter(tmp_path):
    app = ReviewHost(long_line_run(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = screen_lines(app)
        assert lines[0].strip().startswith("add_feature · Add the feature · hunk 1 of 2")
        footer = lines[-1].rstrip()
        assert footer.endswith("? all keys")
        assert "Accept" in footer
