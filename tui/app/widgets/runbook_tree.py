"""The runbook tree: runbooks → groups ("/" nests) → tasks, each with its status symbol and colour.

The widget only shows rows it is given (`TaskRow`s built by the screen from the runner's session);
it knows nothing about running tasks. Rebuilding keeps the selection and the expanded groups.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui.app.widgets.built_tree import BuiltTree
from tui.app.widgets.row_filter import RowFilter
from tui.app.widgets.task_row import GroupRef, RunbookRows, TaskKey, TaskRow, label_parts
from tui.plural import counted

__all__ = ["GroupRef", "RunbookRows", "RunbookTree", "TaskKey", "TaskRow"]


class RunbookTree(Tree[TaskRow | GroupRef]):
    """Tasks of one or more runbooks. Posts `TaskHighlighted` / `TaskChosen`."""

    COMPONENT_CLASSES = {
        "runbook-tree--ready",
        "runbook-tree--running",
        "runbook-tree--interrupted",
        "runbook-tree--done",
        "runbook-tree--error",
        "runbook-tree--skipped",
        "runbook-tree--pending",
        "runbook-tree--type",
        "runbook-tree--waits",
        "runbook-tree--group",
    }
    DEFAULT_CSS = """
    RunbookTree > .runbook-tree--ready { color: $status-ready; text-style: bold; }
    RunbookTree > .runbook-tree--running { color: $status-running; text-style: bold; }
    RunbookTree > .runbook-tree--interrupted { color: $status-error; text-style: bold; }
    RunbookTree > .runbook-tree--done { color: $status-done; }
    RunbookTree > .runbook-tree--error { color: $status-error; text-style: bold; }
    RunbookTree > .runbook-tree--skipped { color: $status-skipped; }
    RunbookTree > .runbook-tree--pending { color: $status-pending; }
    RunbookTree > .runbook-tree--type { color: $text-muted; }
    RunbookTree > .runbook-tree--waits { color: $text-muted; text-style: italic; }
    RunbookTree > .runbook-tree--group { text-style: bold; }
    """

    class TaskHighlighted(Message):
        def __init__(self, key: TaskKey | None) -> None:
            super().__init__()
            self.key = key

    class TaskChosen(Message):
        def __init__(self, key: TaskKey) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("runbooks", id=id)
        self.show_root = False
        self.guide_depth = 3
        self.auto_expand = False
        self._task_nodes: dict[TaskKey, TreeNode] = {}
        self._collapsed: set[tuple[int, str]] = set()
        self._rows = RowFilter()  # the filter's text and what it matched
        self._runbooks: list[RunbookRows] = []
        self._moving_to: TaskKey | None = None  # where a scheduled cursor move is headed
        self._filter_due = False  # a filter keystroke is waiting to be applied
        self._shape: tuple | None = None  # what the current nodes were built from (_shape_of)
        self._shape_filter: str | None = None  # and the filter they were built for
        self._group_nodes: list[TreeNode] = []
        self._unfiltered: BuiltTree | None = None  # the last unfiltered build, while a filter shows

    # -- building --------------------------------------------------------------------------------
    def show_runbooks(self, runbooks: list[RunbookRows], *, keep: TaskKey | None = None) -> None:
        """Show these runbooks; the cursor stays on `keep` (or on the task it was on)."""
        if keep is None:
            # A move scheduled by the last rebuild may not have happened yet: the cursor line then
            # still points into the old tree, so the task it is about to reach is the one to keep.
            keep = self._moving_to or self.selected_key
        self._remember_collapsed()
        if runbooks is not self._runbooks:
            self._rows.forget()
        self._runbooks = runbooks
        matched = self._rows.match(runbooks)
        shape = self._shape_of(runbooks, matched)
        if shape == self._shape and self._fits(self._task_nodes, matched):
            self._update_rows(matched)
            if keep is not None and keep != self.selected_key:
                self.select_task(keep)
            return
        if self._shape is not None and self._shape_filter == "":
            self._unfiltered = BuiltTree(self)  # kept for when the filter is cleared
        self._shape, self._shape_filter = shape, self._rows.matched_for
        kept = self._unfiltered
        if (
            self._shape_filter == ""
            and kept is not None
            and kept.shape == shape
            and self._fits(kept.task_nodes, matched)
        ):
            self._restore(kept, matched, keep)
            return
        if not self._shape_filter:
            self._unfiltered = None  # a new unfiltered build replaces the kept one
        self.clear()
        self._task_nodes = {}
        self._group_nodes = []
        single = len(runbooks) == 1
        for runbook, rows in zip(runbooks, matched, strict=True):
            parent = self.root
            if not single or runbook.error:
                parent = self._add_branch(self.root, runbook.index, "", self._runbook_label(runbook, single))
            groups: dict[str, TreeNode] = {}
            for row in rows:
                node = self._group_node(parent, groups, runbook.index, row.group)
                self._task_nodes[row.key] = self._add_quietly(
                    node, self._task_label(row), row, allow_expand=False
                )
        self._invalidate()  # once for the whole build, not once per node as TreeNode.add does
        self._move_after_build(keep)

    def _move_after_build(self, keep: TaskKey | None) -> None:
        target = self._task_nodes.get(keep) if keep else None
        if target is None and self._task_nodes:
            target = next(iter(self._task_nodes.values()))
        if target is not None:
            # the tree lines are rebuilt lazily; move once they exist
            self._moving_to = target.data.key if isinstance(target.data, TaskRow) else None
            self.call_after_refresh(self._move_to, target)

    def _restore(self, built: BuiltTree, matched: list[list[TaskRow]], keep: TaskKey | None) -> None:
        """Show the unfiltered nodes kept from before the filter (clearing it on 10,000 tasks
        was a full rebuild, seconds), with the statuses and collapsed groups of now."""
        self._unfiltered = None
        self.root = built.root
        self._task_nodes = built.task_nodes
        self._group_nodes = built.group_nodes
        for node in built.nodes():  # the filtered build reused these ids for its own nodes
            self._tree_nodes[node._id] = node
        self._current_id = built.next_id
        regrouped = False
        for node in self._group_nodes:  # groups opened or closed while the filter showed
            expanded = (node.data.runbook_index, node.data.path) not in self._collapsed
            if node._expanded != expanded:
                node._expanded = expanded
                regrouped = True
        if regrouped or built.lines is None:
            self._update_rows(matched)
            self._invalidate()
        else:
            self._tree_lines_cached = built.lines
            self._updates += 1
            self._line_cache.clear()
            self.virtual_size = built.virtual_size
            self._update_rows(matched)
            self.refresh()
        self._move_after_build(keep)

    @staticmethod
    def _shape_of(runbooks: list[RunbookRows], matched: list[list[TaskRow]]) -> tuple:
        """What decides the tree's nodes besides its rows' keys and groups (see _fits)."""
        return tuple(
            (runbook.index, runbook.name, runbook.error, len(runbooks), len(rows))
            for runbook, rows in zip(runbooks, matched, strict=True)
        )

    @staticmethod
    def _fits(task_nodes: dict[TaskKey, TreeNode], matched: list[list[TaskRow]]) -> bool:
        """Whether these nodes hold exactly these rows' keys, in order, each in its group: checked
        in place, since 10,000 tuples kept per refresh brought the collector's full passes."""
        nodes = iter(task_nodes.items())
        for rows in matched:
            for row in rows:
                key, node = next(nodes, (None, None))
                if key != row.key or node.data.group != row.group:
                    return False
        return next(nodes, None) is None

    def _update_rows(self, matched: list[list[TaskRow]]) -> None:
        """The same nodes with new rows (a status changed): each changed line is redrawn, the tree is
        not rebuilt; on 10,000 tasks a rebuild is a visible stall after every status write."""
        changed: list[TreeNode] = []
        for rows in matched:
            for row in rows:
                node = self._task_nodes[row.key]
                if node.data is not row and node.data != row:
                    node.data = row
                    node._updates += 1  # part of the key of the line's cached strip
                    changed.append(node)
        self._redraw(changed)

    def update_rows(self, rows: Sequence[TaskRow]) -> None:
        """New rows for a few tasks (their status changed): each takes its old row's place and its
        line is redrawn, without walking the other tasks (on 10,000 tasks every walk after each
        status write was a visible stall). Only statuses change this way: names, groups and the
        set of tasks come with `show_runbooks`."""
        changed: list[TreeNode] = []
        for row in rows:
            if self._rows.replace(self._runbooks, row) is None:
                continue
            node = self._task_nodes.get(row.key)  # None: the filter hides it
            if node is not None and node.data is not row and node.data != row:
                node.data = row
                node._updates += 1
                changed.append(node)
        self._redraw(changed)

    def _redraw(self, changed: list[TreeNode]) -> None:
        if not changed:
            return
        lines = self._tree_lines_cached
        if lines is not None:  # a longer line ("waits for …") widens the scrolling, as a build would
            depth, show_root = self.guide_depth, self.show_root
            widths = [
                self.get_label_width(node) + lines[node._line]._get_guide_width(depth, show_root)
                for node in changed
                if 0 <= node._line < len(lines) and lines[node._line].node is node
            ]
            if widths and max(widths) > self.virtual_size.width:
                self.virtual_size = Size(max(widths), len(lines))
        self.refresh()

    def show_skeleton(self, name: str, groups: Sequence[str], tasks: int) -> None:
        """Before the load: the runbook's name, its top-level groups and how many tasks are coming."""
        self._shape = self._unfiltered = None
        self._group_nodes = []
        self.clear()
        self._task_nodes = {}
        # No GroupRef data: these nodes must not count as groups the user collapsed.
        top = self.root.add(Text(name, style="bold"), expand=True)
        top.add_leaf(Text(f"loading {counted(tasks, 'task')}…", style="italic"))
        for group in groups:
            top.add(group, expand=False, allow_expand=False)

    def _move_to(self, node: TreeNode) -> None:
        self._moving_to = None
        self.move_cursor(node)

    def _runbook_label(self, runbook: RunbookRows, single: bool) -> Text:
        label = Text(runbook.name, style="bold")
        if runbook.error:
            label.append("  ⚠ invalid YAML, showing the last good version", style="bold red")
        return label

    def _add_branch(self, parent: TreeNode, index: int, path: str, label: Text | str) -> TreeNode:
        expand = (index, path) not in self._collapsed
        node = self._add_quietly(parent, label, GroupRef(index, path), expand=expand)
        self._group_nodes.append(node)
        return node

    def _add_quietly(
        self,
        parent: TreeNode,
        label: Text | str,
        data: TaskRow | GroupRef,
        *,
        expand: bool = False,
        allow_expand: bool = True,
    ) -> TreeNode:
        """`parent.add(...)` without its invalidation: TreeNode.add asks for a layout and drops the
        line cache per node, which made a 10,000-task build take a second; show_runbooks
        invalidates once when it is done."""
        node = self._add_node(parent, label, data, expand)
        node._allow_expand = allow_expand
        parent._updates += 1
        parent._children.append(node)
        return node

    def _group_node(self, parent: TreeNode, groups: dict[str, TreeNode], index: int, group: str) -> TreeNode:
        if not group:
            return parent
        path = ""
        node = parent
        for part in (p.strip() for p in group.split("/")):
            if not part:
                continue
            path = f"{path}/{part}" if path else part
            if path not in groups:
                groups[path] = self._add_branch(node, index, path, part)
            node = groups[path]
        return node

    def _remember_collapsed(self) -> None:
        for node in self._group_nodes:
            if isinstance(node.data, GroupRef):
                key = (node.data.runbook_index, node.data.path)
                if node.is_expanded:
                    self._collapsed.discard(key)
                else:
                    self._collapsed.add(key)

    def _walk(self, node: TreeNode):
        for child in node.children:
            yield child
            yield from self._walk(child)

    def _task_label(self, row: TaskRow) -> Text:
        # Built as plain text; colours come from render_label, so a theme switch recolours it.
        return Text(row.name)

    def render_label(self, node: TreeNode, base_style: Style, style: Style) -> Text:
        data = node.data
        if not isinstance(data, TaskRow):
            text = super().render_label(node, base_style, style)
            if isinstance(data, GroupRef) and data.path:
                text.stylize(self.get_component_rich_style("runbook-tree--group", partial=True))
            return text
        symbol, kind, note = label_parts(data)
        status_style = self.get_component_rich_style(f"runbook-tree--{data.status.lower()}", partial=True)
        text = Text.assemble(
            (symbol, status_style),
            (kind, self.get_component_rich_style("runbook-tree--type")),
            (data.name, style),
        )
        if note and data.status == "INTERRUPTED":
            text.append(note, style=status_style)
        elif note:
            text.append(note, style=self.get_component_rich_style("runbook-tree--waits", partial=True))
        return text

    def _on_resize(self, event: events.Resize) -> None:
        # Tree rebuilds every line on a resize (10,000 tasks: a tenth of a second, more than once
        # when the filter box comes and goes); the lines do not depend on the size, only their
        # drawn strips do.
        event.prevent_default()
        self._line_cache.grow(event.size.height)
        self._line_cache.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        # The same for a style change (focus, theme): the drawn strips go, the lines stay.
        ScrollView.notify_style_update(self)
        self._line_cache.clear()
        self.refresh()

    def process_label(self, label: str | Text) -> Text:
        # Tree keeps the first line of a copy of every label; a one-line Text is kept as it is
        # (render_label copies it before styling), saving a copy per task on each build.
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    def get_label_width(self, node: TreeNode) -> int:
        # Tree measures every line on each rebuild to size its scrolling; rendering 10,000 styled
        # labels for that took a second. A task's width is known from its text alone.
        data = node.data
        if isinstance(data, TaskRow):
            return data.label_width
        return super().get_label_width(node)

    # -- filtering -------------------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        """Filter the tasks; keystrokes that arrive together are applied once, after the last."""
        self._rows.text = text.strip()
        if not self._rows.text:
            # Clearing is one action, not typing, and callers select a task right after it.
            self._apply_filter()
            return
        if not self._filter_due:
            self._filter_due = True
            # call_later runs after the messages already queued, so a burst of keys (a paste, a fast
            # typist on a busy machine) rebuilds the tree once, for the last text, with no timer delay.
            self.call_later(self._apply_filter)

    def _apply_filter(self) -> None:
        self._filter_due = False
        before = self._rows.matched
        matched = self._rows.match(self._runbooks)
        if len(before) == len(matched) and all(
            old is new or (len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True)))
            for old, new in zip(before, matched, strict=True)
        ):
            return  # the same rows as shown (typing "t" when every id has one): nothing to redraw
        self.show_runbooks(self._runbooks)

    @property
    def shown_count(self) -> int:
        """How many tasks the tree shows (after the filter)."""
        return len(self._task_nodes)

    @property
    def settled(self) -> bool:
        """No filter keystroke is waiting to be applied (the benchmarks wait for this)."""
        return not self._filter_due

    @property
    def filter_text(self) -> str:
        return self._rows.text

    # -- selection -------------------------------------------------------------------------------
    @property
    def selected_key(self) -> TaskKey | None:
        node = self.cursor_node
        if node is not None and isinstance(node.data, TaskRow):
            return node.data.key
        return None

    @property
    def selected_row(self) -> TaskRow | None:
        node = self.cursor_node
        return node.data if node is not None and isinstance(node.data, TaskRow) else None

    def select_task(self, key: TaskKey) -> bool:
        node = self._task_nodes.get(key)
        if node is None:
            return False
        parent = node.parent
        while parent is not None:
            if not parent.is_expanded:  # expand() rebuilds every line even when already open
                parent.expand()
            parent = parent.parent
        self._moving_to = key
        self.call_after_refresh(self._move_to, node)
        return True

    def row(self, key: TaskKey) -> TaskRow | None:
        node = self._task_nodes.get(key)
        return node.data if node is not None else None

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        data = event.node.data
        self.post_message(self.TaskHighlighted(data.key if isinstance(data, TaskRow) else None))

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        data = event.node.data
        if isinstance(data, TaskRow):
            self.post_message(self.TaskChosen(data.key))
        else:
            self._toggle_node(event.node)
