"""From a model answer to a ChangeSet: find the diffs (fenced, bare, git-style) or the whole-file
output, work out which file each one is for, and place every hunk against the working tree."""

from __future__ import annotations

from pathlib import Path

from tui.errors import PatchbayError
from tui.patch.change_set import diff_file_change, refused_change
from tui.patch.found_diffs import FoundDiff, find_diffs, merge_patches
from tui.patch.fuzzy import FuzzyConfig
from tui.patch.model import ChangeSet, FileChange
from tui.patch.target import TargetResolver
from tui.patch.unified_parse import FilePatch
from tui.patch.whole_file import whole_file_change

__all__ = ["FORMAT_PARSERS", "FoundDiff", "build_change_set", "find_diffs", "merge_patches"]

# Edit formats read by tui.patch.edit_change_set (auto: detected per block).
FORMAT_PARSERS = ("search_replace", "apply_patch", "whole_file", "auto")


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
        from tui.patch.detect_format import header_only, other_format_hint

        empty = header_only(answer)
        if empty is not None:
            raise PatchbayError(empty)
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
