"""The review screen driven by keys: decisions, what `enter` writes (byte for byte), navigation,
layouts, refusals, the outside-files question, editing and the other endings."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import pytest

from app.pilot_helpers import settle
from app.review_support import ReviewHost, StandInRun, file_diff, hunk, numbered_lines
from tui.app.widgets.diff_view import DiffView
from tui.patch.extract import build_change_set

ALPHA_CHANGES = {5: "value_5 = 500", 15: "value_15 = 1500", 25: "value_25 = 2500"}
BETA_CHANGES = {3: "item_3 = 300", 12: "item_12 = 1200"}


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, str]:
    work = tmp_path / "work"
    work.mkdir()
    alpha = numbered_lines(30)
    beta = numbered_lines(20, "item")
    (work / "alpha.py").write_text("".join(alpha))
    (work / "beta.py").write_text("".join(beta))
    answer = "Here you go.\n"
    answer += file_diff("alpha.py", [hunk(alpha, line, new) for line, new in ALPHA_CHANGES.items()])
    answer += file_diff("beta.py", [hunk(beta, line, new) for line, new in BETA_CHANGES.items()])
    return work, answer


def expected(count: int, word: str, changes: dict[int, str], chosen: set[int]) -> bytes:
    lines = numbered_lines(count, word)
    for line in chosen:
        lines[line - 1] = changes[line] + "\n"
    return "".join(lines).encode()


def screen_of(app):
    return app.screen


async def test_y_and_n_decide_hunks_and_enter_writes_only_the_accepted_ones(project):
    work, answer = project
    run = StandInRun(work, answer, files_to_modify=["alpha.py", "beta.py"])
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # alpha#1 accept, alpha#2 reject, alpha#3 accept, beta#1 reject, beta#2 accept
        await pilot.press("y", "n", "y", "n", "y")
        state = screen_of(app).state
        assert state.decisions == {
            "alpha.py#1": "accepted",
            "alpha.py#2": "rejected",
            "alpha.py#3": "accepted",
            "beta.py#1": "rejected",
            "beta.py#2": "accepted",
        }
        await pilot.press("enter")
        await settle(pilot, lambda: app.outcomes)  # the apply runs in a worker
    assert app.outcomes == ["applied"]
    assert run.applied_with == [({"alpha.py#1", "alpha.py#3", "beta.py#2"}, False)]
    assert (work / "alpha.py").read_bytes() == expected(30, "value", ALPHA_CHANGES, {5, 25})
    assert (work / "beta.py").read_bytes() == expected(20, "item", BETA_CHANGES, {12})


class HeldRun(StandInRun):
    """Its apply waits for the test to let it go, so the test sees the screen while it writes."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.started = threading.Event()
        self.release = threading.Event()
        self.thread: threading.Thread | None = None

    def apply(self, accepted=None, *, confirm_outside=False):
        self.thread = threading.current_thread()
        self.started.set()
        self.release.wait(timeout=30)
        return super().apply(accepted, confirm_outside=confirm_outside)


async def test_the_apply_runs_off_the_event_loop_and_keys_wait_for_it(project):
    work, answer = project
    run = HeldRun(work, answer, files_to_modify=["alpha.py", "beta.py"])
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("A", "enter")
        assert await asyncio.to_thread(run.started.wait, 30)
        assert run.thread is not threading.main_thread()
        # The screen still answers while the files are written, and no key can end it meanwhile.
        await pilot.press("q", "r")
        assert app.outcomes == []
        assert "Applying" in str(screen_of(app).query_one("#review-message").render())
        run.release.set()
        await settle(pilot, lambda: app.outcomes)
    assert app.outcomes == ["applied"]
    assert (work / "beta.py").read_bytes() == expected(20, "item", BETA_CHANGES, set(BETA_CHANGES))


async def test_a_and_d_decide_the_rest_of_the_file(project):
    work, answer = project
    run = StandInRun(work, answer, files_to_modify=["alpha.py", "beta.py"])
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n", "a")  # alpha#1 rejected, alpha#2 and #3 accepted; now on beta#1
        assert screen_of(app).state.hunk_id == "beta.py#1"
        await pilot.press("d")  # both beta hunks rejected
        await pilot.press("enter")
        await settle(pilot, lambda: app.outcomes)
    assert app.outcomes == ["applied"]
    assert (work / "alpha.py").read_bytes() == expected(30, "value", ALPHA_CHANGES, {15, 25})
    assert (work / "beta.py").read_bytes() == expected(20, "item", BETA_CHANGES, set())


async def test_A_accepts_everything_even_what_was_rejected(project):
    work, answer = project
    run = StandInRun(work, answer, files_to_modify=["alpha.py", "beta.py"])
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n", "A")
        assert screen_of(app).state.counts() == (5, 0, 0)
        await pilot.press("enter")
        await settle(pilot, lambda: app.outcomes)
    assert (work / "alpha.py").read_bytes() == expected(30, "value", ALPHA_CHANGES, set(ALPHA_CHANGES))
    assert (work / "beta.py").read_bytes() == expected(20, "item", BETA_CHANGES, set(BETA_CHANGES))


async def test_enter_with_nothing_accepted_writes_nothing_and_stays(project):
    work, answer = project
    before = (work / "alpha.py").read_bytes()
    run = StandInRun(work, answer, files_to_modify=["alpha.py", "beta.py"])
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "UndecidedHunks"
        await pilot.press("l")  # leave the undecided out: nothing is left to apply
        await pilot.pause()
        assert app.outcomes == []
        assert run.applied_with == []
        message = str(screen_of(app).query_one("#review-message").render())
        assert "Nothing is accepted yet" in message
    assert (work / "alpha.py").read_bytes() == before


async def test_brackets_move_between_hunks_and_braces_between_files(project):
    work, answer = project
    app = ReviewHost(StandInRun(work, answer))
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        screen = screen_of(app)
        diff = screen.query_one(DiffView)
        seen = [screen.state.hunk_id]
        for _ in range(4):
            await pilot.press("right_square_bracket")
            seen.append(screen.state.hunk_id)
        assert seen == ["alpha.py#1", "alpha.py#2", "alpha.py#3", "beta.py#1", "beta.py#2"]
        await pilot.press("left_square_bracket")
        assert screen.state.hunk_id == "beta.py#1"
        await pilot.press("left_curly_bracket")
        assert (screen.state.file_index, screen.state.hunk_id) == (0, "alpha.py#1")
        await pilot.press("right_curly_bracket")
        assert (screen.state.file_index, screen.state.hunk_id) == (1, "beta.py#1")
        # the current hunk is on screen: its header row lies inside the scrolled window
        await pilot.press("left_curly_bracket", "right_square_bracket", "right_square_bracket")
        await pilot.pause()
        start, _end = screen.file_rows(0).hunk_span("alpha.py#3", False)
        top = round(diff.scroll_y)
        assert top <= start < top + diff.scrollable_content_region.height
        title = str(screen.query_one("#review-title").render())
        assert "hunk 3 of 5 · file 1 of 2 · 0 accepted · 0 rejected · 5 undecided" in title


async def test_s_switches_between_side_by_side_and_unified(project):
    work, answer = project
    app = ReviewHost(StandInRun(work, answer))
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        diff = screen_of(app).query_one(DiffView)
        side_rows = diff.row_count
        await pilot.press("s")
        await pilot.pause()
        assert diff.unified
        # each changed line pair becomes two rows
        assert diff.row_count == side_rows + len(ALPHA_CHANGES)
        await pilot.press("s")
        assert not diff.unified and diff.row_count == side_rows


FAILED_ANSWER = """```diff
--- a/alpha.py
+++ b/alpha.py
@@ -3,3 +3,3 @@
 value_2 = 2
-value_3 = 3
+value_3 = 33
 value_4 = 4
@@ -10,3 +10,3 @@
 value_9 = 9
-value_ten = 10 and more words that are not in the file
+value_10 = 100
 value_11 = 11
```
"""


async def test_a_failed_hunk_cannot_be_accepted_and_says_why(tmp_path):
    (tmp_path / "alpha.py").write_text("".join(numbered_lines(30)))
    run = StandInRun(tmp_path, FAILED_ANSWER)
    assert [h.placement.placed for h in run.change_set.hunks] == [True, False]
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = screen_of(app)
        await pilot.press("y")  # accepts #1, moves to the failed #2
        assert screen.state.hunk_id == "alpha.py#2"
        await pilot.press("y", "A")
        assert screen.state.decisions == {"alpha.py#1": "accepted"}
        message = str(screen.query_one("#review-message").render())
        assert "cannot be accepted: removed lines not found" in message
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "UndecidedHunks"
        await pilot.press("l")  # leave the failed hunk out
        await settle(pilot, lambda: app.outcomes)
    assert (tmp_path / "alpha.py").read_bytes() == expected(30, "value", {3: "value_3 = 33"}, {3})


async def test_a_conflict_on_apply_shows_one_sentence_and_writes_nothing(project):
    work, answer = project
    run = StandInRun(work, answer, files_to_modify=["alpha.py", "beta.py"])
    # the user edits beta.py after the change set was computed
    edited = b"item_1 = 'changed by hand'\n"
    (work / "beta.py").write_bytes(edited)
    before_alpha = (work / "alpha.py").read_bytes()
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("A", "enter")
        await settle(pilot, lambda: not screen_of(app).applying)
        assert app.outcomes == []
        message = str(screen_of(app).query_one("#review-message").render())
        assert "beta.py changed after the change was computed" in message
        assert message.count("\n") == 0
    assert (work / "alpha.py").read_bytes() == before_alpha
    assert (work / "beta.py").read_bytes() == edited


async def test_files_outside_files_to_modify_need_confirmation(project):
    work, answer = project
    run = StandInRun(work, answer, files_to_modify=["alpha.py"])
    assert [f.outside_scope for f in run.change_set.files] == [False, True]
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("A", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmOutsideScope"
        await pilot.press("n")
        await pilot.pause()
        assert run.applied_with == [] and app.outcomes == []
        assert (work / "beta.py").read_bytes() == expected(20, "item", BETA_CHANGES, set())
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot, lambda: app.outcomes)
    assert run.applied_with == [({"alpha.py#1", "alpha.py#2", "alpha.py#3", "beta.py#1", "beta.py#2"}, True)]
    assert (work / "beta.py").read_bytes() == expected(20, "item", BETA_CHANGES, set(BETA_CHANGES))


async def test_e_makes_the_edited_file_the_proposal(project, tmp_path, monkeypatch):
    work, answer = project
    editor = tmp_path / "editor.py"
    # A scripted editor: change one more line of the proposed alpha.py.
    editor.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('value_20 = 20', 'value_20 = \"edited\"'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    run = StandInRun(work, answer, files_to_modify=["alpha.py", "beta.py"])
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n", "e")  # the rejection is forgotten: the file's hunks are new
        await pilot.pause()
        state = screen_of(app).state
        assert state.decisions == {}
        # re-diffed with 3 lines of context: lines 15, 20 and 25 now share one hunk
        assert [h.id for h in run.change_set.files[0].hunks] == ["alpha.py#1", "alpha.py#2"]
        await pilot.press("a", "d", "enter")  # accept all of alpha, reject beta
        await settle(pilot, lambda: app.outcomes)
    want = expected(30, "value", ALPHA_CHANGES, set(ALPHA_CHANGES)).replace(
        b"value_20 = 20", b'value_20 = "edited"'
    )
    assert (work / "alpha.py").read_bytes() == want
    assert (work / "beta.py").read_bytes() == expected(20, "item", BETA_CHANGES, set())


async def test_c_copies_the_current_files_diff(project):
    work, answer = project
    app = ReviewHost(StandInRun(work, answer))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("right_curly_bracket", "c")
    assert app.clipboard.startswith("--- a/beta.py\n+++ b/beta.py\n")
    assert "-item_3 = 3\n+item_3 = 300\n" in app.clipboard
    assert "alpha" not in app.clipboard


@pytest.mark.parametrize(
    ("key", "outcome"), [("r", "retry"), ("x", "error"), ("m", "manual_done"), ("q", "back")]
)
async def test_the_other_endings_dismiss_with_their_outcome(project, key, outcome):
    work, answer = project
    run = StandInRun(work, answer)
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("y", key)
        await pilot.pause()
    assert app.outcomes == [outcome]
    assert run.applied_with == []


async def test_the_title_names_the_format_each_file_was_written_in(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "alpha.py").write_text("".join(numbered_lines(10)))
    (work / "beta.py").write_text("".join(numbered_lines(10, "item")))
    answer = (
        "alpha.py\n```\n<<<<<<< SEARCH\nvalue_5 = 5\n=======\nvalue_5 = 50\n>>>>>>> REPLACE\n```\n\n"
        "*** Begin Patch\n*** Update File: beta.py\n@@\n item_4 = 4\n-item_5 = 5\n+item_5 = 50\n*** End Patch\n"
    )
    # The stand-in reads diffs; give it this answer as `auto` (the default for tasks) reads it.
    run = StandInRun(work, file_diff("alpha.py", [hunk(numbered_lines(10), 5, "value_5 = 50")]))
    run.change_set = build_change_set(answer, work, output_parser="auto")
    app = ReviewHost(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = screen_of(app)
        assert "block 1 of 2 · file 1 of 2 (SEARCH/REPLACE) ·" in str(
            screen.query_one("#review-title").render()
        )
        await pilot.press("right_curly_bracket")
        await pilot.pause()
        assert "block 2 of 2 · file 2 of 2 (apply_patch) ·" in str(screen.query_one("#review-title").render())
