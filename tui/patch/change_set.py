"""One file's diff against the working tree: read it safely, then place its hunks (or check a
creation / deletion)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tui.errors import PatchbayError
from tui.patch.fuzzy import FuzzyConfig, normalize
from tui.patch.model import FileChange, Hunk, HunkLine, LineEdit, Placement
from tui.patch.place import place_hunks
from tui.patch.text_file import FileText
from tui.patch.unified_parse import FilePatch, ParsedHunk
from tui.workspace.atomic import default_file_mode
from tui.workspace.paths import not_text_reason, read_regular, resolve_in_tree, tree_relative

_GIT_FILE_TYPES = {0o120000: "a symbolic link", 0o160000: "a submodule"}


def read_target(workdir: Path, path: str) -> tuple[str, bytes | None]:
    """(canonical relative path, current bytes or None). Raises UnsafePathError / PatchbayError."""
    absolute = resolve_in_tree(workdir, path)
    rel = tree_relative(workdir, absolute)
    data = read_regular(absolute, rel)
    if data is not None and (reason := not_text_reason(data)):
        raise PatchbayError(f"{rel} is {reason}; Patchbay only changes UTF-8 text files.")
    return rel, data


def _disk_mode(workdir: Path, rel: str) -> int | None:
    try:
        return stat.S_IMODE(os.stat(workdir / rel).st_mode)
    except OSError:
        return None


def permission_bits(git_mode: int | None, current: int | None) -> int | None:
    """The permission bits a git mode asks for, starting from `current` (None: no wish)."""
    if git_mode is None:
        return None
    base = current if current is not None else default_file_mode()
    if git_mode & 0o111:
        return base | ((base & 0o444) >> 2)  # x wherever r is, as git does
    return base & ~0o111


def _hunk(path: str, number: int, parsed: ParsedHunk, placement: Placement, edit: LineEdit | None) -> Hunk:
    return Hunk(
        id=f"{path}#{number}",
        index=number,
        header=parsed.header,
        stated_line=parsed.old_start or None,
        lines=tuple(parsed.lines),
        placement=placement,
        edit=edit,
    )


def refused_change(path: str, patch: FilePatch, reason: str) -> FileChange:
    failed = Placement("failed", reason="the file was refused")
    hunks = [_hunk(path, n, hunk, failed, None) for n, hunk in enumerate(patch.hunks, start=1)]
    return FileChange(path=path, kind="modify", old=None, old_bytes=None, hunks=hunks, error=reason)


def diff_file_change(
    workdir: Path, path: str, patch: FilePatch, config: FuzzyConfig | None = None
) -> FileChange:
    """The change `patch` makes to `path` (its new name, for a rename), placed against the tree."""
    kind = _GIT_FILE_TYPES.get((patch.new_mode or 0) & 0o170000)
    if kind is not None:
        return refused_change(
            path, patch, f"the diff makes {path} {kind}; Patchbay only writes regular files"
        )
    if patch.copy_to is not None:
        return refused_change(
            path, patch, f"the diff copies a file to {patch.copy_to}; Patchbay does not apply git copies"
        )
    if patch.renames:
        return _renamed(workdir, path, patch, config)
    change = _file_change(workdir, path, patch, config)
    if change.error is None and patch.new_mode is not None and change.kind != "delete":
        change.old_mode = _disk_mode(workdir, change.path)
        change.new_mode = permission_bits(patch.new_mode, change.old_mode)
    return change


def _renamed(workdir: Path, path: str, patch: FilePatch, config: FuzzyConfig | None) -> FileChange:
    """A git rename: place the hunks on the old file; the result is written under the new name."""
    source = patch.rename_from or ""
    source_rel, data = read_target(workdir, source)
    rel, existing = read_target(workdir, path)
    if data is None:
        return refused_change(rel, patch, f"the diff renames {source} to {rel}, but {source} does not exist")
    if existing is not None:
        return refused_change(rel, patch, f"the diff renames {source_rel} to {rel}, but {rel} already exists")
    old = FileText.from_bytes(data, source_rel)
    change = _placed(rel, "modify", old, data, patch, config)
    change.renamed_from = source_rel
    change.old_mode = _disk_mode(workdir, source_rel)
    change.new_mode = permission_bits(patch.new_mode, change.old_mode)
    return change


def _file_change(workdir: Path, path: str, patch: FilePatch, config: FuzzyConfig | None) -> FileChange:
    rel, data = read_target(workdir, path)
    if patch.binary:
        return refused_change(
            rel, patch, f"the diff for {rel} is a binary patch; Patchbay only changes text files"
        )
    if not patch.hunks and not patch.deletes and patch.new_mode is not None:
        if data is None:
            return refused_change(rel, patch, f"the diff changes the mode of {rel}, which does not exist")
        return FileChange(path=rel, kind="modify", old=FileText.from_bytes(data, rel), old_bytes=data)
    if not patch.hunks and not patch.deletes:
        return refused_change(rel, patch, f"the diff for {rel} changes no lines")
    only_additions = all(line.kind == "added" for hunk in patch.hunks for line in hunk.lines)
    if data is None:
        if patch.deletes:
            return refused_change(rel, patch, f"the diff deletes {rel}, which does not exist")
        if not only_additions:
            return refused_change(rel, patch, f"{rel} does not exist, and the diff changes lines in it")
        return _placed(rel, "create", None, None, patch, config)
    old = FileText.from_bytes(data, rel)
    if patch.creates and only_additions:
        same = _additions(patch) == [normalize(line) for line in old.lines]
        detail = " with this content already" if same else ""
        return refused_change(rel, patch, f"the diff creates {rel}, which exists{detail}")
    if patch.deletes:
        return _deletion(rel, old, data, patch)
    return _placed(rel, "modify", old, data, patch, config)


def _additions(patch: FilePatch) -> list[str]:
    return [normalize(line.text) for hunk in patch.hunks for line in hunk.lines if line.kind == "added"]


def _placed(
    rel: str,
    kind: str,
    old: FileText | None,
    data: bytes | None,
    patch: FilePatch,
    config: FuzzyConfig | None,
) -> FileChange:
    base = old if old is not None else FileText((), ())
    results = place_hunks(base, patch.hunks, config)
    hunks = [
        _hunk(rel, number, parsed, placement, edit)
        for number, (parsed, (placement, edit)) in enumerate(zip(patch.hunks, results, strict=True), start=1)
    ]
    return FileChange(path=rel, kind=kind, old=old, old_bytes=data, hunks=hunks)  # type: ignore[arg-type]


def _deletion(rel: str, old: FileText, data: bytes, patch: FilePatch) -> FileChange:
    """A diff to /dev/null must remove the whole file, line for line."""
    lines = tuple(line for hunk in patch.hunks for line in hunk.lines)
    old_side = [normalize(line.text) for line in lines if line.kind != "added"]
    header = patch.hunks[0].header if patch.hunks else ""
    parsed = ParsedHunk(header, 1, len(old_side), 0, 0, list(lines) or [HunkLine("removed", "")])
    if not lines and old.lines:
        placement = Placement(
            "failed", reason="the diff deletes the file without showing its lines, so it cannot be checked"
        )
        return FileChange(rel, "delete", old, data, [_hunk(rel, 1, parsed, placement, None)])
    if old_side != [normalize(line) for line in old.lines] or any(line.kind == "added" for line in lines):
        placement = Placement(
            "failed", reason="the diff deletes the file but its lines differ from the file's"
        )
        return FileChange(rel, "delete", old, data, [_hunk(rel, 1, parsed, placement, None)])
    edit = LineEdit(0, len(old.lines), (), 0, len(old.lines))
    placement = Placement("exact", line=1, offset=0, score=1.0)
    return FileChange(rel, "delete", old, data, [_hunk(rel, 1, parsed, placement, edit)])
