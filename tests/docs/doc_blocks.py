"""The fenced examples of the documentation, with what their info strings ask of the tests.

An info string is the language, then words that say how the example is checked:

- `sh`: run with bash (errexit) in the document's sandbox; `exit=N` expects that exit code;
  `norun` marks lines that are not run here (they open the TUI, or run the test suite itself):
  each `patchbay` line must be accepted by its argument parser and each `make` target exist;
  `gpu` marks commands for a machine with a CUDA GPU: only the files they name must exist.
- `yaml runbook|detail|config|transcript|theme`: checked by what reads that kind of file.
- `file=PATH` (any language): written to PATH in the sandbox before the next shell example runs.
- `markdown plan`: imported with `patchbay import` and validated (`warnings=N`: it warns N times).
- `text output`: what the shell example just before it prints, exactly.
- `text`, `jinja`, `diff`, `json`, `console`, ...: shown, not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<marks>`{3,}|~{3,})(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Block:
    document: Path
    line: int  # of the opening fence
    language: str
    words: frozenset[str] = field(default_factory=frozenset)
    options: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def where(self) -> str:
        return f"{self.document.relative_to(REPO)}:{self.line}"


def blocks(document: Path) -> list[Block]:
    """The top-level fenced blocks of a Markdown file (fences nested in a longer fence stay text)."""
    found: list[Block] = []
    lines = document.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        marks = opening["marks"]
        end = index + 1
        while end < len(lines):
            closing = _FENCE.match(lines[end])
            if (
                closing
                and closing["marks"][0] == marks[0]
                and len(closing["marks"]) >= len(marks)
                and not closing["info"].strip()
            ):
                break
            end += 1
        info = opening["info"].split()
        words = frozenset(word for word in info[1:] if "=" not in word)
        options = dict(word.split("=", 1) for word in info[1:] if "=" in word)
        body = "\n".join(lines[index + 1 : end]) + "\n"
        found.append(Block(document, index + 1, info[0] if info else "", words, options, body))
        index = end + 1
    return found
