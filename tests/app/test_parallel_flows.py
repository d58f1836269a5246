"""Running independent tasks in parallel from the TUI: one output tab per task, finished answers
queued for review, then reviewed, applied and validated one at a time. On a real copy of the demo
(git repository, YAML files) with the replay model standing in for a language model."""

from __future__ import annotations

import git
import pytest
import yaml
from textual.command import CommandList
from textual.widgets import TabbedContent

from app.pilot_helpers import main_screen, make_app, settle, wait_for
from app.test_main_flows import SIZE, commit_subjects, on_review, status_in_yaml

TYPED_STATS = '''"""Small statistics helpers for lists of words."""

from collections.abc import Sequence


def word_count(text: str) -> int:
    """Number of words in the text."""
    return len(text.split())


def mean_length(words: Sequence[str]) -> float:
    """Mean length of the words, 0.0 when there are none."""
    if not words:
        return 0.0

    return sum(len(word) for word in words) / len(words)


def longest(words: Sequence[str]) -> str:
    """The longest word (the first one on ties)."""
    best = ""
    for word in words:
        if len(word) > len(best):
            best = word
    return best
'''


def make_two_independent(folder) -> None:
    """add_type_hints done (its change committed by hand); add_cli_flag no longer waits for
    add_median, so add_median (stats.py, tests) and add_cli_flag (cli.py) are both READY."""
    from tui.runbook.writer import set_detail_status

    path = folder / "runbook.yaml"
    data = yaml.safe_load(path.read_text())
    for task in data["tasks"]:
        if task["id"] == "add_type_hints":
            task["status"] = "DONE"
        if task["id"] == "add_cli_flag":
            task["depends_on"] = ["add_type_hints"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    set_detail_status(folder / "tasks/add_type_hints.yaml", "DONE")
    (folder / "project/textkit/stats.py").write_text(TYPED_STATS)
    repo = git.Repo(folder / "project")
    repo.index.add(["textkit/stats.py"])
    repo.index.commit("type hints, by hand")


def tab_panes(screen) -> dict:
    return dict(screen.batch_panel.panes)


async def test_parallel_run_tabs_queue_and_one_at_a_time_review(demo):
    make_two_independent(demo)
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.check_action("run_parallel", ()) is True
        await pilot.press("p")
        await settle(
            pilot, lambda: screen.batch_panel.batch is None and len(screen.batch_panel.review_queue) == 2
        )

        tabs = screen.query_one("#batch-tabs", TabbedContent)
        assert tabs.tab_count == 2
        assert screen.query_one("#batch").display and not screen.query_one("#run-panel").display
        panes = tab_panes(screen)
        assert set(panes) == {"add_median", "add_cli_flag"}
        assert "Here is `median()` with tests." in panes["add_median"].answer_text
        assert 'parser.add_argument("--longest"' in panes["add_cli_flag"].answer_text
        assert "median" not in panes["add_cli_flag"].answer_text
        status = str(screen.query_one("#batch-status").render())
        assert "2 answers waiting for review · v to review" in status
        rows = {row.key[1]: row.status for row in screen.task_rows(0)}
        assert rows["add_median"] == rows["add_cli_flag"] == "RUNNING"
        screen.tree.select_task((0, "lint_check"))  # READY, and not in the batch
        await settle(pilot, lambda: screen.selected_key == (0, "lint_check"))
        assert not screen.check_action("run", ())  # a single run waits until the batch is reviewed

        retried = []
        for _ in range(4):  # two reviews, plus at most one retry each
            if not screen.batch_panel.review_queue and screen.run is None:
                break
            if screen.run is None:
                await pilot.press("v")
            await settle(pilot, lambda: on_review(app))
            reviewing = screen.run.task_id
            # the review opens on the run's own tab, and only one review at a time
            assert tabs.active_pane.query_one(type(panes[reviewing])) is panes[reviewing]
            await pilot.press("A", "enter")
            await settle(pilot, lambda: not on_review(app) and screen.busy is None)
            if screen.run is not None and str(screen.run.phase) == "validation_failed":
                assert "validation exited" in panes[reviewing].text
                assert not screen.check_action("review_next", ())  # the next waits for a choice
                retried.append(reviewing)
                await pilot.press("r")  # the retry streams into the same tab, then reviews again
        assert retried == ["add_median"]  # its first answer fails validation (upper middle element)
        assert "The first version picked the upper middle" in panes["add_median"].answer_text
        assert not screen.batch_panel.pending and not screen.batch_panel.review_queue
        assert "parallel tasks finished" in str(screen.query_one("#batch-status").render())
        rows = {row.key[1]: row.status for row in screen.task_rows(0)}
        assert rows["add_median"] == rows["add_cli_flag"] == "DONE"
    assert status_in_yaml(demo, "add_median") == "DONE"
    assert status_in_yaml(demo, "add_cli_flag") == "DONE"
    subjects = commit_subjects(demo)
    assert "feat(add_median): Add a median() helper with tests" in subjects
    assert "feat(add_cli_flag): Add a --longest flag to the CLI" in subjects
    assert "def median(" in (demo / "project/textkit/stats.py").read_text()
    assert "--longest" in (demo / "project/textkit/cli.py").read_text()


async def test_escape_cancels_every_generation_of_the_batch(demo):
    make_two_independent(demo)
    app = make_app(demo, rate=20)  # slow enough to cancel mid-stream
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("p")
        await pilot.pause()
        assert screen.batch_panel.batch is not None
        await pilot.press("escape")
        await settle(pilot, lambda: screen.batch_panel.batch is None and not screen.batch_panel.pending)
        assert not screen.batch_panel.review_queue
        for pane in tab_panes(screen).values():
            assert "Cancelled." in pane.text
        rows = {row.key[1]: row.status for row in screen.task_rows(0)}
        assert rows["add_median"] == rows["add_cli_flag"] == "READY"
    assert status_in_yaml(demo, "add_median") in ("READY", "PENDING")


async def test_one_ready_task_keeps_the_single_output_pane(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.check_action("run_parallel", ()) is False  # only add_type_hints is READY
        await screen.action_run_parallel()  # from the palette: falls back to the usual flow
        await settle(pilot, lambda: on_review(app))
        assert screen.run.task_id == "add_type_hints"
        assert screen.query_one("#run-panel").display and not screen.query_one("#batch").display
        assert screen.output is screen.query_one("#output")


async def test_palette_command_starts_the_parallel_run(demo):
    make_two_independent(demo)
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("ctrl+p")
        await pilot.press(*"Run independent tasks in parallel")
        # the palette searches its providers asynchronously: wait for the hit to be listed
        await wait_for(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await settle(
            pilot, lambda: screen.batch_panel.batch is None and len(screen.batch_panel.review_queue) == 2
        )
        assert set(screen.batch_panel.panes) == {"add_median", "add_cli_flag"}


def add_pool_model(folder, name: str, concurrency: list[int]) -> None:
    """An openai model served by a pool of servers (nothing listens: only their sizes matter here)."""
    path = folder / "patchbay.yaml"
    data = yaml.safe_load(path.read_text())
    servers = [
        {"base_url": f"http://127.0.0.1:{9 + n}/v1", "max_concurrent": c} for n, c in enumerate(concurrency)
    ]
    data["models"][name] = {"backend": "openai", "model": "m", "servers": servers}
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize(("concurrency", "offered"), [([1], False), ([1, 1], True)])
async def test_p_without_parallel_follows_the_pool_capacity(demo, concurrency, offered):
    from tui.app.app import PatchbayApp
    from tui.runner import Session

    make_two_independent(demo)  # add_median and add_cli_flag may generate together
    add_pool_model(demo, "pool", concurrency)
    app = PatchbayApp([Session(demo / "runbook.yaml", model_override="pool")], watch=False)
    assert app.parallel is None  # no --parallel
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        # One server with one slot runs one task at a time: `p` has nothing to run beside it.
        assert screen.check_action("run_parallel", ()) is offered
        assert len(screen.batch_panel.candidates(screen.sessions[0], app.parallel)) == len(concurrency)
