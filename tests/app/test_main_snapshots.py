"""SVG snapshot of the main screen while an answer streams, at 120x40 (stored in snapshots/).

Deterministic: the answer is written into the output pane directly and its flush timer paused, so
the figures (time to first token, tokens per second, tokens so far, the sparkline) are the ones set
here, not measured. What should be visible: every figure, long lines wrapped (not cut), the focused
pane's accent bar."""

from __future__ import annotations

from app.pilot_helpers import main_screen, make_app, settle

SIZE = (120, 40)

ANSWER = (
    "I added type hints to the three functions; behaviour is unchanged, and the word lists are typed "
    "as Sequence[str] so tuples work as well as lists.\n\n"
    "File: textkit/stats.py\n```diff\n@@ -1,9 +1,11 @@\n"
    ' """Small statistics helpers for lists of words."""\n+\n+from collections.abc import Sequence\n'
)


def test_main_screen_streaming(demo, snap_compare):
    app = make_app(demo)

    async def streaming(pilot):
        screen = main_screen(pilot.app)
        await settle(pilot, lambda: bool(screen.prompt_pane.prompt_text))
        output = screen.output
        output.begin("Answer: add_type_hints (attempt 1)", tokens=True)
        output._timer.pause()
        output._write(ANSWER)
        output.query_one("#output-spark").data = [40, 52, 61, 58, 63, 60, 62, 59, 64, 61]
        output._show_metrics(0.42, 61.3, 187)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=streaming)
