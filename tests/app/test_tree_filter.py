"""The runbook tree's filter on its own: narrowing searches only the last matches yet shows exactly
what a plain search would, widening brings rows back, and a burst of keystrokes rebuilds once."""

from __future__ import annotations

import random

from rich.style import Style
from textual.app import App, ComposeResult

from tui.app.themes import theme_defaults
from tui.app.widgets.runbook_tree import RunbookRows, RunbookTree, TaskRow


class TreeApp(App):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_defaults(self.current_theme)

    def compose(self) -> ComposeResult:
        yield RunbookTree(id="tree")


def rows(count: int, seed: int = 7) -> list[TaskRow]:
    pick = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "Parser", "writer"]
    return [
        TaskRow(
            key=(0, f"t{i}"),
            name=f"{pick.choice(words)} {pick.choice(words)} {i}",
            group=f"{pick.choice(words)}/{pick.choice(words)}",
            type=pick.choice(["AI_ASSISTED", "MANUAL"]),
            status="READY",
        )
        for i in range(count)
    ]


def plain_search(all_rows: list[TaskRow], text: str) -> list[tuple[int, str]]:
    needle = text.strip().lower()
    return [
        row.key
        for row in all_rows
        if any(needle in field.lower() for field in (row.key[1], row.name, row.group, row.type))
    ]


def shown(tree: RunbookTree) -> list[tuple[int, str]]:
    return list(tree._task_nodes)


async def test_typing_and_erasing_shows_what_a_plain_search_would():
    all_rows = rows(400)
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RunbookTree)
        tree.show_runbooks([RunbookRows(0, "book", all_rows)])
        typed = "alpha PA"  # narrows, then a space and a capital that still match across fields' case
        texts = [typed[:n] for n in range(1, len(typed) + 1)] + [
            typed[:n] for n in range(len(typed) - 1, -1, -1)
        ]
        texts += ["beta", "gamma", "t1", "man", "zzz", ""]  # unrelated filters: no narrowing shortcut
        for text in texts:
            tree.set_filter(text)
            await pilot.pause()
            assert tree.settled
            assert shown(tree) == plain_search(all_rows, text), text


async def test_a_needle_cannot_span_two_fields():
    row = TaskRow(key=(0, "ab"), name="cd", group="", type="MANUAL", status="READY")
    assert row.matches("AB") and row.matches("d")
    assert not row.matches("bc")


async def test_a_burst_of_keystrokes_rebuilds_the_tree_once():
    all_rows = rows(200)
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RunbookTree)
        tree.show_runbooks([RunbookRows(0, "book", all_rows)])
        await pilot.pause()
        builds = []
        original = tree.show_runbooks
        tree.show_runbooks = lambda *a, **k: (builds.append(tree.filter_text), original(*a, **k))[1]
        for n in range(1, 6):
            tree.set_filter("gamma"[:n])  # all before the tree gets to run its queue
        assert not tree.settled
        await pilot.pause()
        assert builds == ["gamma"]
        assert shown(tree) == plain_search(all_rows, "gamma")


async def test_a_filter_that_keeps_every_row_does_not_rebuild():
    all_rows = rows(50)
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RunbookTree)
        tree.show_runbooks([RunbookRows(0, "book", all_rows)])
        await pilot.pause()
        builds = []
        original = tree.show_runbooks
        tree.show_runbooks = lambda *a, **k: (builds.append(tree.filter_text), original(*a, **k))[1]
        tree.set_filter("t")  # every id starts with t
        await pilot.pause()
        assert builds == [] and len(shown(tree)) == 50


def lines_text(tree: RunbookTree) -> list[str]:
    return [tree.render_line(y).text for y in range(tree.size.height)]


async def test_a_status_change_redraws_its_row_without_rebuilding_the_tree():
    all_rows = rows(300)
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RunbookTree)
        tree.show_runbooks([RunbookRows(0, "book", all_rows)])
        await pilot.pause()
        nodes = dict(tree._task_nodes)
        target = next(line.node.data for line in tree._tree_lines if isinstance(line.node.data, TaskRow))
        done = TaskRow(target.key, target.name, target.group, target.type, "PENDING", blocked_by=("t1",))
        changed = [done if row.key == target.key else row for row in all_rows]
        tree.show_runbooks([RunbookRows(0, "book", changed)])
        await pilot.pause()
        assert all(tree._task_nodes[key] is node for key, node in nodes.items())  # the same nodes
        line = next(text for text in lines_text(tree) if target.name in text)
        assert "○" in line and "waits for t1" in line
        widest = max(
            tree.get_label_width(line.node) + line._get_guide_width(tree.guide_depth, tree.show_root)
            for line in tree._tree_lines
        )
        assert tree.virtual_size.width == widest  # what a full build would have measured


async def test_a_task_that_moves_group_rebuilds_the_tree():
    all_rows = rows(40)
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RunbookTree)
        tree.show_runbooks([RunbookRows(0, "book", all_rows)])
        await pilot.pause()
        moved = TaskRow(all_rows[0].key, all_rows[0].name, "elsewhere", "MANUAL", "READY")
        tree.show_runbooks([RunbookRows(0, "book", [moved, *all_rows[1:]])])
        await pilot.pause()
        groups = [
            str(line.node.label) for line in tree._tree_lines if not isinstance(line.node.data, TaskRow)
        ]
        assert "elsewhere" in groups and tree.row(moved.key) == moved


async def test_a_label_width_is_the_width_of_the_drawn_label():
    statuses = ["READY", "PENDING", "INTERRUPTED", "DONE", "ERROR", "SKIPPED", "RUNNING"]
    sample = [
        TaskRow((0, f"w{i}"), f"naïve 名前 {i}", "g", kind, status, blocked_by=("a", "b"))
        for i, (status, kind) in enumerate(
            (s, k) for s in statuses for k in ("AI_ASSISTED", "MANUAL", "AUTOMATED_SCRIPT", "OTHER")
        )
    ]
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RunbookTree)
        tree.show_runbooks([RunbookRows(0, "book", sample)])
        await pilot.pause()
        for node in tree._task_nodes.values():
            drawn = tree.render_label(node, Style(), Style())
            assert tree.get_label_width(node) == drawn.cell_len, node.data


async def test_clearing_the_filter_shows_the_unfiltered_nodes_again_with_what_changed_meanwhile():
    all_rows = rows(300)
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RunbookTree)
        book = [RunbookRows(0, "book", all_rows)]
        tree.show_runbooks(book)
        await pilot.pause()
        before = dict(tree._task_nodes)
        tree.set_filter("gamma")
        await pilot.pause()
        filtered = shown(tree)
        assert 0 < len(filtered) < len(all_rows)
        # While filtered: a status changes, and a group is closed.
        key = filtered[0]
        row = tree.row(key)
        done = TaskRow(row.key, row.name, row.group, row.type, "DONE")
        book = [RunbookRows(0, "book", [done if r.key == key else r for r in all_rows])]
        tree.show_runbooks(book)
        group = tree._task_nodes[key].parent
        group.collapse()
        await pilot.pause()
        tree.set_filter("")
        await pilot.pause()
        assert shown(tree) == [r.key for r in all_rows]
        assert all(tree._task_nodes[k] is node for k, node in before.items())  # not rebuilt
        assert tree.row(key).status == "DONE"
        closed = [n for n in tree._group_nodes if n.data.path == group.data.path]
        assert closed and not closed[0].is_expanded
        assert [line.node for line in tree._tree_lines] == [line.node for line in _fresh_lines(tree)]
        assert tree.get_node_by_id(tree._task_nodes[key].id) is tree._task_nodes[key]


def _fresh_lines(tree: RunbookTree):
    """The lines a full rebuild of the current nodes would make."""
    tree._tree_lines_cached = None
    return tree._tree_lines
