"""Child of startup-first-frame: `patchbay RUNBOOK` as the command line runs it, plus one hook.

    python -m bench.first_frame RUNBOOK OUT_FILE

When the app's first frame is on screen (Textual's Ready event, reference/textual.md §5.1) it
writes time.perf_counter() to OUT_FILE and quits. perf_counter is CLOCK_MONOTONIC on Linux, so
the parent can subtract the moment it started this process.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    runbook, out = argv
    from tui.app.app import PatchbayApp  # the command line imports it too, a little later

    def on_ready(app) -> None:
        Path(out).write_text(repr(time.perf_counter()))
        app.exit()  # without starting the runbook load, which comes after the first frame anyway

    PatchbayApp.on_ready = on_ready
    from tui.cli import main as patchbay

    return patchbay([runbook])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
