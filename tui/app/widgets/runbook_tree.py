"""The runbook tree: runbooks → groups ("/" nests) → tasks, each with its status symbol and colour.

The widget only shows rows it is given (`TaskRow`s built by the screen from the runner's session);
it knows nothing about running tasks. Rebuilding keeps the selection and the expanded groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

TaskKey = tuple[int, str]  # (runbook index, task id)

# One cell wide in every common terminal font (no emoji), so columns stay aligned over SSH/tmux.
STATUS_SYMBOLS = {
    "READY": "●",
    "RUNNING": "◐",
    "INTERRUPTED": "!",
    "DONE": "✓",
    "ERROR": "✗",
    "SKIPPED": "»",
    "PENDING": "○",
}
TYPE_LABELS = {"AI_ASSISTED": "AI ", "MANUAL": "MAN", "AUTOMATED_SCRIPT": "SCR"}


@dataclass(frozen=True)
class TaskRow:
    key: TaskKey
    name: str
    group: str
    type: str
    status: str  # effective status: READY, PENDING (blocked), RUNNING, INTERRUPTED, DONE, ERROR, SKIPPED
    blocked_by: tuple[str, ...] = ()

    def matches(self, needle: str) -> bool:
        return needle.lower() in self.haystack

    @property
    def haystack(self) -> str:
        """The lower-cased text a filter searches (id, name, group, type), joined by a separator
        no filter can span, built once per row: a keystroke on 10,000 tasks must not lower-case them again."""
        cached = self.__dict__.get("_haystack")
        if cached is None:
            cached = "\0".join(text.lower() for text in (self.key[1], self.name, self.group, self.type))
            object.__setattr__(self, "_haystack", cached)
        return cached


@dataclass(frozen=True)
class GroupRef:
    runbook_index: int
    path: str  # "" for the runbook node itself


@dataclass
class RunbookRows:
    index: int
    name: str
    rows: Sequence[TaskRow]
    error: str | None = None  # shown beside the runbook name while its YAML is invalid
    extra: dict = field(default_factory=dict)


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
        self._filter = ""
        self._runbooks: list[RunbookRows] = []
        self._moving_to: TaskKey | None = None  # where a scheduled cursor move is headed
        # The rows the current filter matched, per runbook: a longer filter that contains the last
        # one can only match a subset, so a keystroke searches these, not every task.
        self._matched: list[list[TaskRow]] = []
        self._matched_for: str | None = None
        self._filter_due = False  # a filter keystroke is waiting to be applied

    # -- building --------------------------------------------------------------------------------
    def show_runbooks(self, runbooks: list[RunbookRows], *, keep: TaskKey | None = None) -> None:
        """Show these runbooks; the cursor stays on `keep` (or on the task it was on)."""
        if keep is None:
            # A move scheduled by the last rebuild may not have happened yet: the cursor line then
            # still points into the old tree, so the task it is about to reach is the one to keep.
            keep = self._moving_to or self.selected_key
        self._remember_collapsed()
        if runbooks is not self._runbooks:
            self._matched_for = None  # new rows: the last matches say nothing about them
        self._runbooks = runbooks
        matched = self._match(runbooks)
        self.clear()
        self._task_nodes = {}
        single = len(runbooks) == 1
        for runbook, rows in zip(runbooks, matched, strict=True):
            parent = self.root
            if not single or runbook.error:
                parent = self._add_branch(self.root, runbook.index, "", self._runbook_label(runbook, single))
            groups: dict[str, TreeNode] = {}
            for row in rows:
                node = self._group_node(parent, groups, runbook.index, row.group)
                self._task_nodes[row.key] = node.add_leaf(self._task_label(row), data=row)
        target = self._task_nodes.get(keep) if keep else None
        if target is None and self._task_nodes:
            target = next(iter(self._task_nodes.values()))
        if target is not None:
            # the tree lines are rebuilt lazily; move once they exist
            self._moving_to = target.data.key if isinstance(target.data, TaskRow) else None
            self.call_after_refresh(self._move_to, target)

    def show_skeleton(self, name: str, groups: Sequence[str], tasks: int) -> None:
        """Before the load: the runbook's name, its top-level groups and how many tasks are coming."""
        self.clear()
        self._task_nodes = {}
        # No GroupRef data: these nodes must not count as groups the user collapsed.
        top = self.root.add(Text(name, style="bold"), expand=True)
        top.add_leaf(Text(f"loading {tasks:,} tasks…", style="italic"))
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
        return parent.add(label, data=GroupRef(index, path), expand=expand)

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
        for node in self._walk(self.root):
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
        status = data.status
        status_style = self.get_component_rich_style(f"runbook-tree--{status.lower()}", partial=True)
        text = Text.assemble(
            (STATUS_SYMBOLS.get(status, "?") + " ", status_style),
            (
                TYPE_LABELS.get(data.type, data.type[:3]) + " ",
                self.get_component_rich_style("runbook-tree--type"),
            ),
            (data.name, style),
        )
        waits = self.get_component_rich_style("runbook-tree--waits", partial=True)
        if status == "PENDING" and data.blocked_by:
            text.append(f"  ⧗ waits for {', '.join(data.blocked_by)}", style=waits)
        elif status == "INTERRUPTED":
            text.append("  interrupted (R resets it)", style=status_style)
        return text

    # -- filtering -------------------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        """Filter the tasks; keystrokes that arrive together are applied once, after the last."""
        self._filter = text.strip()
        if not self._filter:
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
        before = self._matched
        matched = self._match(self._runbooks)
        if len(before) == len(matched) and all(
            old is new or (len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True)))
            for old, new in zip(before, matched, strict=True)
        ):
            return  # the same rows as shown (typing "t" when every id has one): nothing to redraw
        self.show_runbooks(self._runbooks)

    def _match(self, runbooks: list[RunbookRows]) -> list[list[TaskRow]]:
        needle = self._filter.lower()
        last = self._matched_for
        if last is not None and last == needle:
            return self._matched
        if last is not None and last in needle:  # narrowing: only the last matches can still match
            pools: list[Sequence[TaskRow]] = self._matched
        else:
            pools = [runbook.rows for runbook in runbooks]
        self._matched = [[row for row in pool if needle in row.haystack] for pool in pools]
        self._matched_for = needle
        return self._matched

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
        return self._filter

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
