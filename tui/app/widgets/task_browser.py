"""The left pane: the filter box, the banner of runbooks that fail to load, and the runbook tree.

It owns what the tree lists (rows built from the sessions, see `tree_rows`), the filter, and
finding the next READY task. Which tasks run now is the screen's answer, passed in as `is_active`.

The first frame shows the runbook's skeleton as plain text (`SkeletonView`): the tree widget,
its styles and the filter box cost more than the rest of that frame, so they are imported and
mounted right after it (`mount_tree`), and the tree shows the same skeleton until the load ends.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.containers import Vertical
from textual.widgets import Input

from tui.app.widgets.runbook_banner import RunbookBanner
from tui.app.widgets.skeleton_view import SkeletonView

if TYPE_CHECKING:
    from tui.app.skeleton import Skeleton
    from tui.app.widgets.runbook_tree import RunbookTree, TaskKey
    from tui.session import Session


class TaskBrowser(Vertical):
    def __init__(self, sessions: list[Session], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sessions = sessions  # the screen's list, filled in place once loaded
        self._skeleton: Skeleton | None = None
        self._changed: dict[int, set[str]] = {}  # tasks announced since the tree last showed them

    def compose(self):
        yield RunbookBanner(id="banner")
        yield SkeletonView(id="skeleton")

    async def mount_tree(self) -> None:
        """After the first frame: the filter box (hidden) and the tree, showing the skeleton."""
        from tui.app.widgets.runbook_tree import RunbookTree

        box = Input(placeholder="filter tasks (escape clears)", id="filter")
        box.display = False
        tree = RunbookTree(id="tree")
        await self.mount(box, before=self.banner)
        await self.mount(tree)
        if self._skeleton is not None:
            tree.show_skeleton(self._skeleton.name, self._skeleton.groups, self._skeleton.tasks)
        await self.query_one(SkeletonView).remove()
        tree.focus()

    @property
    def tree(self) -> RunbookTree:
        return self.query_one("#tree")  # type: ignore[return-value]  # RunbookTree, imported late

    @property
    def banner(self) -> RunbookBanner:
        return self.query_one("#banner", RunbookBanner)

    def show_skeleton(self, runbook: object) -> None:
        """Before the sessions load: the task names read quickly from the runbook's files."""
        from tui.app.skeleton import scan

        self._skeleton = scan(runbook) if isinstance(runbook, Path) else None
        if self._skeleton is not None:
            self.query_one(SkeletonView).show(self._skeleton)

    def show(self, is_active: Callable[[TaskKey], bool]) -> None:
        """List every session's tasks as they are now."""
        from tui.app.widgets.tree_rows import runbook_rows

        self._changed.clear()
        self.tree.show_runbooks(runbook_rows(self.sessions, self.banner.errors, is_active, self.tree.row))

    def task_changed(self, key: TaskKey) -> None:
        """A task's status (or whether it runs) changed: `show_changed` redraws it and its dependents."""
        self._changed.setdefault(key[0], set()).add(key[1])

    def show_changed(self, is_active: Callable[[TaskKey], bool]) -> None:
        """Redraw the tasks announced since the last call, and their dependents, and no others."""
        from tui.app.widgets.tree_rows import changed_rows

        changed, self._changed = self._changed, {}
        for index, task_ids in changed.items():
            if index < len(self.sessions):
                rows = changed_rows(self.sessions[index], index, task_ids, is_active, self.tree.row)
                self.tree.update_rows(rows)

    # -- the filter ---------------------------------------------------------------------------------
    @property
    def filtering(self) -> bool:
        boxes = self.query("#filter")
        return bool(boxes and boxes.first().display)

    @property
    def typing_filter(self) -> bool:
        return self.filtering and self.screen.focused is self.query_one("#filter")

    def open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        # Focused now, not after a refresh as `focus()` does: the keys already typed after `/`
        # must reach the box, not the tree or the task keys.
        self.screen.set_focus(box)

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
        """Move to the first READY task after the cursor in the tree's order, wrapping around at the
        end (clearing a filter that hides it); False when no task is READY."""
        from tui.runbook.graph import statuses

        order: list[TaskKey] = []
        ready: set[TaskKey] = set()
        for index, session in enumerate(self.sessions):
            known = statuses(session.runbook)  # one pass over the runbook, not one per task
            tasks = [((index, task.id), task.group or "") for task in session.runbook.tasks]
            order.extend(tree_order(tasks))
            ready.update((index, task_id) for task_id, (status, _) in known.items() if status == "READY")
        selected = self.tree.selected_key
        start = order.index(selected) + 1 if selected in order else 0
        target = next((key for key in order[start:] + order[:start] if key in ready), None)
        if target is None:
            return False
        if not self.tree.select_task(target):
            self.clear_filter()
            self.tree.select_task(target)
        self.tree.focus()
        return True


def tree_order(tasks: list[tuple[TaskKey, str]]) -> list[TaskKey]:
    """The order the tree lists one runbook's tasks in: (key, group) in runbook order, each group
    (`a/b` nests b in a) placed where its first task is, its tasks together under it."""
    top: list = []
    groups: dict[str, list] = {}
    for key, group in tasks:
        children, path = top, ""
        for part in (p.strip() for p in group.split("/")):
            if not part:
                continue
            path = f"{path}/{part}" if path else part
            if path not in groups:
                groups[path] = []
                children.append(groups[path])
            children = groups[path]
        children.append(key)

    def walk(children: list) -> list[TaskKey]:
        keys: list[TaskKey] = []
        for child in children:
            keys.extend(walk(child) if isinstance(child, list) else [child])
        return keys

    return walk(top)
