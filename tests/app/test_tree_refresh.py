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


async def test_a_status_change_redraws_its_task_and_dependents_without_walking_every_task(demo, monkeypatch):
    """On 10,000 tasks a walk of every task after each status write was a visible stall."""
    from tui.runbook import graph

    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        before = {key: screen.tree.row(key) for key in screen.tree._task_nodes}
        walks: list[int] = []
        real = graph.statuses
        monkeypatch.setattr(graph, "statuses", lambda runbook: (walks.append(1), real(runbook))[1])
        screen.run_panel.mark_done(screen.sessions[0], "add_type_hints")
        await settle(pilot, lambda: screen.tree.row((0, "add_median")).status == "READY")
        assert walks == []
        changed = {key[1] for key in before if screen.tree.row(key) is not before[key]}
        # the task, the dependents it unblocked, and one that now waits for one task fewer
        assert changed == {"add_type_hints", "add_median", "lint_check", "add_top_words"}
        assert screen.tree.row((0, "add_type_hints")).status == "DONE"
        assert screen.tree.row((0, "lint_check")).status == "READY"
        assert screen.tree.row((0, "add_top_words")).blocked_by == ("add_median",)
        assert screen.tree._task_nodes[(0, "add_median")].data is screen.tree.row((0, "add_median"))


async def test_a_status_change_under_a_filter_shows_once_the_filter_is_cleared(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        await pilot.press("slash", *"add_")
        await settle(pilot, lambda: screen.tree.settled and screen.tree.filter_text == "add_")
        assert screen.tree.row((0, "lint_check")) is None  # hidden by the filter
        screen.run_panel.mark_done(screen.sessions[0], "add_type_hints")
        await settle(pilot, lambda: screen.tree.row((0, "add_median")).status == "READY")
        await pilot.press("m")  # narrowing the filter keeps the new rows
        await settle(pilot, lambda: screen.tree.settled and screen.tree.filter_text == "add_m")
        assert screen.tree.row((0, "add_median")).status == "READY"
        await pilot.press("escape")
        await settle(pilot, lambda: screen.tree.filter_text == "")
        assert screen.tree.row((0, "lint_check")).status == "READY"
        assert screen.tree.row((0, "add_type_hints")).status == "DONE"
        assert screen.tree.row((0, "add_top_words")).blocked_by == ("add_median",)


async def test_a_status_change_that_leaves_the_keys_as_they_were_does_not_rebuild_the_footer(demo):
    """The footer rebuilds its keys on each refresh of the bindings: tens of ms on a busy machine."""
    import asyncio

    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        screen.tree.select_task((0, "document_usage"))
        await settle(pilot, lambda: screen.selected_key == (0, "document_usage"))
        rebuilt: list[object] = []
        screen.bindings_updated_signal.subscribe(screen, rebuilt.append)
        session = screen.sessions[0]
        # another task's status changes: the keys offered for the selected one stay the same
        await asyncio.to_thread(session.write_status, "add_type_hints", "SKIPPED", event=None)
        await settle(pilot, lambda: screen.tree.row((0, "add_median")).status == "READY")
        assert rebuilt == []
        await pilot.press("down")  # another task selected: other keys, so the footer is rebuilt
        await settle(pilot, lambda: screen.selected_key != (0, "document_usage"))
        assert rebuilt
