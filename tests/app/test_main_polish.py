"""The main screen never hides or drops anything: the filter keeps the selection, the focused pane
shows, the output wraps and keeps a retry's previous attempt, the streaming figures fit at 120
columns, the status line lets go of "cancelling…", reloads say so, remapped keys show."""

from __future__ import annotations

from app.pilot_helpers import hold_stream_until_cancelled, main_screen, make_app, settle, wait_for
from app.screen_text import screen_lines, screen_text

SIZE = (120, 40)


async def test_escape_from_the_filter_box_keeps_the_task_the_filter_left_selected(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("slash", *"cli")
        await settle(pilot)
        assert screen.selected_key == (0, "add_cli_flag")
        await pilot.press("escape")
        await settle(pilot)
        assert len(screen.tree._task_nodes) == 9
        assert screen.selected_key == (0, "add_cli_flag")


async def test_the_focused_pane_is_marked_and_tab_moves_the_mark(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        accent = app.theme_variables["accent"]

        def marked() -> list[str]:
            panes = [screen.tree, screen.prompt_pane, screen.query_one("#output-log")]
            return [pane.id for pane in panes if pane.styles.border_left[1].hex.lower() == accent.lower()]

        assert marked() == ["tree"]
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not screen.tree
        assert marked() == [app.focused.id]


def test_wrap_text_breaks_at_spaces_and_never_passes_the_width():
    from tui.app.widgets.output_pane import wrap_text

    sentence = "the validation command exited 1 because tests/test_stats.py could not import median"
    wrapped, column = wrap_text(sentence, 0, 24)
    lines = wrapped.split("\n")
    assert all(len(line) <= 24 for line in lines)
    assert " ".join(lines) == sentence  # only the spaces at the breaks went
    assert column == len(lines[-1])
    # a stream continues where the last chunk ended: " word" past the edge starts a new line
    assert wrap_text(" median", 20, 24) == ("\nmedian", 6)
    assert wrap_text("x" * 30, 0, 24)[0] == "x" * 24 + "\n" + "x" * 6


async def test_the_output_pane_wraps_a_long_sentence_instead_of_cutting_it(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        output = main_screen(app).output
        sentence = (
            "Generation failed: the server at http://127.0.0.1:5000/v1 closed the connection after "
            "312 tokens, so the partial answer was kept and the task is ERROR until you retry it."
        )
        output.note(sentence)
        await pilot.pause()
        width = output.log_widget.scrollable_content_region.width
        assert all(len(line) <= width for line in output.log_widget.lines)
        assert " ".join(output.text.split()) == sentence
        text = " ".join(" ".join(screen_lines(app)).split())
        assert "until you retry it." in text


async def test_streaming_figures_stay_visible_at_120_columns(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        output = main_screen(app).output
        output.begin("Answer: add_type_hints_with_a_long_name (attempt 12)", tokens=True)
        output._timer.pause()  # the figures below stay as set: no measured sample replaces them
        output._show_metrics(0.42, 61.3, 12_345)
        await pilot.pause()
        text = screen_text(app)
        assert "0.42" in text and "61 tok/s" in text and "12,345" in text


async def test_a_retry_keeps_the_previous_attempt_above_a_separator(demo):
    from app.test_main_flows import review_and_apply

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("r")
        await review_and_apply(pilot)
        screen.tree.select_task((0, "add_median"))
        await settle(pilot, lambda: screen.selected_key == (0, "add_median"))
        await pilot.press("r")
        await review_and_apply(pilot)
        first = screen.output.text
        assert "validation exited" in first
        await pilot.press("r")
        await settle(pilot, lambda: "(attempt 2)" in screen.output.text)
        text = screen.output.text
        assert text.index("validation exited") < text.index("── Answer: add_median (attempt 2) ──")
        assert "Here is `median()`" in text.split("(attempt 2) ──")[0]


async def test_cancelling_leaves_the_status_line_once_the_cancel_is_over(demo):
    app = make_app(demo, rate=50)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        message = screen.status_line.query_one("#status-message")
        hold_stream_until_cancelled(screen.sessions[0], "add_type_hints")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.busy == "generating" and screen.output.answer_text)
        shown: list[str] = []
        original = screen.status_line.show_message
        screen.status_line.show_message = lambda text: (shown.append(text), original(text))[1]
        await pilot.press("escape")
        assert "cancelling…" in shown
        await settle(pilot, lambda: screen.busy is None)
        await wait_for(pilot, lambda: "cancelling" not in str(message.render()))  # its 0.1 s check


async def test_a_fixed_runbook_clears_the_invalid_notice_at_once_and_says_it_reloaded(demo):
    app = make_app(demo, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        path = demo / "runbook.yaml"
        good = path.read_text()
        path.write_text(good.replace("tasks:\n", "tasks:\n  - id: [broken\n", 1))
        await wait_for(pilot, lambda: 0 in screen.load_errors)
        await pilot.pause()
        titles = lambda: [n.title for n in app._notifications]  # noqa: E731
        assert "The runbook is invalid" in titles()
        path.write_text(good)
        await wait_for(pilot, lambda: 0 not in screen.load_errors)
        await pilot.pause()
        assert "The runbook is invalid" not in titles()
        assert any("reloaded" in n.message for n in app._notifications)


async def test_reload_reads_the_replay_transcript_again(demo):
    from app.test_main_flows import on_review

    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        screen.sessions[0].backend("demo")  # the transcript as it was is in memory
        transcript = demo / "replay.yaml"
        old = "I added type hints to the three functions"
        transcript.write_text(transcript.read_text().replace(old, "Reloaded transcript: " + old))
        screen.action_reload()
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot, lambda: on_review(app))
        assert "Reloaded transcript:" in screen.output.answer_text


async def test_a_remapped_key_shows_under_its_new_key_in_the_footer(demo):
    app = make_app(demo, keymap={"main.next_ready": "j"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: "Next" in screen_lines(app)[-1])  # the footer has drawn
        footer = screen_lines(app)[-1]
        assert "j Next" in footer
        assert "n Next" not in footer
        from rich.console import Console

        from tui.app.screens.help import help_table

        console = Console(width=120, record=True)
        console.print(help_table(app))
        line = next(line for line in console.export_text().splitlines() if "main.next_ready" in line)
        assert line.split()[0] == "j"  # `?` shows the new key beside the id the keymap used


async def test_the_prompt_heading_separates_the_name_from_the_id(demo):
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Add type hints to textkit.stats · add_type_hints · READY" in screen_text(app)
