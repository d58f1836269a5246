"""What the diff view draws: only the rows on screen (for a 50,000-line diff too), rows that pair
old and new lines, changed words, and cell widths for tabs and wide characters."""

from __future__ import annotations

from pathlib import Path

from app.review_support import ReviewHost, StandInRun
from tui.app.widgets import line_highlighter
from tui.app.widgets.diff_view import DiffView
from tui.patch.review import build_file_rows, changed_spans


def big_answer(folder: Path, lines: int) -> str:
    """One hunk that rewrites every line of a `lines`-line file: a diff of 2 x `lines` lines."""
    old = [f"total_{n} = compute({n})" for n in range(lines)]
    (folder / "big.py").write_text("\n".join(old) + "\n")
    body = "".join(f"-{line}\n" for line in old) + "".join(
        f"+{line.replace('compute', 'fast')}\n" for line in old
    )
    return f"```diff\n--- a/big.py\n+++ b/big.py\n@@ -1,{lines} +1,{lines} @@\n{body}```\n"


async def test_a_50000_line_diff_draws_and_lexes_only_the_visible_rows(tmp_path, monkeypatch):
    run = StandInRun(tmp_path, big_answer(tmp_path, 25_000))
    assert sum(len(h.lines) for h in run.change_set.hunks) == 50_000
    drawn: list[int] = []
    lexed: list[str] = []
    original_render = DiffView.render_line
    original_pieces = line_highlighter.LineHighlighter.pieces

    def counting_render(view, y):
        drawn.append(y)
        return original_render(view, y)

    def counting_pieces(highlighter, text):
        lexed.append(text)
        return original_pieces(highlighter, text)

    monkeypatch.setattr(DiffView, "render_line", counting_render)
    monkeypatch.setattr(line_highlighter.LineHighlighter, "pieces", counting_pieces)
    app = ReviewHost(run)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        diff = app.screen.query_one(DiffView)
        height = diff.scrollable_content_region.height
        assert diff.row_count > 25_000
        # a few refreshes of the visible window, never the file
        assert 0 < len(drawn) <= 4 * height
        assert len(set(lexed)) <= 2 * height
        assert diff.rows_rendered <= 2 * height
        drawn.clear()
        lexed.clear()
        diff.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert round(diff.scroll_y) > 20_000
        assert 0 < len(drawn) <= 4 * height
        assert len(set(lexed)) <= 2 * height
        assert diff.rows_rendered <= 4 * height


def test_rows_pair_removed_and_added_lines_with_both_line_numbers(tmp_path):
    lines = [f"line {n}\n" for n in range(1, 21)]
    (tmp_path / "f.txt").write_text("".join(lines))
    answer = (
        "```diff\n--- a/f.txt\n+++ b/f.txt\n@@ -9,3 +9,4 @@\n line 9\n-line 10\n+line ten\n+line ten and a half\n"
        " line 11\n```\n"
    )
    change = StandInRun(tmp_path, answer).change_set.files[0]
    rows = build_file_rows(change)
    changed = [row for row in rows.side_by_side if row.kind in ("change", "added", "removed")]
    assert [(r.kind, r.old_no, r.old, r.new_no, r.new) for r in changed] == [
        ("change", 10, "line 10", 10, "line ten"),
        ("added", None, None, 11, "line ten and a half"),
    ]
    # lines after the change are numbered one further on the new side
    after = next(r for r in rows.side_by_side if r.old == "line 12")
    assert (after.old_no, after.new_no) == (12, 13)
    kinds = [row.kind for row in rows.side_by_side]
    assert kinds[0] == "fold" and kinds[1] == "hunk" and kinds[-1] == "fold"
    unified = [(r.side, r.old_no, r.new_no) for r in rows.unified if r.kind in ("added", "removed")]
    assert unified == [("old", 10, None), ("new", None, 10), ("new", None, 11)]


def test_changed_spans_mark_only_the_words_that_differ():
    old_spans, new_spans = changed_spans("total = compute(a, b)", "total = compute(a, c)")
    assert [("total = compute(a, b)"[s:e]) for s, e in old_spans] == ["b"]
    assert [("total = compute(a, c)"[s:e]) for s, e in new_spans] == ["c"]
    assert changed_spans("completely different", "nothing alike here at all") == ([], [])


async def test_tabs_and_wide_characters_keep_the_columns_aligned(tmp_path):
    (tmp_path / "w.txt").write_text("a\tb\n日本語のテキスト\nplain\n")
    answer = "```diff\n--- a/w.txt\n+++ b/w.txt\n@@ -1,3 +1,3 @@\n a\tb\n-日本語のテキスト\n+日本語のテキスト!\n plain\n```\n"
    app = ReviewHost(StandInRun(tmp_path, answer))
    async with app.run_test(size=(160, 20)) as pilot:
        await pilot.pause()
        diff = app.screen.query_one(DiffView)
        width = diff.scrollable_content_region.width
        strips = [diff.render_line(y) for y in range(diff.row_count)]
        assert all(strip.cell_length == width for strip in strips)
        texts = [strip.text for strip in strips]
        tab_row = next(t for t in texts if "a   b" in t)
        assert "\t" not in tab_row
        wide = next(t for t in texts if "日本語" in t)
        # the divider sits in the same column on every two-sided row
        divider = tab_row.index("│")
        from rich.cells import cell_len

        assert cell_len(wide[: wide.index("│")]) == cell_len(tab_row[:divider])


async def test_the_first_frame_scrolls_the_files_own_lines_and_draws_each_row_once(tmp_path, monkeypatch):
    """Before its first layout the view has no width: wrapping there split every line into
    one-cell parts (a scrollbar for twenty times the lines), and the resize after the first paint
    then changed the size and drew the diff again."""
    from tui.app.widgets import diff_view

    run = StandInRun(tmp_path, big_answer(tmp_path, 200))
    layouts: list[int] = []
    real_layout = diff_view.WrapLayout

    def spy(rows, *, unified, widths, wrap):
        layouts.append(widths.new)
        return real_layout(rows, unified=unified, widths=widths, wrap=wrap)

    monkeypatch.setattr(diff_view, "WrapLayout", spy)
    first_frame: list[tuple[int, bool]] = []
    first_height: list[int] = []  # the key bar arrives after the first frame, a line lower
    original_render = DiffView.render_line

    def noting_render(view, y):
        if not first_frame:
            first_frame.append((view.virtual_size.height, view.show_vertical_scrollbar))
            first_height.append(view.scrollable_content_region.height)
        return original_render(view, y)

    monkeypatch.setattr(DiffView, "render_line", noting_render)
    app = ReviewHost(run)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        diff = app.screen.query_one(DiffView)
        assert all(width > 0 for width in layouts)
        assert first_frame == [(diff.line_count, True)]  # as it stays: nothing to correct later
        assert diff.rows_rendered <= first_height[0]  # each row on screen drawn once


async def test_a_file_shown_again_is_drawn_without_lexing_its_lines_again(tmp_path, monkeypatch):
    from pygments.lexer import Lexer
    from textual.cache import LRUCache

    monkeypatch.setattr(line_highlighter, "_LINES", LRUCache(8192))  # lines earlier tests lexed
    run = StandInRun(tmp_path, big_answer(tmp_path, 200))
    lexed: list[str] = []
    real = Lexer.get_tokens
    monkeypatch.setattr(
        Lexer, "get_tokens", lambda lexer, text, *a: (lexed.append(text), real(lexer, text, *a))[1]
    )
    app = ReviewHost(run)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        diff = app.screen.query_one(DiffView)
        assert lexed  # the first showing lexes what is on screen
        drawn, lexed[:] = diff.rows_rendered, []
        change = run.change_set.files[0]
        diff.show_file(change.path, build_file_rows(change), frozenset(), None)  # shown again
        await pilot.pause()
        assert diff.rows_rendered > drawn  # drawn again (a new file's strips) ...
        assert lexed == []  # ... from the lines already lexed
