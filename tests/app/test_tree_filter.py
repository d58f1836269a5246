"""The runbook tree's filter on its own: narrowing searches only the last matches yet shows exactly
what a plain search would, widening brings rows back, and a burst of keystrokes rebuilds once."""

from __future__ import annotations

import random

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
