"""Slices of the working tree that go into a prompt (`context_files`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tui.errors import PatchbayError
from tui.plural import counted

_RANGE = re.compile(r"^\s*(\d+)\s*(?:[-–:]\s*(\d+)?\s*)?$")


class ContextFileError(PatchbayError):
    """A context file that is missing, not text, or asked for with a bad line range."""


@dataclass(frozen=True)
class ContextFile:
    """What a template sees as one entry of `context_files`."""

    path: str
    lines: str | None
    text: str
    first_line: int
    last_line: int


def parse_line_range(spec: str | int | None, total: int) -> tuple[int, int]:
    """`"45-80"` → (45, 80), 1-based and inclusive; `"45-"` runs to the end; None is the whole file."""
    if spec is None or spec == "":
        return 1, max(total, 1)
    match = _RANGE.match(str(spec))
    if not match:
        raise ValueError(f"'{spec}' is not a line range like 45-80")
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else (first if "-" not in str(spec) else total)
    if first < 1 or last < first:
        raise ValueError(f"'{spec}' is not a line range like 45-80")
    return first, min(last, max(total, 1))


def read_context_file(workdir: Path, path: str, lines: str | int | None = None) -> ContextFile:
    """Read the slice of `path` (relative to the working tree) named by `lines`."""
    from tui.workspace.paths import resolve_in_tree  # keeps the safety rules in one place

    try:
        target = resolve_in_tree(workdir, path)
    except PatchbayError as exc:
        raise ContextFileError(f"context file {path}: {exc}") from None
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        raise ContextFileError(f"context file {path} does not exist in {workdir}") from None
    except IsADirectoryError:
        raise ContextFileError(f"context file {path} is a folder, not a file") from None
    except OSError as exc:
        raise ContextFileError(f"context file {path} cannot be read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContextFileError(f"context file {path} is not UTF-8 text") from None
    all_lines = text.splitlines()
    try:
        first, last = parse_line_range(lines, len(all_lines))
    except ValueError as exc:
        raise ContextFileError(f"context file {path}: {exc}") from None
    if all_lines and first > len(all_lines):
        raise ContextFileError(
            f"context file {path} has {counted(len(all_lines), 'line')}; lines {lines} are past its end"
        )
    selected = "\n".join(all_lines[first - 1 : last])
    return ContextFile(
        path=path,
        lines=None if lines is None else str(lines),
        text=selected,
        first_line=first,
        last_line=last,
    )
