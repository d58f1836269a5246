"""A status change on a big runbook refreshes the tree without new rows or nodes for what did not
change: new objects for every task after each write kept the collector's full passes coming."""

from __future__ import annotations

from app.pilot_helpers import main_screen, make_app, settle


async def test_rows_that_did_not_change_are_the_same_objects_and_nodes(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        session = screen.sessions[0]
        before = {row.key: row for row in screen.task_rows(0)}
        nodes = dict(screen.tree._task_nodes)
        first = session.next_ready()
        first.status = "DONE"  # in memory, as the runner leaves it after a write
        after = {row.key: row for row in screen.task_rows(0)}
        changed = {key for key in after if after[key] is not before[key]}
        assert (0, first.id) in changed and after[(0, first.id)].status == "DONE"
        assert all(after[key] == before[key] for key in after if key not in changed)
        assert all(after[key] != before[key] for key in changed)
        assert len(changed) < len(after)
        screen.refresh_tree()
        await settle(pilot)
        assert all(screen.tree._task_nodes[key] is node for key, node in nodes.items())
        assert screen.tree.row((0, first.id)).status == "DONE"
