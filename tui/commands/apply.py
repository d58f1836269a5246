"""`patchbay apply --workdir DIR [--dry-run] [--json] FILE|-`: apply a model answer or a diff.

All or nothing: when any hunk fails to place, nothing is written and the exit code is 1, with a
per-hunk report saying why. Exit 0: every hunk applied (or would apply, with --dry-run).
Exit 2: bad usage or unreadable input. An apply a crash left unfinished is recovered first.
Ctrl-C or SIGTERM while files are written waits until the change is complete, then exits 130 or
143 (the report says the change was applied); before that point nothing is written.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from tui.commands.terminal_text import for_terminal, strip_control_sequences
from tui.errors import PatchbayError, UsageError
from tui.patch.apply_change import apply_change_set, plan_writes
from tui.patch.extract import build_change_set
from tui.patch.model import ChangeSet, FileChange, Hunk
from tui.plural import counted
from tui.workspace.deferred_signals import Interrupted
from tui.workspace.journal import recover

# There is no task here: the files to modify are the ones the command line named.
_SCOPE = "the files named by --files-to-modify (--allow-outside writes it anyway)"


def _read_input(name: str) -> str:
    if name == "-":
        data = sys.stdin.buffer.read()
        where = "standard input"
    else:
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"{name} does not exist or is not a file.")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise UsageError(f"{name} cannot be read ({error.strerror}).") from None
        where = name
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not UTF-8 text.") from None


def _hunk_json(hunk: Hunk) -> dict[str, object]:
    placement = hunk.placement
    item: dict[str, object] = {"id": hunk.id, "status": placement.status, "line": placement.line}
    if placement.offset is not None:
        item["offset"] = placement.offset
    if placement.score is not None:
        item["score"] = placement.score
    if placement.reason is not None:
        item["reason"] = placement.reason
    if placement.closest is not None:
        closest: dict[str, object] = {"lines": list(placement.closest), "score": placement.closest_score}
        if placement.closest_note is not None:
            closest["note"] = placement.closest_note
        item["closest"] = closest
    return item


def _file_status(change: FileChange, applied: bool) -> str:
    return "applied" if applied and change.status == "ok" else "failed"


def _file_reason(change: FileChange, change_set_ok: bool, refusal: str | None) -> str | None:
    if change.error:
        return change.error
    if change.status != "ok" and not change.hunks:
        return "the diff for it changes nothing Patchbay can apply"
    if change.status != "ok":
        failed = sum(1 for hunk in change.hunks if not hunk.placement.placed)
        return f"{failed} of {counted(len(change.hunks), change.unit)} failed"
    if not change_set_ok:
        return "not applied: other hunks failed, and apply is all or nothing"
    return refusal


def report_json(change_set: ChangeSet, applied: bool, dry_run: bool, refusal: str | None) -> str:
    files = []
    for change in change_set.files:
        item: dict[str, object] = {
            "path": change.path,
            "status": _file_status(change, applied),
            "kind": change.kind,
            "format": change.edit_format or change_set.parser,
            "added": change.added,
            "removed": change.removed,
            "hunks": [_hunk_json(hunk) for hunk in change.hunks],
        }
        reason = None if applied else _file_reason(change, change_set.all_placed, refusal)
        if reason:
            item["reason"] = reason
        if change.renamed_from:
            item["renamed_from"] = change.renamed_from
        if change.new_mode is not None:
            item["mode"] = f"{change.new_mode:o}"
        if change.note:
            item["note"] = change.note
        files.append(item)
    report: dict[str, object] = {"files": files, "applied": applied, "dry_run": dry_run}
    if change_set.already_applied:
        report["already_applied"] = change_set.already_applied
    return json.dumps(report, indent=2)


def render_already(change_set: ChangeSet, *, json_output: bool) -> str:
    """The report when every edit of the answer is in the files already: nothing to write."""
    if json_output:
        report = {"files": [], "applied": False, "already_applied": change_set.already_applied}
        return json.dumps(report, indent=2)
    lines = [*change_set.already_applied, "nothing to apply: the answer's changes are in the files already"]
    return "\n".join(lines)


def report_text(change_set: ChangeSet, applied: bool, dry_run: bool, refusal: str | None) -> str:
    out: list[str] = []
    for change in change_set.files:
        status = _file_status(change, applied)
        if applied and dry_run:
            status = "would apply"
        counts = f" (+{change.added} -{change.removed})" if change.hunks else ""
        written = f" [{change.edit_format}]" if change.edit_format else ""
        out.append(f"{change.path}: {status}{counts}{written}")
        if change.metadata_note:
            out.append(f"  {change.metadata_note}")
        if change.note:
            out.append(f"  note: {change.note}")
        reason = None if applied else _file_reason(change, change_set.all_placed, refusal)
        if reason:
            out.append(f"  {reason}")
        for hunk in change.hunks:
            where = f" at line {hunk.placement.line}" if hunk.placement.placed and hunk.placement.line else ""
            out.append(f"  {change.unit} {hunk.index}: {hunk.placement.describe()}{where}")
    out.extend(change_set.already_applied)
    return "\n".join(out)


def _not_applied(change_set: ChangeSet, refusal: str | None) -> str:
    """Why nothing was written, counting refused files apart from hunks that found no place."""
    refused = [change for change in change_set.files if change.error is not None]
    placeable = [
        (change, hunk) for change in change_set.files if change.error is None for hunk in change.hunks
    ]
    failed = sum(1 for _, hunk in placeable if not hunk.placement.placed)
    units = {change.unit for change, _ in placeable}
    parts = []
    if refused:
        names = ", ".join(change.path for change in refused[:3]) + (", ..." if len(refused) > 3 else "")
        parts.append(f"{counted(len(refused), 'file')} refused ({names})")
    if failed:
        unit = units.pop() if len(units) == 1 else "change"
        parts.append(f"{failed} of {counted(len(placeable), unit)} failed to place")
    if parts:
        return f"nothing applied: {'; '.join(parts)}; see the report"
    return refusal or "nothing applied"


def _user_edits(workdir: Path, change_set: ChangeSet) -> list[str]:
    """Target files holding the user's own uncommitted changes, read before anything is written."""
    from tui.workspace.git_repo import GitWorkspace

    git = GitWorkspace.find(workdir)
    paths = [path for change in change_set.files if change.error is None for path in change.paths_written]
    return git.dirty_files(paths) if git else []


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the command like Ctrl-C does (exit 143), so the journal can hold it too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _answer_file(args: argparse.Namespace) -> str:
    # `--files-to-modify a.py b.py answer.md` takes every word after it: the last is the answer.
    if args.file is None and args.files_to_modify:
        return args.files_to_modify.pop()
    if args.file is None:
        raise UsageError("name the answer to apply: a FILE, or - for standard input.")
    return args.file


def _say(text: str) -> None:
    # Paths and reasons quote the model's answer; a terminal gets them without escape sequences.
    if sys.stderr.isatty():
        text = strip_control_sequences(text)
    print(f"patchbay: {text}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    try:
        with _sigterm_as_interrupt():
            return _run(args)
    except Interrupted as stop:
        if stop.change is None:
            _say(f"stopped by {stop}; nothing was applied")
        return stop.exit_code


def _run(args: argparse.Namespace) -> int:
    answer_file = _answer_file(args)
    workdir = Path(args.workdir)
    if not workdir.is_dir():
        raise UsageError(f"--workdir {args.workdir} is not a folder.")
    answer = _read_input(answer_file)
    if not args.dry_run:
        for report in recover(workdir):
            _say(report.message)
    change_set = build_change_set(
        answer, workdir, output_parser=args.format, files_to_modify=args.files_to_modify
    )
    # The report names paths and quotes lines from the answer: a terminal gets them without
    # escape sequences (JSON escapes control characters itself; a pipe keeps the exact text).
    out = for_terminal(sys.stdout)
    if not change_set.files and change_set.already_applied:
        print(render_already(change_set, json_output=args.json), file=out, flush=True)
        return 0
    edited = [] if args.dry_run else _user_edits(workdir, change_set)
    applied = False
    refusal: str | None = None
    render = report_json if args.json else report_text
    try:
        if args.dry_run:
            plan_writes(change_set, allow_outside=args.allow_outside, scope=_SCOPE)
        else:
            apply_change_set(workdir, change_set, allow_outside=args.allow_outside, scope=_SCOPE)
        applied = True
    except PatchbayError as error:
        refusal = str(error)
    except Interrupted as stop:
        if stop.change is not None:
            print(render(change_set, True, False, None), file=out, flush=True)
            _say(f"stopped by {stop} after the change was applied in full (change {stop.change.id})")
        raise
    print(render(change_set, applied, args.dry_run, refusal), file=out, flush=True)
    if applied and edited:
        _say(f"note: {', '.join(edited)} held uncommitted changes of yours")
    if not applied:
        _say(_not_applied(change_set, refusal))
        return 1
    return 0
