"""A pager for the run log (logs/run_log.jsonl): one event per line, newest at the bottom."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Log, Static


class LogScreen(Screen[None]):
    DEFAULT_CSS = """
    LogScreen > #log-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    LogScreen > Log { height: 1fr; }
    """
    BINDINGS = [Binding("escape,q", "close", "Back", id="log.close")]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        yield Static(str(self.path), id="log-title")
        yield Log(id="log-lines", highlight=True, auto_scroll=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Log).focus()
        self.read_log()

    @work(thread=True, exit_on_error=False)
    def read_log(self) -> None:
        """A long log is read off the event loop; the screen draws meanwhile."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            text = f"The run log cannot be read: {exc.strerror or exc}."
        self.app.call_from_thread(
            self.query_one(Log).write, text or "The run log is empty: nothing has run yet."
        )

    def action_close(self) -> None:
        self.dismiss(None)
