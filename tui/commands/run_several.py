"""`patchbay run RUNBOOK RUNBOOK… --auto`: one autopilot per runbook, side by side, sharing the
model backends (so a pool's servers are shared, and spread by free capacity across runbooks).

Each runbook has its own working tree, lock and log; model text is not streamed (answers stay
under each runbook's outputs/), progress lines carry the runbook's name, and the end is one
summary line per runbook. The exit code is 0 when every runbook finished cleanly, 130 after
Ctrl-C, else 1.
"""

from __future__ import annotations

import argparse
import io
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.commands.terminal_text import strip_control_sequences
from tui.engine.base import Backend
from tui.errors import PatchbayError, UsageError
from tui.plural import counted

if TYPE_CHECKING:
    from tui.autopilot import Autopilot
    from tui.session import Session


@dataclass
class _Runbook:
    name: str
    session: Session
    autopilot: Autopilot | None = None
    code: int | None = None
    error: str | None = None


def _say(text: str) -> None:
    if sys.stderr.isatty():
        text = strip_control_sequences(text)
    print(f"patchbay: {text}", file=sys.stderr, flush=True)


def run_several(
    args: argparse.Namespace,
    runbooks: list[str],
    *,
    open_session: Callable[[str, dict[str, Backend]], Session],
) -> int:
    from tui.autopilot import Autopilot, AutopilotOptions
    from tui.runbook.loader import runbook_file_for

    if not args.auto:
        raise UsageError("several runbooks run only with --auto; give one runbook to stream one answer")
    if args.task:
        raise UsageError("--task names a task of one runbook; give that runbook alone")
    files = [runbook_file_for(Path(path)).resolve() for path in runbooks]
    for index, file in enumerate(files):
        if file in files[:index]:
            raise UsageError(f"{runbooks[index]} is given twice")
    backends: dict[str, Backend] = {}  # shared: one pool for every runbook
    opened: list[_Runbook] = []
    try:
        for path in runbooks:
            opened.append(_Runbook(path, open_session(path, backends)))
        _check_own_trees(opened)
        options = AutopilotOptions(
            max_retries=args.max_retries,
            min_fuzzy_score=args.min_fuzzy_score,
            keep_going=args.keep_going,
            parallel=args.parallel,
        )
        for item in opened:
            if args.branch:
                if item.session.git is None:
                    raise PatchbayError(
                        f"--branch needs a git repository, and {item.session.workdir} is not in one"
                    )
                item.session.git.start_branch(args.branch)
            item.autopilot = Autopilot(item.session, options, say=_prefixed(item.name), out=io.StringIO())
        _run_side_by_side(opened)
    finally:
        for item in opened:
            item.session.close()
        for backend in backends.values():
            backend.close()
    for item in opened:
        _say(_summary(item))

    for line in pool_lines(backends):
        _say(line)
    codes = [item.code for item in opened]
    if 130 in codes:
        return 130
    return 0 if all(code == 0 for code in codes) else 1


def _check_own_trees(opened: list[_Runbook]) -> None:
    seen: dict[Path, str] = {}
    for item in opened:
        tree = item.session.workdir.resolve()
        if tree in seen:
            raise PatchbayError(
                f"{seen[tree]} and {item.name} work on the same working tree {tree}; run them one "
                "after the other"
            )
        seen[tree] = item.name


def _prefixed(name: str) -> Callable[[str], None]:
    return lambda text: _say(f"{name}: {text}")


def _run_side_by_side(opened: list[_Runbook]) -> None:
    def drive(item: _Runbook) -> None:
        try:
            assert item.autopilot is not None
            item.code = item.autopilot.run()
        except PatchbayError as exc:
            item.error, item.code = str(exc), 1
        except Exception as exc:  # a thread must report, never die silently
            item.error, item.code = f"internal error ({type(exc).__name__}: {exc})", 70

    threads = [
        threading.Thread(target=drive, args=(item,), name=f"patchbay-runbook-{index}", daemon=True)
        for index, item in enumerate(opened)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            try:
                thread.join(0.1)  # short joins keep the main thread responsive to Ctrl-C
            except KeyboardInterrupt:
                _say("stopping every runbook: the current steps are finished or undone")
                for item in opened:
                    if item.autopilot is not None:
                        item.autopilot.stop()


def _summary(item: _Runbook) -> str:
    if item.error:
        return f"{item.name}: stopped: {item.error} (exit {item.code})"
    assert item.autopilot is not None
    summary = item.autopilot.summary
    failed = f" ({', '.join(summary.failed)})" if summary.failed else ""
    return (
        f"{item.name}: {len(summary.done)} done, {len(summary.failed)} failed{failed}, "
        f"{counted(summary.retries, 'retry')}, {len(summary.passed_over)} passed over (exit {item.code})"
    )


def pool_lines(backends: dict) -> list[str]:
    """For each model served by a pool: its servers up/total and why any is out of rotation
    (what an unattended run's log should show)."""
    from tui.engine.pool import pool_snapshot

    lines = []
    for name, backend in sorted(backends.items()):
        snapshot = pool_snapshot(backend)
        if snapshot is None:
            continue
        lines.append(f"model {name}: {snapshot.label()}")
        for server in snapshot.servers:
            if not server.up:
                lines.append(f"model {name}: {server.base_url} is out of rotation: {server.last_error}")
    return lines
