"""The output pane's log grows without laying out the screen, and still scrolls, sizes its
scrollbars and shows its last line (tui.app.widgets.output_pane.StreamLog)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.messages import Layout
from textual.widgets import Log

from tui.app.widgets.output_pane import StreamLog

HEIGHT = 8


class LogApp(App):
    CSS = f"Log {{ height: {HEIGHT}; }}"

    def __init__(self, log_class: type[Log]) -> None:
        super().__init__()
        self.log_class = log_class

    def compose(self) -> ComposeResult:
        yield self.log_class(id="log", highlight=False)


def layouts_during(messages: list, start: int) -> int:
    return sum(1 for message in messages[start:] if isinstance(message, Layout))


async def write_lines(pilot, log: Log, first: int, count: int) -> None:
    for number in range(first, first + count):
        log.write(f"line {number} ")
        log.write("of the answer\n")  # a line arrives in pieces, like tokens
        await pilot.pause()


async def test_overflowing_shows_the_scrollbar_follows_the_end_and_draws_the_last_line():
    app = LogApp(StreamLog)
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one("#log", Log)
        await write_lines(pilot, log, 0, 30)
        await pilot.pause()
        assert log.show_vertical_scrollbar
        assert log.vertical_scrollbar.window_virtual_size == log.virtual_size.height == 30
        assert log.scroll_offset.y == log.max_scroll_y == 30 - (HEIGHT - log.scrollbar_size_horizontal)
        last_row = log.render_line(log.scrollable_content_region.height - 1).text
        assert last_row.startswith("line 29 of the answer")


@pytest.mark.parametrize(("log_class", "lays_out"), [(Log, True), (StreamLog, False)])
async def test_new_lines_lay_out_the_screen_only_with_a_plain_log(log_class, lays_out):
    messages: list = []
    app = LogApp(log_class)
    async with app.run_test(size=(60, 20), message_hook=messages.append) as pilot:
        log = app.query_one("#log", Log)
        await write_lines(pilot, log, 0, 20)  # past the first screenful: the scrollbar is there
        await pilot.pause()
        start = len(messages)
        await write_lines(pilot, log, 20, 10)
        await pilot.pause()
        assert (layouts_during(messages, start) > 0) is lays_out
        assert log.line_count == 30
        assert log.scroll_offset.y == log.max_scroll_y


@pytest.mark.parametrize("log_class", [Log, StreamLog])
async def test_after_clearing_a_new_answer_starts_at_the_top(log_class):
    app = LogApp(log_class)
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one("#log", Log)
        await write_lines(pilot, log, 0, 30)
        log.clear()
        await write_lines(pilot, log, 100, 3)
        await pilot.pause()
        assert log.scroll_offset.y == 0
        assert log.render_line(0).text.startswith("line 100 of the answer")
        assert log.render_line(2).text.startswith("line 102 of the answer")
