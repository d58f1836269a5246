"""`patchbay apply --workdir DIR [--dry-run] [--json] FILE|-`: apply a model answer or a diff.

All or nothing: when any hunk fails to place, nothing is written and the exit code is 1, with a
per-hunk report saying why. Exit 0: every hunk applied (or would apply, with --dry-run).
Exit 2: bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tui.errors import PatchbayError, UsageError
from tui.patch.apply_change import apply_change_set, plan_writes
from tui.patch.extract import build_change_set
from tui.patch.model import ChangeSet, FileChange, Hunk


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
        item["closest"] = {"lines": list(placement.closest), "score": placement.closest_score}
    return item


def _file_status(change: FileChange, applied: bool) -> str:
    return "applied" if applied and change.status == "ok" else "failed"


def _file_reason(change: FileChange, change_set_ok: bool, refusal: str | None) -> str | None:
    if change.error:
        return change.error
    if change.status != "ok":
        failed = sum(1 for hunk in change.hunks if not hunk.placement.placed)
        return f"{failed} of {len(change.hunks)} hunks failed"
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
            "added": change.added,
            "removed": change.removed,
            "hunks": [_hunk_json(hunk) for hunk in change.hunks],
        }
        reason = None if applied else _file_reason(change, change_set.all_placed, refusal)
        if reason:
            item["reason"] = reason
        if change.note:
            item["note"] = change.note
        files.append(item)
    return json.dumps({"files": files, "applied": applied, "dry_run": dry_run}, indent=2)


def report_text(change_set: ChangeSet, applied: bool, dry_run: bool, refusal: str | None) -> str:
    out: list[str] = []
    for change in change_set.files:
        status = _file_status(change, applied)
        if applied and dry_run:
            status = "would apply"
        counts = f" (+{change.added} -{change.removed})" if change.hunks else ""
        out.append(f"{change.path}: {status}{counts}")
        if change.note:
            out.append(f"  note: {change.note}")
        reason = None if applied else _file_reason(change, change_set.all_placed, refusal)
        if reason:
            out.append(f"  {reason}")
        for hunk in change.hunks:
            where = f" at line {hunk.placement.line}" if hunk.placement.placed and hunk.placement.line else ""
            out.append(f"  hunk {hunk.index}: {hunk.placement.describe()}{where}")
    return "\n".join(out)


def _note_user_edits(workdir: Path, change_set) -> None:
    """Say so when a target file held the user's own uncommitted changes (undo restores them)."""
    from tui.workspace.git_repo import GitWorkspace

    git = GitWorkspace.find(workdir)
    edited = git.dirty_files([change.path for change in change_set.files]) if git else []
    if edited:
        print(f"patchbay: note: {', '.join(edited)} held uncommitted changes of yours", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir)
    if not workdir.is_dir():
        raise UsageError(f"--workdir {args.workdir} is not a folder.")
    answer = _read_input(args.file)
    change_set = build_change_set(answer, workdir, files_to_modify=args.files_to_modify)
    applied = False
    refusal: str | None = None
    try:
        if args.dry_run:
            plan_writes(change_set, allow_outside=args.allow_outside)
        else:
            apply_change_set(workdir, change_set, allow_outside=args.allow_outside)
        applied = True
    except PatchbayError as error:
        refusal = str(error)
    render = report_json if args.json else report_text
    print(render(change_set, applied, args.dry_run, refusal))
    _note_user_edits(workdir, change_set)
    if not applied:
        failed = sum(1 for hunk in change_set.hunks if not hunk.placement.placed)
        summary = (
            f"nothing applied: {failed} of {len(change_set.hunks)} hunks failed to place (see the report)"
            if failed
            else refusal
        )
        print(f"patchbay: {summary}", file=sys.stderr)
        return 1
    return 0
