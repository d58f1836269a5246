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
