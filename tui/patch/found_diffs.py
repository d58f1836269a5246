"""The unified diffs in a model answer (fenced, bare, git-style) with the paths named around
them, and several diffs for one file merged into one."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.patch.fences import fence_language, find_fences, hint_paths, info_string_path, paths_in_line
from tui.patch.unified_parse import FilePatch, ParsedHunk, looks_like_diff, parse_unified


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
