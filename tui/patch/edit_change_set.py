"""Every edit format through one engine: the edits found in an answer are grouped by the file
they resolve to, turned into the same FilePatch a unified diff gives (or, for whole files, a
diff against the file), placed by the same ladder and checked by the same path rules."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from tui.errors import PatchbayError
from tui.patch.change_set import diff_file_change, read_target, refused_change
from tui.patch.detect_format import find_edits
from tui.patch.edit_blocks import FoundEdit
from tui.patch.failure_text import with_closest
from tui.patch.fenced_files import elided_line
from tui.patch.found_diffs import merge_patches
from tui.patch.fuzzy import FuzzyConfig, normalize
from tui.patch.model import ChangeSet, FileChange, HunkLine, Placement
from tui.patch.target import TargetResolver
from tui.patch.text_file import FileText
from tui.patch.unified_parse import ParsedHunk
from tui.patch.whole_file import content_change
from tui.plural import counted

# A guessed whole file (format `auto`) shorter than this share of the current file is taken
# for a fragment the model quoted, not the file: replacing the file with it would delete code.
FRAGMENT_SHARE = 0.6
# A quoted block may miss one line in this many (at least one) and still be placed fuzzily.
LOOSE_SHARE = 4
_ALREADY = "already applied"


def build_edits_change_set(
    answer: str,
    workdir: Path,
    parser: str,
    *,
    output_artifact: str | None = None,
    files_to_modify: list[str] | None = None,
    config: FuzzyConfig | None = None,
) -> ChangeSet:
    """The ChangeSet of an answer in any edit format (`parser`: a format name or `auto`)."""
    workdir = Path(workdir)
    single = len(files_to_modify or []) == 1 or (not files_to_modify and bool(output_artifact))
    edits = find_edits(answer, parser, single_target=single)
    resolver = TargetResolver(workdir, files_to_modify, output_artifact)
    grouped: dict[str, list[FoundEdit]] = {}
    notes: dict[str, str] = {}
    unnamed: list[FoundEdit] = []
    for edit in edits:
        target, note = _whole_file_target(resolver, edit) or resolver.resolve(edit.patch, edit.hints)
        if target is None:
            unnamed.append(edit)
            continue
        grouped.setdefault(target, []).append(edit)
        if note:
            notes[target] = note.replace("the diff names", "the answer names", 1)
    if unnamed and not grouped:
        raise PatchbayError(
            f"The answer's edit at line {unnamed[0].line} names no file: name the file just before it."
        )
    change_set = ChangeSet([], parser)
    for path, items in grouped.items():
        change = _file_change(workdir, path, items, config)
        change.note = notes.get(path)
        change.edit_format = _format_of(items)
        change.outside_scope = any(resolver.outside_scope(name) for name in change.paths_written)
        _refuse_loose(change)
        _in_format_terms(change)
        _mark_already_there(change)
        _drop_already_applied(change, change_set)
        with_closest(change)
        if change.hunks or change.error or change.changes_metadata or change.kind == "delete":
            change_set.files.append(change)
    if unnamed:
        count = len(unnamed)
        change_set.files.append(
            FileChange(
                path="(unnamed)",
                kind="modify",
                old=None,
                old_bytes=None,
                error=f"{count} edit{'s' if count > 1 else ''} in the answer name no file",
            )
        )
    return change_set


def _whole_file_target(resolver: TargetResolver, edit: FoundEdit) -> tuple[str, str] | None:
    """A whole file named by a path that does not exist but whose base name is one file of the
    task or tree (`stats.py` for textkit/stats.py): that file, as for a diff's header path."""
    named = edit.patch.target
    if edit.fmt != "whole_file" or named is None or resolver._exists(named):
        return None
    found = resolver._by_basename(named)  # the resolver's own rule for header paths
    return (found, f"the answer names {named}; taken as {found}") if found else None


def _format_of(items: list[FoundEdit]) -> str:
    names = list(dict.fromkeys(item.fmt for item in items))
    return "+".join(names)


def _file_change(workdir: Path, path: str, items: list[FoundEdit], config: FuzzyConfig | None) -> FileChange:
    broken = next((item for item in items if item.error), None)
    merged = merge_patches([item.patch for item in items])
    if broken is not None:
        return refused_change(path, merged, broken.error or "")
    try:
        wholes = [item for item in items if item.fmt == "whole_file"]
        if wholes:
            if len(wholes) != len(items) or len(wholes) > 1:
                raise PatchbayError(f"the answer gives {path} more than once, in ways that do not combine")
            return _whole_file(workdir, path, wholes[0])
        _complete_from_file(workdir, path, items)
        merged = merge_patches([item.patch for item in items])
        return diff_file_change(workdir, path, merged, config)
    except PatchbayError as error:
        return refused_change(path, merged, str(error))


def _whole_file(workdir: Path, path: str, item: FoundEdit) -> FileChange:
    content = item.content or ""
    if (line := elided_line(content)) is not None:
        raise PatchbayError(
            f"the new {path} leaves code out at its line {line} ({content.split(chr(10))[line - 1].strip()}); "
            "a whole file must be complete"
        )
    rel, data = read_target(workdir, path)
    if item.guessed and data is not None:
        old = FileText.from_bytes(data, rel).lines
        new = content.split("\n")
        if len(old) >= 10 and len(new) < FRAGMENT_SHARE * len(old):
            raise PatchbayError(
                f"the block for {rel} at answer line {item.line} has {counted(len(new), 'line')} against the file's "
                f"{len(old)}: it reads as a fragment, not the whole file"
            )
    return content_change(rel, data, content)


def _complete_from_file(workdir: Path, path: str, items: list[FoundEdit]) -> None:
    """Fill in what some formats leave to the file: the lines a `*** Delete File` removes, and
    where a hunk marked `*** End of File` starts."""
    needs = [item for item in items if item.delete_unseen or item.at_end]
    if not needs:
        return
    rel, data = read_target(workdir, path)
    if data is None:
        if any(item.delete_unseen for item in needs):
            raise PatchbayError(f"the answer deletes {path}, which does not exist")
        return  # diff_file_change says the file is missing
    lines = FileText.from_bytes(data, rel).lines
    for item in needs:
        if item.delete_unseen:
            removed = [HunkLine("removed", text) for text in lines]
            item.patch.hunks = [ParsedHunk("", 1, len(lines), 0, 0, removed)]
        for hunk in item.at_end:
            hunk.old_start = max(len(lines) - hunk.old_count + 1, 1)


def _drop_already_applied(change: FileChange, change_set: ChangeSet) -> None:
    """SEARCH/REPLACE blocks whose REPLACE text is in the file already are not failures: they
    are reported as applied before, and left out of the change."""
    if change.edit_format != "search_replace" or change.error is not None:
        return
    done = [
        hunk
        for hunk in change.hunks
        if not hunk.placement.placed and _ALREADY in (hunk.placement.reason or "")
    ]
    for hunk in done:
        line = re.search(r"at line (\d+)", hunk.placement.reason or "")
        where = f" at line {line.group(1)}" if line else ""
        change_set.already_applied.append(f"{change.path}: block {hunk.index} is already applied{where}")
    change.hunks = [hunk for hunk in change.hunks if hunk not in done]


# The ladder speaks of a diff's removed and context lines; a SEARCH/REPLACE block has neither.
_SEARCH_TERMS = {
    "removed lines not found": "its SEARCH lines are not in the file",
    "its context is not in the file": "its SEARCH lines are not in the file",
    "the context matches too weakly": "its SEARCH lines match the file too weakly",
}


_HUNK_NUMBER = re.compile(r"\bhunk (\d+)")


def _in_format_terms(change: FileChange) -> None:
    """Say a refusal in the words the edit was written in: no "diff" or "hunk" for an answer
    without one (the report counts its blocks), no removed or context lines for a SEARCH/REPLACE
    block."""
    if "unified_diff" in (change.edit_format or "unified_diff"):
        return
    if change.error is not None:
        change.error = change.error.replace("the diff ", "the answer ")
    for hunk in change.hunks:
        reason = hunk.placement.reason or ""
        if hunk.placement.placed or not reason:
            continue
        reason = _HUNK_NUMBER.sub(r"block \1", reason)
        if change.edit_format == "search_replace":
            said = next((said for said in _SEARCH_TERMS if reason.startswith(said)), None)
            if said is not None:
                reason = _SEARCH_TERMS[said] + reason[len(said) :]
        hunk.placement = replace(hunk.placement, reason=reason)


def _refuse_loose(change: FileChange) -> None:
    """A SEARCH (or an envelope's unchanged lines) is the model quoting the file: a fuzzy place
    where most of the quote differs is a guess, not a match. Diffs keep the ladder's own rule."""
    if not change.edit_format or not set(change.edit_format.split("+")) & {"search_replace", "apply_patch"}:
        return
    for hunk in change.hunks:
        placement = hunk.placement
        found = re.search(r"(\d+) context lines? differ", placement.reason or "")
        if placement.status != "fuzzy" or found is None:
            continue
        quoted = sum(1 for line in hunk.lines if line.kind != "added")
        differ = int(found.group(1))
        if differ <= max(1, quoted // LOOSE_SHARE):
            continue
        first = placement.line or 1
        hunk.placement = Placement(
            "failed",
            reason=f"its lines match the file only loosely ({differ} of {quoted} quoted lines differ)",
            closest=(first, first + quoted - 1),
            closest_score=placement.score,
        )
        hunk.edit = None


def _mark_already_there(change: FileChange) -> None:
    """A quoted block placed only by tolerance while its result stands in the file word for word
    was applied before: placing it again would change a look-alike region instead."""
    if change.old is None or not change.edit_format or change.edit_format == "unified_diff":
        return
    keys = [normalize(line) for line in change.old.lines]
    for hunk in change.hunks:
        if hunk.placement.status in ("exact", "offset") or not any(
            line.kind != "context" for line in hunk.lines
        ):
            continue
        new = [normalize(line.text) for line in hunk.lines if line.kind != "removed"]
        old = [normalize(line.text) for line in hunk.lines if line.kind != "added"]
        at = _find(keys, new)
        if at is None or (old and _find(keys, old) is not None):
            continue
        hunk.placement = Placement(
            "failed",
            reason=f"the change is already applied at line {at + 1}",
            closest=(at + 1, at + len(new)),
            closest_score=1.0,
        )
        hunk.edit = None


def _find(keys: list[str], block: list[str]) -> int | None:
    size = len(block)
    if not size:
        return None
    for start in range(len(keys) - size + 1):
        if keys[start] == block[0] and keys[start : start + size] == block:
            return start
    return None
