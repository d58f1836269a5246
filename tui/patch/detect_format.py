"""Which edit format an answer (or each part of it) is written in, and the edits it holds.

`auto` reads every format in one pass, most distinctive first: apply_patch envelopes, then
SEARCH/REPLACE blocks, then unified diffs in what is left. Fenced whole files count only in an
answer holding none of those (beside them, a named fence is far more often an example)."""

from __future__ import annotations

from tui.errors import PatchbayError
from tui.patch.apply_patch import envelope_spans, parse_envelope
from tui.patch.edit_blocks import EDIT_FORMATS, FoundEdit
from tui.patch.fenced_files import parse_files
from tui.patch.found_diffs import find_diffs
from tui.patch.search_replace import has_blocks, parse_blocks

FORMAT_PARSERS: tuple[str, ...] = (*EDIT_FORMATS, "auto")

_NAMES = {
    "unified_diff": "unified diff",
    "search_replace": "SEARCH/REPLACE block",
    "apply_patch": "*** Begin Patch envelope",
    "whole_file": "fenced whole file named by its path",
}


def _mask(lines: list[str], first: int, last: int) -> None:
    """Blank answer lines first..last (1-based, inclusive): already read as another format."""
    for index in range(max(first - 1, 0), min(last, len(lines))):
        lines[index] = ""


def _envelopes(lines: list[str]) -> list[FoundEdit]:
    found: list[FoundEdit] = []
    for start, end in envelope_spans(lines):
        edits = parse_envelope(lines[start:end], first_line=start + 1)
        for edit in edits:
            edit.end = end
        found.extend(edits)
        _mask(lines, start + 1, end)
    return found


def _blocks(lines: list[str]) -> list[FoundEdit]:
    found = parse_blocks(lines) if has_blocks(lines) else []
    for edit in found:
        _mask(lines, edit.line, edit.end)
    return found


def _diffs(lines: list[str]) -> list[FoundEdit]:
    found: list[FoundEdit] = []
    for item in find_diffs("\n".join(lines)):
        patch = item.patch
        if patch.hunks or patch.binary or patch.deletes or patch.changes_metadata:
            found.append(FoundEdit("unified_diff", patch, hints=item.hints, line=patch.line))
    return found


def find_edits(answer: str, parser: str, *, single_target: bool = False) -> list[FoundEdit]:
    """The edits of `answer` read as `parser` (one of FORMAT_PARSERS), in order of appearance.
    `single_target`: the task names one file, so one unnamed whole file may go to it.

    Raises PatchbayError when the answer holds nothing in that format."""
    found = _collect(answer, parser, single_target)
    if not found:
        raise PatchbayError(_nothing_found(answer, parser))
    return found


def _collect(answer: str, parser: str, single_target: bool) -> list[FoundEdit]:
    lines = answer.replace("\r\n", "\n").split("\n")
    if parser == "apply_patch":
        found = _envelopes(lines)
    elif parser == "search_replace":
        found = _blocks(lines)
    elif parser == "unified_diff":
        found = _diffs(lines)
    elif parser == "whole_file":
        found = parse_files(lines, unnamed_ok=single_target)
    else:
        found = _envelopes(lines) + _blocks(lines)
        found += _diffs(lines)
        found.sort(key=lambda edit: edit.line)
        if not found:
            # Only then: beside real edits, a named fence is far more often an example.
            found = parse_files(lines, guessed=True, unnamed_ok=single_target)
    return found


def _nothing_found(answer: str, parser: str) -> str:
    empty = header_only(answer) if parser in ("auto", "unified_diff") else None
    if empty is not None:
        return empty
    if parser == "auto":
        return (
            "The answer holds no diff and no other edit: no SEARCH/REPLACE block, *** Begin Patch "
            "envelope or fenced file named by its path was found."
        )
    return (
        f"The answer holds no {_NAMES[parser]} (output_parser {parser})"
        + other_format_hint(answer, parser)
        + "."
    )


def header_only(answer: str) -> str | None:
    """The refusal for a diff that names a file but changes nothing in it (no `@@` hunk)."""
    for item in find_diffs(answer):
        patch = item.patch
        name = patch.target
        if name and not patch.hunks:
            return (
                f"The diff for {name} at line {patch.line} of the answer has ---/+++ headers but no @@ "
                "hunk: it changes nothing."
            )
    return None


def other_format_hint(answer: str, parser: str) -> str:
    """`; it looks like a …: set output_parser to … or auto` when another format is there."""
    other = next((name for name in EDIT_FORMATS if name != parser and _holds(answer, name)), None)
    if other is None:
        return ""
    return f"; it looks like a {_NAMES[other]}: set output_parser to {other} or auto"


def _holds(answer: str, parser: str) -> bool:
    return bool(_collect(answer, parser, single_target=False))
