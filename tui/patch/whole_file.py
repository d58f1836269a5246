"""Whole-file outputs (output_parser code_block, <lang>_code_block, json, text): the answer gives
the full new content of output_artifact, reviewed as a diff against the current file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tui.errors import PatchbayError
from tui.patch.change_set import read_target
from tui.patch.fences import Fence, fence_language, find_fences
from tui.patch.line_diff import group_opcodes, line_opcodes
from tui.patch.model import FileChange, Hunk, HunkLine, LineEdit, Placement
from tui.patch.text_file import FileText
from tui.patch.unified_parse import looks_like_diff

_CODE_BLOCK = re.compile(r"^(?:(?P<lang>[\w+#.-]+)_)?code_block$")
_ALIASES = {
    "python": {"python", "py", "python3"},
    "javascript": {"javascript", "js", "jsx", "node"},
    "typescript": {"typescript", "ts", "tsx"},
    "yaml": {"yaml", "yml"},
    "shell": {"shell", "sh", "bash", "zsh", "console"},
    "bash": {"shell", "sh", "bash", "zsh"},
    "markdown": {"markdown", "md"},
    "c++": {"c++", "cpp", "cc", "cxx"},
    "cpp": {"c++", "cpp", "cc", "cxx"},
    "rust": {"rust", "rs"},
    "go": {"go", "golang"},
}
_SHELLS = {"sh", "bash", "shell", "zsh", "console", "powershell", "cmd", "fish"}


def _languages(name: str) -> set[str]:
    name = name.lower()
    return _ALIASES.get(name, {name})


def pick_code_block(answer: str, lang: str | None) -> str:
    """The fence holding the new file: among fences of the wanted language (or without one, or
    any non-shell fence when none match), the last one at least 80% as long as the longest
    (models show the old version first, and small usage examples after)."""
    lines = answer.replace("\r\n", "\n").split("\n")
    fences = [
        fence for fence in find_fences(lines) if not looks_like_diff(fence.body, fence_language(fence.lang))
    ]
    if lang:
        wanted = _languages(lang)
        chosen = [fence for fence in fences if fence_language(fence.lang) in wanted]
        chosen = chosen or [fence for fence in fences if not fence_language(fence.lang)]
    else:
        chosen = []
    chosen = chosen or [fence for fence in fences if fence_language(fence.lang) not in _SHELLS]
    if not chosen:
        raise PatchbayError("The answer holds no fenced code block (```) to use as the new file.")
    return "\n".join(_best(chosen).body)


def _best(fences: list[Fence]) -> Fence:
    longest = max(len(fence.body) for fence in fences)
    sensible = [fence for fence in fences if len(fence.body) >= 0.8 * longest]
    return sensible[-1]


def _json_content(answer: str) -> str:
    lines = answer.replace("\r\n", "\n").split("\n")
    fences = [fence for fence in find_fences(lines) if fence_language(fence.lang) in ("json", "")]
    text = "\n".join(_best(fences).body) if fences else answer.strip()
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise PatchbayError(
            f"The answer's JSON is invalid at line {error.lineno} column {error.colno}: {error.msg}."
        ) from None
    return text.strip()


def whole_file_change(
    answer: str, workdir: Path, parser: str, artifact: str | None, files_to_modify: list[str] | None
) -> FileChange:
    if parser not in ("json", "text") and not _CODE_BLOCK.match(parser):
        raise PatchbayError(
            f"Unknown output_parser {parser!r}; use unified_diff, code_block, <lang>_code_block, json or text."
        )
    if not artifact:
        raise PatchbayError(
            f"output_parser {parser} needs output_artifact: the file the answer's content goes to."
        )
    if parser == "json":
        content = _json_content(answer)
    elif parser == "text":
        content = answer.replace("\r\n", "\n").strip()
    else:
        match = _CODE_BLOCK.match(parser)
        assert match is not None
        content = pick_code_block(answer, match.group("lang"))
    rel, data = read_target(workdir, artifact)
    change = content_change(rel, data, content)
    change.edit_format = "whole_file"  # as for a whole file found by `auto`: reviewed as changes, not hunks
    if files_to_modify:
        change.outside_scope = rel not in {path.removeprefix("./") for path in files_to_modify}
    return change


def content_change(rel: str, data: bytes | None, content: str) -> FileChange:
    """A FileChange replacing the file with `content` (LF text), in hunks with 3 lines of context.

    The new text takes the file's line endings, BOM and final-newline habit (a new file ends
    with a newline)."""
    old = FileText.from_bytes(data, rel) if data is not None else FileText((), ())
    new_lines = FileText.from_text(content).lines
    hunks: list[Hunk] = []
    groups = group_opcodes(line_opcodes(old.lines, new_lines), context=3)
    for number, group in enumerate(groups, start=1):
        lines: list[HunkLine] = []
        new: list[tuple[str, str | None]] = []
        changed = [op for op in group if op[0] != "equal"]
        start, end = changed[0][1], changed[-1][2]
        removed = added = 0
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(HunkLine("context", text) for text in old.lines[i1:i2])
                if start <= i1 and i2 <= end:
                    new.extend(zip(old.lines[i1:i2], old.eols[i1:i2], strict=True))
                continue
            lines.extend(HunkLine("removed", text) for text in old.lines[i1:i2])
            lines.extend(HunkLine("added", text) for text in new_lines[j1:j2])
            new.extend((text, None) for text in new_lines[j1:j2])
            removed += i2 - i1
            added += j2 - j1
        first = group[0]
        header = f"@@ -{first[1] + 1},{group[-1][2] - first[1]} +{first[3] + 1},{group[-1][4] - first[3]} @@"
        edit = LineEdit(start, end, tuple(new), added, removed)
        placement = Placement("exact", line=start + 1, offset=0, score=1.0)
        hunks.append(Hunk(f"{rel}#{number}", number, header, first[1] + 1, tuple(lines), placement, edit))
    kind = "create" if data is None else "modify"
    change = FileChange(rel, kind, old if data is not None else None, data, hunks)
    if not hunks:
        change.error = f"the new content of {rel} is the same as the current file"
    return change
