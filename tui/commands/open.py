"""`patchbay [RUNBOOK]`: open the full-screen app."""

from __future__ import annotations

import argparse
from pathlib import Path


def open_tui(runbook: Path, args: argparse.Namespace) -> int:
    from tui.app.launch import launch  # Textual is imported only when the TUI really opens

    return launch(runbook, args)


def run(args: argparse.Namespace) -> int:
    import sys

    from tui.commands.demo import copy_if_shipped_demo

    runbook = copy_if_shipped_demo(
        Path(args.runbook), lambda text: print(f"patchbay: {text}", file=sys.stderr)
    )
    return open_tui(runbook, args)
