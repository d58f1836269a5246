"""Just enough Markdown structure for plans: headings, fenced blocks and pipe tables, with line numbers.

Plans written by chat models bend the rules, so the reading is forgiving: a fence closes only at a
fence no more indented than its opening one (so ``` lines nested in a YAML block scalar stay inside),
and table rows may omit the outer pipes, escape pipes, or hide pipes inside code spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<marks>`{3,}|~{3,})(?P<info>.*)$")
_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?[ \t]*#*[ \t]*$")
_DELIMITER_CELL = re.compile(r"^:?-{1,}:?$")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int


@dataclass(frozen=True)
class Fence:
    info: str  # the first word after the opening marks, lower-cased ("yaml", "text", "")
    text: str  # the lines between the fences, common indentation of the opening fence removed
    line: int  # line of the opening fence
    end_line: int  # line of the closing fence (or the last line when never closed)


@dataclass(frozen=True)
class TableRow:
    cells: list[str]
    line: int


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[TableRow]
    line: int


@dataclass
class MarkdownDocument:
    lines: list[str]
    headings: list[Heading] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    in_fence: list[bool] = field(default_factory=list)  # per line (0-based): inside a fenced block

    def enclosing_headings(self, line: int, min_level: int = 2) -> list[Heading]:
        """The headings `line` sits under, outermost first (the last one of each shallower level)."""
        chain: list[Heading] = []
        for heading in self.headings:
            if heading.line >= line:
                break
            if heading.level < min_level:
                continue
            while chain and chain[-1].level >= heading.level:
                chain.pop()
            chain.append(heading)
        return chain

    def heading_before(self, line: int, min_level: int = 1) -> Heading | None:
        """The last heading above `line` whose level is at least `min_level`."""
        found = None
        for heading in self.headings:
            if heading.line >= line:
                break
            if heading.level >= min_level:
                found = heading
        return found


def parse_markdown(text: str) -> MarkdownDocument:
    lines = text.splitlines()
    doc = MarkdownDocument(lines=lines, in_fence=[False] * len(lines))
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence and not (fence["marks"][0] == "`" and "`" in fence["info"]):
            index = _read_fence(doc, index, fence)
            continue
        heading = _HEADING.match(line)
        if heading:
            doc.headings.append(
                Heading(len(heading["hashes"]), clean_inline(heading["text"] or ""), index + 1)
            )
            index += 1
            continue
        if "|" in line and index + 1 < len(lines) and _is_delimiter_row(lines[index + 1]):
            index = _read_table(doc, index)
            continue
        index += 1
    return doc


def _read_fence(doc: MarkdownDocument, start: int, opening: re.Match[str]) -> int:
    lines = doc.lines
    indent = len(opening["indent"].expandtabs(4))
    marks = opening["marks"]
    info = opening["info"].strip().split(maxsplit=1)
    end = start + 1
    while end < len(lines):
        closing = _FENCE.match(lines[end])
        if (
            closing
            and closing["marks"][0] == marks[0]
            and len(closing["marks"]) >= len(marks)
            and not closing["info"].strip()
            and len(closing["indent"].expandtabs(4)) <= indent
        ):
            break
        end += 1
    body = [_dedent(line, indent) for line in lines[start + 1 : end]]
    for number in range(start, min(end + 1, len(lines))):
        doc.in_fence[number] = True
    last = min(end, len(lines) - 1)
    doc.fences.append(Fence(info[0].lower() if info else "", "\n".join(body), start + 1, last + 1))
    return end + 1


def _dedent(line: str, indent: int) -> str:
    expanded = line.expandtabs(4) if line[:indent].strip() == "" and "\t" in line[:indent] else line
    removable = len(expanded) - len(expanded.lstrip(" "))
    return expanded[min(indent, removable) :]


def _is_delimiter_row(line: str) -> bool:
    cells = split_row(line)
    return bool(cells) and all(_DELIMITER_CELL.match(cell.replace(" ", "")) for cell in cells)


def _read_table(doc: MarkdownDocument, start: int) -> int:
    lines = doc.lines
    header = split_row(lines[start])
    rows: list[TableRow] = []
    index = start + 2
    while index < len(lines):
        line = lines[index]
        if not line.strip() or "|" not in line or _FENCE.match(line) or _HEADING.match(line):
            break
        rows.append(TableRow(split_row(line), index + 1))
        index += 1
    doc.tables.append(Table(header, rows, start + 1))
    return index


def split_row(line: str) -> list[str]:
    """The cells of a pipe-table row: `\\|` and pipes inside code spans are text, not separators."""
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    cells: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] == "|":
            current.append("|")
            index += 2
            continue
        if char == "`":
            rest = text[index:]
            run = len(rest) - len(rest.lstrip("`"))
            closing = _find_backtick_run(text, index + run, run)
            if closing is not None:
                current.append(text[index : closing + run].replace("\\|", "|"))
                index = closing + run
                continue
            current.append(text[index : index + run])
            index += run
            continue
        if char == "|":
            cells.append("".join(current).strip())
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    last = "".join(current).strip()
    if last or not text.rstrip().endswith("|"):
        cells.append(last)
    return cells


def _find_backtick_run(text: str, start: int, length: int) -> int | None:
    index = start
    while True:
        index = text.find("`" * length, index)
        if index < 0:
            return None
        end = index + length
        if (index == 0 or text[index - 1] != "`") and (end >= len(text) or text[end] != "`"):
            return index
        while index < len(text) and text[index] == "`":
            index += 1


_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def clean_inline(text: str) -> str:
    """Text without bold markers and link targets: what a task name or group should read."""
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    return " ".join(text.replace("**", "").split())


def group_name(*parts: str) -> str:
    """A runbook group from heading texts, outermost first: "/" nests groups in a runbook, so a
    slash a heading wrote is kept as a look-alike that does not."""
    return "/".join(part.replace("/", "\u2215") for part in parts if part)


def cell_text(cell: str) -> str:
    """A cell's content as prose: `<br>` becomes a line break, outer bold is dropped."""
    text = _BREAK.sub("\n", cell)
    return "\n".join(line.strip() for line in text.split("\n")).strip()
