"""One line under the panes: the model and its backend, load progress, the working tree and git branch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

if TYPE_CHECKING:
    from tui.engine.pool import PoolSnapshot


class StatusLine(Horizontal):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; }
    StatusLine > #status-model { width: auto; padding: 0 1; color: $text-accent; }
    StatusLine > #status-pool { width: auto; padding: 0 1; display: none; }
    StatusLine > #status-pool.pool { display: block; }
    StatusLine > #status-progress { width: 30; display: none; }
    StatusLine > #status-progress.loading { display: block; }
    StatusLine > #status-message { width: 1fr; padding: 0 1; color: $text-muted; }
    StatusLine > #status-tree { width: auto; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="status-model")
        yield Static("", id="status-pool")
        yield Static("", id="status-message")
        yield Static("", id="status-tree")

    def show_model(self, description: str) -> None:
        self.query_one("#status-model", Static).update(description)

    _pool_timer = None

    def follow_pool(self, snapshot: Callable[[], PoolSnapshot]) -> None:
        """Servers up/total and the streams on each, read twice a second (a snapshot is a few
        counters under the pool's lock; streams start and end in worker threads)."""
        if self._pool_timer is not None:
            self._pool_timer.stop()

        def show() -> None:
            self.query_one("#status-pool", Static).update(snapshot().label())

        self.query_one("#status-pool", Static).add_class("pool")
        show()
        self._pool_timer = self.set_interval(0.5, show)

    def show_tree(self, workdir: str, branch: str | None) -> None:
        self.query_one("#status-tree", Static).update(f"{workdir}  {branch}" if branch else workdir)

    _pending = None  # the timer watching a message that lasts until something is over

    def show_message(self, text: str) -> None:
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        self.query_one("#status-message", Static).update(text)

    def show_until(self, text: str, over: Callable[[], bool]) -> None:
        """A message that leaves once `over()` holds ("cancelling…" until the cancel has finished).

        The screen's many endings of a run all clear its busy flag; checking that flag ten times a
        second spares each of them from having to remember this line."""
        self.show_message(text)

        def check() -> None:
            if over():
                self.show_message("")

        self._pending = self.set_interval(0.1, check)

    def show_progress(self, step: int, total: int, text: str) -> None:
        from textual.widgets import ProgressBar

        # Mounted with the first progress to show: the first frame has none to draw.
        found = self.query("#status-progress")
        if found:
            bar = found.only_one(ProgressBar)
            bar.update(total=max(total, 1), progress=step)
        else:
            bar = ProgressBar(max(total, 1), id="status-progress", show_eta=False, show_percentage=True)
            bar.progress = step
            self.mount(bar, after="#status-pool")
        bar.add_class("loading")
        self.show_message(text)

    def hide_progress(self) -> None:
        self.query("#status-progress").remove_class("loading")
        self.show_message("")
