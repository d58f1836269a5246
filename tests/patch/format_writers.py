"""Write one edit (old lines → new lines of a file) in every edit format, the way a careful
model would: the property tests and the per-format corpus start from these."""

from __future__ import annotations

import difflib

from tui.patch.line_diff import group_opcodes, line_opcodes

FORMATS = ("unified_diff", "search_replace", "apply_patch", "whole_file")


def _text(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def unified_diff(path: str, old: list[str], new: list[str], context: int = 3) -> str:
    body = "".join(
        difflib.unified_diff(
            _text(old).splitlines(True), _text(new).splitlines(True), f"a/{path}", f"b/{path}", n=context
        )
    )
    return f"```diff\n{body}```\n"


def _groups(old: list[str], new: list[str], context: int) -> list[tuple[int, int, int, int]]:
    """(i1, i2, j1, j2) of each changed region with `context` lines around it."""
    spans = []
    for group in group_opcodes(line_opcodes(old, new), context=context):
        spans.append((group[0][1], group[-1][2], group[0][3], group[-1][4]))
    return spans


def search_replace(path: str, old: list[str], new: list[str], context: int = 2, marker: int = 7) -> str:
    blocks = []
    for i1, i2, j1, j2 in _groups(old, new, context):
        search, replace = old[i1:i2], new[j1:j2]
        if not search:  # an insertion into an empty file: nothing to search for
            return f"{path}\n```\n{'<' * marker} SEARCH\n{'=' * marker}\n{_text(replace)}{'>' * marker} REPLACE\n```\n"
        blocks.append(
            f"{'<' * marker} SEARCH\n{_text(search)}{'=' * marker}\n{_text(replace)}{'>' * marker} REPLACE\n"
        )
    return f"{path}\n```\n" + "\n".join(blocks) + "```\n"


def apply_patch(path: str, old: list[str], new: list[str], context: int = 3, anchors: bool = False) -> str:
    out = ["*** Begin Patch", f"*** Update File: {path}"]
    for i1, i2, j1, j2 in _groups(old, new, context):
        anchor = next(
            (line for line in reversed(old[:i1]) if line.lstrip().startswith(("def ", "class "))), ""
        )
        out.append(f"@@ {anchor}".rstrip() if anchors else "@@")
        for tag, a1, a2, b1, b2 in line_opcodes(old[i1:i2], new[j1:j2]):
            if tag == "equal":
                out.extend(" " + line for line in old[i1 + a1 : i1 + a2])
                continue
            out.extend("-" + line for line in old[i1 + a1 : i1 + a2])
            out.extend("+" + line for line in new[j1 + b1 : j1 + b2])
        if i2 == len(old):
            out.append("*** End of File")
    out.append("*** End Patch")
    return "\n".join(out) + "\n"


def whole_file(path: str, old: list[str], new: list[str]) -> str:
    return f"{path}\n```\n{_text(new)}```\n"


WRITERS = {
    "unified_diff": unified_diff,
    "search_replace": search_replace,
    "apply_patch": apply_patch,
    "whole_file": whole_file,
}
