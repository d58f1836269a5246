"""`n` moves to the next READY task after the cursor, in the tree's order, wrapping around."""

from __future__ import annotations

from app.pilot_helpers import main_screen, make_app, settle
from tui.app.widgets.task_browser import tree_order

SIZE = (120, 40)


def test_tree_order_puts_each_group_where_its_first_task_is():
    tasks = [((0, "a"), "G1"), ((0, "b"), "G2"), ((0, "c"), "G1/inner"), ((0, "d"), ""), ((0, "e"), "G1")]
    # G1 holds a, then its subgroup inner (c), then e; G2 (b) comes after G1; d sits at the top.
    assert tree_order(tasks) == [(0, "a"), (0, "c"), (0, "e"), (0, "b"), (0, "d")]


async def test_n_moves_past_the_selected_ready_task_and_wraps_around(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.selected_key == (0, "add_type_hints")  # the first READY task, selected at start
        await pilot.press("n")
        await settle(pilot, lambda: screen.selected_key == (0, "document_usage"))
        await pilot.press("n")  # no READY task after it: back to the first one
        await settle(pilot, lambda: screen.selected_key == (0, "add_type_hints"))


async def test_n_follows_the_tree_not_the_runbook_order(demo):
    (demo / "order.yaml").write_text(
        "name: order\nworkdir: project\ntasks:\n"
        + "".join(
            f"  - id: {task_id}\n    name: {task_id}\n{group}    type: MANUAL\n"
            f"    manual_instructions: do it\n"
            for task_id, group in [
                ("a", "    group: G1\n"),
                ("b", "    group: G2\n"),
                ("c", "    group: G1\n"),
                ("d", ""),
            ]
        )
    )
    from tui.app.app import PatchbayApp
    from tui.runner import Session

    app = PatchbayApp([Session(demo / "order.yaml", replay_rate=0)], watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.selected_key == (0, "a")
        seen = []
        for _ in range(4):
            before = screen.selected_key
            await pilot.press("n")
            await settle(pilot, lambda before=before: screen.selected_key != before)
            seen.append(screen.selected_key[1])
        assert seen == ["c", "b", "d", "a"]  # G1 lists a and c together, G2 then, d last
