"""The first frame's skeleton of a runbook that is still loading, and the tree that replaces it."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.app.skeleton import scan
from tui.app.themes import theme_defaults
from tui.app.widgets.runbook_tree import RunbookRows, RunbookTree, TaskRow


class TreeApp(App):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_defaults(self.current_theme)

    def compose(self) -> ComposeResult:
        yield RunbookTree(id="tree")


RUNBOOK = """\
name: "Big plan"
tasks:
  - id: a
    name: first
    group: Backend/API
    type: MANUAL
  - {id: b, name: second, group: "Frontend", type: MANUAL}
  - id: c
    name: third
    group: Backend/DB
    type: MANUAL
"""


def test_the_scan_reads_name_top_level_groups_and_count_without_parsing(tmp_path):
    path = tmp_path / "runbook.yaml"
    path.write_text(RUNBOOK)
    skeleton = scan(path)
    assert skeleton is not None
    assert (skeleton.name, skeleton.groups, skeleton.tasks) == ("Big plan", ("Backend", "Frontend"), 3)
    assert scan(tmp_path / "missing.yaml") is None


async def test_the_loaded_tree_replaces_the_skeleton_with_its_groups_open():
    rows = [
        TaskRow(key=(0, "a"), name="first", group="Backend/API", type="MANUAL", status="READY"),
        TaskRow(key=(0, "b"), name="second", group="Frontend", type="MANUAL", status="READY"),
    ]
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RunbookTree)
        tree.show_skeleton("Big plan", ["Backend", "Frontend"], 2)
        await pilot.pause()
        labels = [str(node.label) for node in tree._walk(tree.root)]
        assert labels == ["Big plan", "loading 2 tasks…", "Backend", "Frontend"]
        tree.show_runbooks([RunbookRows(0, "Big plan", rows)])
        await pilot.pause()
        # The skeleton's closed group nodes must not be remembered as groups the user collapsed.
        assert all(node.is_expanded for node in tree._walk(tree.root) if node.children)
        assert tree.shown_count == 2


def test_the_scan_counts_only_group_keys_of_tasks(tmp_path):
    path = tmp_path / "runbook.yaml"
    path.write_text(
        "name: Plan\ngroup: Top level key\ntasks:\n"
        "  - id: a\n    subgroup: Not a group\n    description: its group: is prose\n    group: Real\n"
        "  - {id: b, note: 'x', group: Flow}\n"
    )
    skeleton = scan(path)
    assert skeleton is not None and skeleton.groups == ("Real", "Flow") and skeleton.tasks == 2


async def test_right_after_the_first_frame_the_tree_holds_the_skeleton_until_the_load_ends(demo):
    import threading

    from tests.app.pilot_helpers import main_screen, settle
    from tests.app.screen_text import screen_lines
    from tui.app.app import PatchbayApp
    from tui.app.widgets.skeleton_view import SkeletonView
    from tui.runner import Session

    loaded = threading.Event()

    def load() -> list:
        loaded.wait(30)
        return [Session(demo / "runbook.yaml")]

    load.runbook = demo / "runbook.yaml"  # as launch() hands it over
    app = PatchbayApp(load, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        assert screen.panes_mounted and not app.query(SkeletonView)  # the text stand-in is gone
        labels = [str(node.label) for node in screen.tree._walk(screen.tree.root)]
        assert labels[1].startswith("loading ") and labels[1].endswith(" tasks…"), labels
        assert app.focused is screen.tree
        assert "Quit" in screen_lines(app)[-1]  # the footer says what can be done meanwhile
        loaded.set()
        await settle(pilot, lambda: screen.sessions and screen.selected_key is not None)
        assert screen.tree.shown_count > 0


def test_the_first_frame_text_draws_the_skeleton_as_the_tree_does():
    from tui.app.skeleton import Skeleton
    from tui.app.widgets.skeleton_view import MOST_GROUPS, skeleton_text

    lines = skeleton_text(Skeleton("Big plan", ("Backend", "Frontend"), 1234)).plain.splitlines()
    assert lines == ["▼ Big plan", "├─ loading 1,234 tasks…", "├─ Backend", "└─ Frontend"]
    many = tuple(f"Group {n}" for n in range(MOST_GROUPS + 5))
    lines = skeleton_text(Skeleton("Wide", many, 9)).plain.splitlines()
    assert len(lines) == MOST_GROUPS + 3 and lines[-1] == "└─ … 5 more groups"
