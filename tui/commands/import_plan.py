"""`patchbay import PLAN.md -o DIR [--force]`: turn a Markdown plan into a runbook.

Exit 0 when the runbook was written, even if some references were skipped: each skipped item is a
`warning:` line on stderr with the plan's file:line, and the runbook written still validates.
Exit 1 (one sentence) when the plan cannot be read, holds no tasks, or a runbook is in the way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.plan_import import import_plan


def run(args: argparse.Namespace) -> int:
    report = import_plan(Path(args.plan), Path(args.output), force=bool(args.force))
    for line in report.note_lines():
        print(f"warning: {line}", file=sys.stderr)
    print(report.summary())
    kinds = f"  {report.ai_tasks} AI_ASSISTED, {report.manual_tasks} MANUAL"
    if report.script_tasks:
        kinds += f", {report.script_tasks} AUTOMATED_SCRIPT"
    if report.has_wrapper:
        kinds += "; shared wrapper -> prompt_templates/agent_wrapper.j2 (defaults.system_template)"
    print(kinds)
    if report.notes:
        print(f"  {len(report.notes)} item(s) skipped or doubtful; see the warnings above")
    return 0
