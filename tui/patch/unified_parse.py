"""Parse unified diffs the way small models write them: hunk counts are ignored (inferred from
the lines), `@@` headers may lack numbers, blank context lines may lack their leading space, and
---/+++ headers may be missing altogether."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tui.patch.model import HunkLine

DEV_NULL = "/dev/null"
DIFF_LANGS = {"diff", "patch", "udiff"}

_HUNK_NUMBERS = re.compile(r"^@@+\s*-(\d+)(?:,(\d+))?(?:\s+\+(\d+)(?:,(\d+))?)?\s*@@")
_GIT_HEADER = re.compile(r"^diff --git (?:\"?a/)?(.+?)\"? (?:\"?b/)?(.+?)\"?$")
_GIT_META = (
    "index ",
    "new file mode",
    "deleted file mode",
    "old mode",
    "new mode",
    "similarity index",
    "dissimilarity index",
    "rename from",
    "rename to",
    "copy from",
    "copy to",
)


@dataclass
class ParsedHunk:
    header: str
    old_start: int | None
    old_len: int | None
    new_start: int | None
    new_len: int | None
    lines: list[HunkLine] = field(default_factory=list)
    old_no_eol: bool = False
    new_no_eol: bool = False

    @property
    def old_count(self) -> int:
        return sum(1 for line in self.lines if line.kind != "added")

    @property
    def new_count(self) -> int:
        return sum(1 for line in self.lines if line.kind != "removed")

    def has_changes(self) -> bool:
        return any(line.kind != "context" for line in self.lines)


@dataclass
class FilePatch:
    """One file's part of a diff. Paths are as written, minus a/ b/ prefixes when both sides have them."""

    old_path: str | None
    new_path: str | None
    hunks: list[ParsedHunk] = field(default_factory=list)
    line: int = 1  # where it starts in the text it was parsed from (1-based)
    binary: bool = False
    new_file: bool = False
    deleted_file: bool = False
    rename_from: str | None = None  # git's `rename from` / `rename to` lines (no a/ b/ prefixes)
    rename_to: str | None = None
    copy_to: str | None = None  # git's `copy to`: Patchbay refuses copies rather than guess
    old_mode: int | None = None  # git modes as written (0o100644, 0o100755, 0o120000 ...)
    new_mode: int | None = None

    @property
    def renames(self) -> bool:
        return bool(self.rename_from and self.rename_to and self.rename_from != self.rename_to)

    @property
    def changes_metadata(self) -> bool:
        """A rename, copy or mode line: something to apply even without a hunk."""
        return self.renames or self.copy_to is not None or self.new_mode is not None

    @property
    def target(self) -> str | None:
        if self.renames:
            return self.rename_to
        if self.new_path and self.new_path != DEV_NULL:
            return self.new_path
        if self.old_path and self.old_path != DEV_NULL:
            return self.old_path
        return None

    @property
    def creates(self) -> bool:
        return self.new_file or self.old_path == DEV_NULL

    @property
    def deletes(self) -> bool:
        return self.deleted_file or self.new_path == DEV_NULL


def _git_mode(line: str) -> int | None:
    word = line.rsplit(" ", 1)[-1].strip()
    try:
        return int(word, 8)
    except ValueError:
        return None


# Git's C-style quoting (quote.c): these escapes, and any byte as three octal digits (or, from a
# model writing it by hand, as \xHH).
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_BYTE = re.compile(r"[0-3][0-7]{2}|x[0-9A-Fa-f]{2}")


def unquote_c_style(text: str) -> str:
    """The body of a path git quoted. Octal escapes are bytes, so a non-ASCII name (`\\303\\251`
    for é) is read back as UTF-8; an unknown escape is kept as written."""
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        following = text[index + 1 : index + 4]
        if char == "\\" and _BYTE.fullmatch(following):
            out.append(int(following[1:], 16) if following[0] == "x" else int(following, 8))
            index += 4
        elif char == "\\" and following[:1] in _C_ESCAPES:
            out.append(_C_ESCAPES[following[0]])
            index += 2
        else:
            out += char.encode("utf-8", "surrogatepass")
            index += 1
    return out.decode("utf-8", "replace")


def clean_path(raw: str) -> str | None:
    """A header path without timestamps, quotes or a leading ./; None when nothing is left."""
    text = raw.split("\t", 1)[0].strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = unquote_c_style(text[1:-1])
    text = text.strip("`*")
    while text.startswith("./"):
        text = text[2:]
    return text or None


def _strip_prefixes(patch: FilePatch) -> None:
    old, new = patch.old_path, patch.new_path
    old_ok = old is None or old == DEV_NULL or old.startswith("a/")
    new_ok = new is None or new == DEV_NULL or new.startswith("b/")
    if old_ok and new_ok and (old not in (None, DEV_NULL) or new not in (None, DEV_NULL)):
        if old and old != DEV_NULL:
            patch.old_path = old[2:]
        if new and new != DEV_NULL:
            patch.new_path = new[2:]


def is_hunk_header(line: str) -> bool:
    return line.startswith("@@")


def is_file_header(lines: list[str], index: int) -> bool:
    line = lines[index]
    if line.startswith("diff --git "):
        return True
    return line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ ")


def looks_like_diff(body: list[str], lang: str) -> bool:
    for index, line in enumerate(body):
        if line.startswith("@@") or line.startswith("diff --git ") or is_file_header(body, index):
            return True
    return lang in DIFF_LANGS and any(
        line[:1] in "+-" and line[:3] not in ("+++", "---") for line in body if line
    )


class _Parser:
    def __init__(self, lines: list[str], first_line: int, lenient: bool, implicit: bool) -> None:
        self.lines = lines
        self.first_line = first_line
        self.lenient = lenient  # inside a fence: every line belongs to the diff
        self.implicit = implicit  # a diff fence without @@: +/-/space lines form one hunk
        self.patches: list[FilePatch] = []
        self.patch: FilePatch | None = None
        self.hunk: ParsedHunk | None = None
        self.blanks = 0  # blank lines seen inside a hunk, not yet known to be context
        self.git_pending = False  # a `diff --git` line whose ---/+++ lines may follow

    def run(self) -> list[FilePatch]:
        index = 0
        lines = self.lines
        while index < len(lines):
            line = lines[index]
            if line.startswith("diff --git "):
                self._close_hunk()
                self._new_patch(index)
                self.git_pending = True
                match = _GIT_HEADER.match(line)
                if match:
                    assert self.patch is not None
                    self.patch.old_path = "a/" + match.group(1)
                    self.patch.new_path = "b/" + match.group(2)
                    _strip_prefixes(self.patch)
            elif is_file_header(lines, index):
                self._close_hunk()
                if self.patch is None or self.patch.hunks or not self.git_pending:
                    self._new_patch(index)
                self.git_pending = False
                assert self.patch is not None
                self.patch.old_path = clean_path(line[4:])
                self.patch.new_path = clean_path(lines[index + 1][4:])
                _strip_prefixes(self.patch)
                index += 1
            elif line.startswith("+++ ") and self.hunk is None:
                # A +++ line with no --- line before it (a model slip): take the path from it.
                if self.patch is None or self.patch.hunks:
                    self._new_patch(index)
                assert self.patch is not None
                self.patch.new_path = clean_path(line[4:])
            elif is_hunk_header(line):
                self._close_hunk()
                self._open_hunk(line, index)
            elif (self.hunk is not None and self._body_line(line, index)) or (
                self.hunk is None and self.patch is not None and not self.patch.hunks and self._meta(line)
            ):
                pass
            elif self.hunk is None and self._starts_implicit(line):
                self._open_hunk("", index)
                continue  # read the same line again as the hunk's first line
            elif self.hunk is not None:
                # A line that cannot belong to a diff ends it (bare diffs inside prose).
                self._close_hunk()
                if not self.lenient:
                    self.patch = None
            index += 1
        self._close_hunk()
        return [patch for patch in self.patches if patch.hunks or patch.binary or patch.target]

    def _meta(self, line: str) -> bool:
        assert self.patch is not None
        if line.startswith("Binary files ") or line.startswith("GIT binary patch"):
            self.patch.binary = True
            return True
        if line.startswith("new file mode"):
            self.patch.new_file = True
            self.patch.new_mode = _git_mode(line)
        elif line.startswith("deleted file mode"):
            self.patch.deleted_file = True
        elif line.startswith("old mode"):
            self.patch.old_mode = _git_mode(line)
        elif line.startswith("new mode"):
            self.patch.new_mode = _git_mode(line)
        elif line.startswith("rename from "):
            self.patch.rename_from = clean_path(line[len("rename from ") :])
        elif line.startswith("rename to "):
            self.patch.rename_to = clean_path(line[len("rename to ") :])
        elif line.startswith("copy to "):
            self.patch.copy_to = clean_path(line[len("copy to ") :])
        return line.startswith(_GIT_META)

    def _starts_implicit(self, line: str) -> bool:
        if not line or line[0] not in " +-":
            return False
        if self.implicit:
            return True
        # After ---/+++ headers, changed lines without any @@ line still form a hunk.
        return self.patch is not None and not self.patch.hunks and self.patch.target is not None

    def _new_patch(self, index: int) -> None:
        self.patch = FilePatch(None, None, line=self.first_line + index)
        self.patches.append(self.patch)

    def _open_hunk(self, line: str, index: int) -> None:
        self.git_pending = False
        if self.patch is None:
            self._new_patch(index)
        match = _HUNK_NUMBERS.match(line)
        numbers = [int(group) if group is not None else None for group in match.groups()] if match else []
        old_start, old_len, new_start, new_len = (numbers + [None] * 4)[:4]
        if old_start is not None and old_len is None:
            old_len = 1
        if new_start is not None and new_len is None:
            new_len = 1
        self.hunk = ParsedHunk(line.rstrip("\r"), old_start, old_len, new_start, new_len)
        self.blanks = 0

    def _body_line(self, line: str, index: int) -> bool:
        hunk = self.hunk
        assert hunk is not None
        if line == "":
            self.blanks += 1
            return True
        first = line[0]
        if first == "\\":
            self._flush_blanks()
            if hunk.lines:
                last = hunk.lines[-1].kind
                if last in ("removed", "context"):
                    hunk.old_no_eol = True
                if last in ("added", "context"):
                    hunk.new_no_eol = True
            return True
        if first in " +-" or self.lenient:
            if self.blanks and not self.lenient and self._counts_met():
                return False  # a complete hunk, a blank line, then prose such as a "- " list
            self._flush_blanks()
            if first == " ":
                hunk.lines.append(HunkLine("context", line[1:]))
            elif first == "+":
                hunk.lines.append(HunkLine("added", line[1:]))
            elif first == "-":
                hunk.lines.append(HunkLine("removed", line[1:]))
            else:
                # Inside a fence: a context line whose leading space was dropped.
                hunk.lines.append(HunkLine("context", line))
            return True
        return False

    def _counts_met(self) -> bool:
        hunk = self.hunk
        assert hunk is not None
        if hunk.old_len is None or hunk.new_len is None:
            return False
        return hunk.old_count >= hunk.old_len and hunk.new_count >= hunk.new_len

    def _flush_blanks(self) -> None:
        assert self.hunk is not None
        self.hunk.lines.extend(HunkLine("context", "") for _ in range(self.blanks))
        self.blanks = 0

    def _close_hunk(self) -> None:
        hunk = self.hunk
        if hunk is None:
            return
        # Trailing blank lines are context only when the stated counts ask for them.
        if self.blanks and hunk.old_len is not None and hunk.new_len is not None:
            missing = min(hunk.old_len - hunk.old_count, hunk.new_len - hunk.new_count, self.blanks)
            hunk.lines.extend(HunkLine("context", "") for _ in range(max(missing, 0)))
        self.blanks = 0
        if hunk.lines and self.patch is not None:
            self.patch.hunks.append(hunk)
        self.hunk = None


def parse_unified(
    lines: list[str], *, first_line: int = 1, lenient: bool = False, implicit: bool = False
) -> list[FilePatch]:
    """Parse `lines` (without line endings) into per-file patches.

    `lenient`: the lines come from a fence, so an unprefixed line inside a hunk is context
    whose leading space got lost. `implicit`: a diff fence with no @@ lines at all.
    """
    return _Parser(lines, first_line, lenient, implicit).run()
