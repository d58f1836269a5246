"""Live reload: an external edit of the runbook shows in the tree (selection kept); broken YAML keeps
the last good tree and shows the error with its line until the file is fixed; Patchbay's own writes
are not reloads."""

from __future__ import annotations

from pathlib import Path

from app.pilot_helpers import main_screen, make_app, settle, wait_for
from tui.app.watch import external_changes, is_runbook_file

SIZE = (120, 40)


def test_only_runbook_files_count(tmp_path):
    folder = tmp_path
    assert is_runbook_file(folder, folder / "runbook.yaml")
    assert is_runbook_file(folder, folder / "tasks" / "a.yaml")
    assert is_runbook_file(folder, folder / "prompt_templates" / "x.j2")
    assert not is_runbook_file(folder, folder / "project" / "textkit" / "stats.py")
    assert not is_runbook_file(folder, folder / "logs" / "run_log.jsonl")
    assert not is_runbook_file(folder, folder / ".runbook.yaml.abc.patchbay-tmp")


def test_patchbays_own_writes_are_not_external_changes(demo):
    from tui.runbook.writer import set_task_status

    path = demo / "runbook.yaml"
    set_task_status(path, "document_usage", "SKIPPED")
    assert external_changes(demo, [path]) == []
    path.write_text(path.read_text() + "\n# a comment of the user's\n")
    assert external_changes(demo, [path]) == [path]


def rename_task(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


async def test_external_edit_updates_the_tree_and_keeps_the_selection(demo):
    app = make_app(demo, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        screen.tree.select_task((0, "add_median"))
        await settle(pilot, lambda: screen.selected_key == (0, "add_median"))
        rename_task(demo / "runbook.yaml", "Write the release notes", "Write the release notes (edited)")
        await wait_for(pilot, lambda: screen.tree.row((0, "release_notes")).name.endswith("(edited)"))
        await settle(pilot)
        assert screen.selected_key == (0, "add_median")


async def test_broken_yaml_keeps_the_last_good_tree_until_fixed(demo):
    app = make_app(demo, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        path = demo / "runbook.yaml"
        good = path.read_text()
        path.write_text(good.replace("tasks:\n", "tasks:\n  - id: [broken\n", 1))
        await wait_for(pilot, lambda: 0 in screen.load_errors)
        error = screen.load_errors[0]
        assert "runbook.yaml:" in error  # file and line
        assert screen.query_one("#banner").display
        assert len(screen.tree._task_nodes) == 9  # the last good runbook stays
        path.write_text(good)
        await wait_for(pilot, lambda: 0 not in screen.load_errors)
        await settle(pilot)
        assert not screen.query_one("#banner").display
        assert len(screen.tree._task_nodes) == 9


async def test_a_run_does_not_trigger_a_reload(demo):
    from tui.app import messages as m

    seen: list = []
    app = make_app(demo, watch=True)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        screen.tree.select_task((0, "document_usage"))
        await settle(pilot, lambda: screen.selected_key == (0, "document_usage"))
        await pilot.press("y")
        await settle(pilot, lambda: screen.tree.row((0, "document_usage")).status == "DONE")
        for _ in range(15):  # give the watcher time to (wrongly) report the write
            await pilot.pause(0.02)
    assert not [x.paths for x in seen if isinstance(x, m.RunbookFilesChanged)]


def test_a_write_is_known_as_ours_the_moment_it_lands(demo, monkeypatch):
    """A watcher may read the file right after the rename, before the writer has returned."""
    from tui.runbook import writer

    path = demo / "runbook.yaml"
    seen: list[list[Path]] = []
    real = writer.replace_if_unchanged

    def swap_then_look(target, new, expected):
        swapped = real(target, new, expected)
        seen.append(external_changes(demo, [path]))  # what the watcher would judge just now
        return swapped

    monkeypatch.setattr(writer, "replace_if_unchanged", swap_then_look)
    writer.set_task_status(path, "document_usage", "SKIPPED")
    assert seen == [[]]


async def test_reloads_finish_in_the_order_they_read_so_the_last_edit_decides(demo):
    """A reload of a broken read that ends late must not overwrite the reload of the fixed file."""
    import asyncio
    import threading

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        session, background = screen.sessions[0], screen.background
        path = demo / "runbook.yaml"
        good = path.read_text()
        path.write_text(good.replace("tasks:\n", "tasks:\n  - id: [broken\n", 1))
        first_read, release, second_done = threading.Event(), threading.Event(), threading.Event()
        calls: list[int] = []
        real_reload = session.reload

        def reload() -> None:
            calls.append(len(calls))
            if len(calls) == 1:  # the broken read: its result is held back until the test says
                try:
                    real_reload()
                finally:
                    first_read.set()
                    release.wait(30)
            else:
                real_reload()
                second_done.set()

        session.reload = reload
        attempts: list[int] = []
        lock = background._reload_lock

        class CountingLock:
            def __enter__(self):
                attempts.append(1)
                return lock.__enter__()

            def __exit__(self, *exc):
                return lock.__exit__(*exc)

        background._reload_lock = CountingLock()
        background.reload_session(0)
        assert await asyncio.to_thread(first_read.wait, 30)
        path.write_text(good)
        background.reload_session(0)
        # Let the broken read go once the second reload has finished or waits its turn.
        await wait_for(pilot, lambda: second_done.is_set() or len(attempts) >= 2)
        release.set()
        await settle(pilot, lambda: len(calls) == 2 and second_done.is_set())
        assert 0 not in screen.load_errors
        assert not screen.query_one("#banner").display


def test_bytes_read_just_before_another_write_of_ours_are_not_the_users(demo, monkeypatch):
    """The watcher reads our first write, and our second lands before it judges what it read."""
    from tui.app import watch
    from tui.runbook import writer

    path = demo / "runbook.yaml"
    writer.set_task_status(path, "document_usage", "SKIPPED")
    real = watch.is_own_write
    calls: list[int] = []

    def judged_after_a_newer_write(target, data):
        if not calls:
            writer.set_task_status(path, "document_usage", "DONE")
        calls.append(1)
        return real(target, data)

    monkeypatch.setattr(watch, "is_own_write", judged_after_a_newer_write)
    assert external_changes(demo, [path]) == []
    path.write_text(path.read_text() + "# the user's\n")
    assert external_changes(demo, [path]) == [path]


async def test_a_status_with_its_promotions_is_never_reported_and_the_users_next_edit_is(demo):
    """Our writes (runbook.yaml and three detail files) are known by their bytes and never reach a
    reload: on 10,000 tasks a reload after each write of ours was a visible stall. The user's edit
    right after them is seen, and it is the only change reported."""

    seen: list = []
    app = make_app(demo, watch=True)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        reloads: list[int] = []
        session = screen.sessions[0]
        real_reload = session.reload
        session.reload = lambda: (reloads.append(1), real_reload())[1]
        screen.run_panel.mark_done(session, "add_type_hints")  # DONE, add_median and lint_check READY
        await settle(pilot, lambda: screen.tree.row((0, "add_median")).status == "READY")
        users = demo / "tasks" / "add_cli_flag.yaml"
        users.write_text(users.read_text() + "# the user's note\n")
        await wait_for(pilot, lambda: reloads)  # the user's edit is picked up
        assert reported(seen) == {"add_cli_flag.yaml"}  # and only it: runbook.yaml was ours too
        rename_task(demo / "runbook.yaml", "Write the release notes", "Write the release notes (edited)")
        await wait_for(pilot, lambda: screen.tree.row((0, "release_notes")).name.endswith("(edited)"))
    assert reported(seen) == {"add_cli_flag.yaml", "runbook.yaml"}  # the user's rename after ours


def reported(seen: list) -> set[str]:
    from tui.app import messages as m

    return {Path(path).name for x in seen if isinstance(x, m.RunbookFilesChanged) for path in x.paths}
