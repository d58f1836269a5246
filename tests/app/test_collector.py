"""A loaded runbook is set aside from full collections (frozen), and what a reload or a closed
review replaces is collected, never kept frozen for the rest of the session."""

from __future__ import annotations

import gc

from app.pilot_helpers import main_screen, make_app, settle, wait_for
from app.test_live_reload import SIZE, rename_task


async def test_the_loaded_runbook_is_frozen_and_a_reload_lets_the_old_one_go(demo):
    app = make_app(demo, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        Task = type(screen.sessions[0].runbook.task("release_notes"))
        rename_task(demo / "runbook.yaml", "Write the release notes", "Write the release notes (edited)")
        await wait_for(pilot, lambda: screen.tree.row((0, "release_notes")).name.endswith("(edited)"))
        await settle(pilot)
        assert gc.get_freeze_count() > 0  # the new runbook is set aside again
        gc.unfreeze()  # get_objects() does not list frozen objects
        try:
            names = [o.name for o in gc.get_objects() if type(o) is Task and o.id == "release_notes"]
        finally:
            gc.freeze()
        # The old task was collected at the reload, not kept (leaked) in the frozen generation.
        assert names == ["Write the release notes (edited)"]


def _tracked(obj) -> bool:
    """Whether full collections walk `obj` (frozen objects are left out of gc.get_objects())."""
    return any(o is obj for o in gc.get_objects())


async def test_the_trees_nodes_are_set_aside_with_the_runbook_also_after_a_reload(demo):
    """10,000 tree nodes walked by every full collection were a 0.2-0.4 s pause mid-keystroke."""
    app = make_app(demo, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        node = screen.tree._task_nodes[(0, "release_notes")]
        assert not _tracked(node)
        rename_task(demo / "runbook.yaml", "Write the release notes", "Write the release notes (edited)")
        await wait_for(pilot, lambda: screen.tree.row((0, "release_notes")).name.endswith("(edited)"))
        await settle(pilot)
        assert not _tracked(screen.tree._task_nodes[(0, "release_notes")])
