"""The floor of startup-first-frame: a minimal Textual app (one Static), started the same way.

    python -m bench.first_frame_floor OUT_FILE

Writes time.perf_counter() to OUT_FILE at its first frame (the Ready event) and quits, like
bench/first_frame.py does for `patchbay RUNBOOK`: the difference between the two is Patchbay's own.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    (out,) = argv
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Minimal(App):
        def compose(self) -> ComposeResult:
            yield Static("Patchbay")

        def on_ready(self) -> None:
            Path(out).write_text(repr(time.perf_counter()))
            self.exit()

    Minimal().run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
