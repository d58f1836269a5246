"""A runbook tree's nodes and drawn lines, taken away while a filter shows and put back when it is
cleared (rebuilding 10,000 task nodes would cost a second)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.app.widgets.runbook_tree import RunbookTree


class BuiltTree:
    """A tree's nodes and drawn lines, taken away to be shown again later."""

    def __init__(self, tree: RunbookTree) -> None:
        self.shape = tree._shape
        self.root = tree.root
        self.task_nodes = tree._task_nodes
        self.group_nodes = tree._group_nodes
        self.lines = tree._tree_lines_cached
        self.virtual_size = tree.virtual_size
        self.next_id = tree._current_id

    def nodes(self):
        yield self.root
        yield from self.group_nodes
        yield from self.task_nodes.values()
