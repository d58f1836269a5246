"""`patchbay validate RUNBOOK`: every error and warning as `file:line:col: error: sentence`, then a summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.plural import counted
from tui.runbook.loader import check_runbook, runbook_file_for
from tui.runbook.problems import shown_path


def run(args: argparse.Namespace) -> int:
    runbook_file = runbook_file_for(Path(args.runbook))
    known = known_models(runbook_file.parent, args.config)
    report = check_runbook(runbook_file, known_models=known, build=False)  # checked, not kept
    for problem in report.errors:
        print(problem.formatted())
    for problem in report.warnings:
        print(problem.formatted())
    print(
        f"{shown_path(report.path)}: {counted(report.task_count, 'task')}, "
        f"{counted(len(report.errors), 'error')}, {counted(len(report.warnings), 'warning')}"
    )
    return 1 if report.errors else 0


def known_models(runbook_folder: Path, config: str | None) -> set[str] | None:
    """Model names the registry knows; None (no check) without a registry module or any configured model."""
    from tui.config_files import config_files

    if not config_files(runbook_folder, Path(config) if config else None):
        return None  # no settings, so no models: the registry (config models, engines) is not imported
    try:
        from tui.engine.registry import load_registry
    except ImportError:
        return None
    names = load_registry(runbook_folder, Path(config) if config else None).names()
    return names or None
