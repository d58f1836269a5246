"""From a model answer to a ChangeSet: find the diffs (fenced, bare, git-style) or the whole-file
output, work out which file each one is for, and place every hunk against the working tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tui.errors import PatchbayError
from tui.patch.change_set import diff_file_change, refused_change
from tui.patch.fences import fence_language, find_fences, hint_paths, info_string_path, paths_in_line
from tui.patch.fuzzy import FuzzyConfig
from tui.patch.model import ChangeSet, FileChange
from tui.patch.target import TargetResolver
from tui.patch.unified_parse import FilePatch, ParsedHunk, looks_like_diff, parse_unified
from tui.patch.whole_file import whole_file_change

# Edit formats read by tui.patch.edit_change_set (auto: detected per block).
FORMAT_PARSERS = ("search_replace", "apply_patch", "whole_file", "auto")


@dataclass
class FoundDiff:
    """One file's diff as found in the answer, with the paths named around it."""

    patch: FilePatch
    hints: list[str] = field(default_factory=list)


def find_diffs(answer: str) -> list[FoundDiff]:
    """Every file diff in `answer`, in order of appearance."""
    lines = answer.replace("\r\n", "\n").split("\n")
    found: list[FoundDiff] = []
    floor = 0
    for fence in find_fences(lines):
        found.extend(_bare_diffs(lines, floor, fence.start))
        lang = fence_language(fence.lang)
        if looks_like_diff(fence.body, lang):
            hints = []
            named = info_string_path(fence.lang)  # ```diff src/app.py
            if named:
                hints.append(named)
            hints += hint_paths(lines, fence.start, floor)
            has_structure = any(line.startswith(("@@", "--- ", "+++ ", "diff --git")) for line in fence.body)
            patches = parse_unified(
                fence.body, first_line=fence.start + 2, lenient=True, implicit=not has_structure
            )
            for patch in patches:
                inside = _hints_inside(fence.body, patch.line - fence.start - 2)
                found.append(FoundDiff(patch, inside + hints))
        floor = fence.end + 1
    found.extend(_bare_diffs(lines, floor, len(lines)))
    return found


def _hints_inside(body: list[str], upto: int) -> list[str]:
    """Paths named inside a fence above its diff ("# file: x.py")."""
    hints: list[str] = []
    for line in body[: max(upto, 0)]:
        hints = paths_in_line(line) + hints
    return hints


def _bare_diffs(lines: list[str], low: int, high: int) -> list[FoundDiff]:
    segment = lines[low:high]
    if not any(line.startswith(("@@", "--- ", "+++ ", "diff --git ")) for line in segment):
        return []
    found = []
    for patch in parse_unified(segment, first_line=low + 1, lenient=False):
        start = patch.line - 1  # index in `lines`
        found.append(FoundDiff(patch, hint_paths(lines, start, low)))
    return found


def _same_hunk(a: ParsedHunk, b: ParsedHunk) -> bool:
    return a.lines == b.lines


def build_change_set(
    answer: str,
    workdir: Path,
    *,
    output_parser: str = "unified_diff",
    output_artifact: str | None = None,
    files_to_modify: list[str] | None = None,
    config: FuzzyConfig | None = None,
) -> ChangeSet:
    """Turn a model answer into a reviewed-ready ChangeSet against the files in `workdir`.

    Raises PatchbayError (one sentence) when the answer holds nothing to apply.
    """
    workdir = Path(workdir)
    parser = (output_parser or "unified_diff").strip().lower()
    if parser in FORMAT_PARSERS and parser != "unified_diff":
        from tui.patch.edit_change_set import build_edits_change_set

        return build_edits_change_set(
            answer,
            workdir,
            parser,
            output_artifact=output_artifact,
            files_to_modify=files_to_modify,
            config=config,
        )
    if parser != "unified_diff":
        change = whole_file_change(answer, workdir, parser, output_artifact, files_to_modify)
        return ChangeSet([change], parser)

    diffs = find_diffs(answer)
    diffs = [
        item
        for item in diffs
        if item.patch.hunks or item.patch.binary or item.patch.deletes or item.patch.changes_metadata
    ]
    if not diffs:
        from tui.patch.detect_format import other_format_hint

        raise PatchbayError(
            "The answer holds no diff: no ```diff block and no ---/+++/@@ lines were found"
            + other_format_hint(answer, "unified_diff")
            + "."
        )
    resolver = TargetResolver(workdir, files_to_modify, output_artifact)
    grouped: dict[str, list[FilePatch]] = {}
    notes: dict[str, str] = {}
    unnamed = 0
    for item in diffs:
        target, note = resolver.resolve(item.patch, item.hints)
        if target is None:
            unnamed += 1
            continue
        grouped.setdefault(target, []).append(item.patch)
        if note:
            notes[target] = note
    if unnamed and not grouped:
        raise PatchbayError(
            "The answer's diff names no file: add ---/+++ headers or name the file just before the fence."
        )
    changes: list[FileChange] = []
    for path, patches in grouped.items():
        merged = merge_patches(patches)
        try:
            change = diff_file_change(workdir, path, merged, config)
        except PatchbayError as error:
            change = refused_change(path, merged, str(error))
        change.note = notes.get(path)
        change.outside_scope = any(resolver.outside_scope(name) for name in change.paths_written)
        changes.append(change)
    if unnamed:
        changes.append(
            FileChange(
                path="(unnamed)",
                kind="modify",
                old=None,
                old_bytes=None,
                error=f"{unnamed} diff{'s' if unnamed > 1 else ''} in the answer name no file",
            )
        )
    return ChangeSet(changes, parser)


def merge_patches(patches: list[FilePatch]) -> FilePatch:
    """Several diffs for one file (separate fences, or repeated): one patch, duplicates dropped."""
    first = patches[0]
    merged = FilePatch(
        first.old_path,
        first.new_path,
        [],
        line=first.line,
        binary=any(patch.binary for patch in patches),
        new_file=any(patch.new_file for patch in patches),
        deleted_file=any(patch.deleted_file for patch in patches),
    )
    for patch in patches:
        if patch.old_path and not merged.old_path:
            merged.old_path = patch.old_path
        for name in ("rename_from", "rename_to", "copy_to", "old_mode", "new_mode"):
            if getattr(merged, name) is None:
                setattr(merged, name, getattr(patch, name))
        for hunk in patch.hunks:
            if not hunk.has_changes():
                continue
            if any(_same_hunk(hunk, other) for other in merged.hunks):
                continue
            merged.hunks.append(hunk)
    return merged
