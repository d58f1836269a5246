"""The left pane: the filter box, the banner of runbooks that fail to load, and the runbook tree.

It owns what the tree lists (rows built from the sessions, see `tree_rows`), the filter, and
finding the next READY task. Which tasks run now is the screen's answer, passed in as `is_active`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.containers import Vertical
from textual.widgets import Input

from tui.app.widgets.runbook_banner import RunbookBanner
from tui.app.widgets.runbook_tree import RunbookTree, TaskKey
from tui.app.widgets.tree_rows import runbook_rows

if TYPE_CHECKING:
    from tui.session import Session


class TaskBrowser(Vertical):
    def __init__(self, sessions: list[Session], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sessions = sessions  # the screen's list, filled in place once loaded

    def compose(self):
        yield Input(placeholder="filter tasks (escape clears)", id="filter")
        yield RunbookBanner(id="banner")
        yield RunbookTree(id="tree")

    def on_mount(self) -> None:
        self.query_one("#filter").display = False

    @property
    def tree(self) -> RunbookTree:
        return self.query_one("#tree", RunbookTree)

    @property
    def banner(self) -> RunbookBanner:
        return self.query_one("#banner", RunbookBanner)

    def show_skeleton(self, runbook: object) -> None:
        """Before the sessions load: the task names read quickly from the runbook's files."""
        from tui.app.skeleton import scan

        skeleton = scan(runbook) if isinstance(runbook, Path) else None
        if skeleton is not None:
            self.tree.show_skeleton(skeleton.name, skeleton.groups, skeleton.tasks)

    def show(self, is_active: Callable[[TaskKey], bool]) -> None:
        """List every session's tasks as they are now."""
        self.tree.show_runbooks(runbook_rows(self.sessions, self.banner.errors, is_active, self.tree.row))

    # -- the filter ---------------------------------------------------------------------------------
    @property
    def filtering(self) -> bool:
        return bool(self.query_one("#filter").display)

    def open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.tree.set_filter("")
        self.tree.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.tree.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.tree.focus()

    # -- navigation ---------------------------------------------------------------------------------
    def select_next_ready(self) -> bool:
        """Move to the next READY task, from the selected runbook on (clearing a filter that hides it)."""
        selected = self.tree.selected_key
        start = selected[0] if selected else 0
        for index in list(range(start, len(self.sessions))) + list(range(0, start)):
            task = self.sessions[index].next_ready()
            if task is not None:
                if not self.tree.select_task((index, task.id)):
                    self.clear_filter()
                    self.tree.select_task((index, task.id))
                self.tree.focus()
                return True
        return False
