"""One file's diff against the working tree: read it safely, then place its hunks (or check a
creation / deletion)."""

from __future__ import annotations

from pathlib import Path

from tui.errors import PatchbayError
from tui.patch.fuzzy import FuzzyConfig, normalize
from tui.patch.model import FileChange, Hunk, HunkLine, LineEdit, Placement
from tui.patch.place import place_hunks
from tui.patch.text_file import FileText
from tui.patch.unified_parse import FilePatch, ParsedHunk
from tui.workspace.paths import is_binary, resolve_in_tree, tree_relative


def read_target(workdir: Path, path: str) -> tuple[str, bytes | None]:
    """(canonical relative path, current bytes or None). Raises UnsafePathError / PatchbayError."""
    absolute = resolve_in_tree(workdir, path)
    rel = tree_relative(workdir, absolute)
    if absolute.is_dir():
        raise PatchbayError(f"{rel} is a folder, not a file.")
    try:
        data = absolute.read_bytes()
    except FileNotFoundError:
        return rel, None
    except OSError as error:
        raise PatchbayError(f"{rel} cannot be read ({error.strerror}).") from None
    if is_binary(data):
        raise PatchbayError(f"{rel} is a binary file; Patchbay only changes text files.")
    return rel, data


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
    rel, data = read_target(workdir, path)
    if patch.binary:
        return refused_change(
            rel, patch, f"the diff for {rel} is a binary patch; Patchbay only changes text files"
        )
    if not patch.hunks and not patch.deletes:
        return refused_change(rel, patch, f"the diff for {rel} changes no lines")
    only_additions = all(line.kind == "added" for hunk in patch.hunks for line in hunk.lines)
    if data is None:
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
    if old_side != [normalize(line) for line in old.lines] or any(line.kind == "added" for line in lines):
        placement = Placement(
            "failed", reason="the diff deletes the file but its lines differ from the file's"
        )
        return FileChange(rel, "delete", old, data, [_hunk(rel, 1, parsed, placement, None)])
    edit = LineEdit(0, len(old.lines), (), 0, len(old.lines))
    placement = Placement("exact", line=1, offset=0, score=1.0)
    return FileChange(rel, "delete", old, data, [_hunk(rel, 1, parsed, placement, edit)])
