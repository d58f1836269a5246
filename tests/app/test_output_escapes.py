"""The output pane shows a model's answer without its escape sequences (Textual's Log would pass
them to the terminal: a screen clear, a clipboard write), even when a sequence is split across
streamed chunks; the answer itself is kept exactly."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.app.widgets.output_pane import OutputPane

CHUNKS = ["def f():\n    return 1\x1b]52;c;cHdu", "ZWQ=\x07  # done\x1b[", "2J\n", "print(f())\n"]


class PaneApp(App):
    def compose(self) -> ComposeResult:
        yield OutputPane(id="pane")


async def test_an_answer_streams_into_the_pane_without_escape_sequences():
    app = PaneApp()
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.query_one(OutputPane)
        pane.begin("answer", tokens=True)
        for chunk in CHUNKS:
            pane.feed(chunk)
            pane.flush()  # each chunk written on its own, as a slow stream would be
        pane.finish()
        await pilot.pause()
        assert pane.text == "def f():\n    return 1  # done\nprint(f())\n"
        assert pane.answer_text == "".join(CHUNKS)
