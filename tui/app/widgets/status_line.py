"""One line under the panes: the model and its backend, load progress, the working tree and git branch."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static


class StatusLine(Horizontal):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; }
    StatusLine > #status-model { width: auto; padding: 0 1; color: $text-accent; }
    StatusLine > #status-progress { width: 30; display: none; }
    StatusLine > #status-progress.loading { display: block; }
    StatusLine > #status-message { width: 1fr; padding: 0 1; color: $text-muted; }
    StatusLine > #status-tree { width: auto; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="status-model")
        yield ProgressBar(id="status-progress", show_eta=False, show_percentage=True)
        yield Static("", id="status-message")
        yield Static("", id="status-tree")

    def show_model(self, description: str) -> None:
        self.query_one("#status-model", Static).update(description)

    def show_tree(self, workdir: str, branch: str | None) -> None:
        self.query_one("#status-tree", Static).update(f"{workdir}  {branch}" if branch else workdir)

    def show_message(self, text: str) -> None:
        self.query_one("#status-message", Static).update(text)

    def show_progress(self, step: int, total: int, text: str) -> None:
        bar = self.query_one("#status-progress", ProgressBar)
        bar.add_class("loading")
        bar.update(total=max(total, 1), progress=step)
        self.show_message(text)

    def hide_progress(self) -> None:
        self.query_one("#status-progress", ProgressBar).remove_class("loading")
        self.show_message("")
