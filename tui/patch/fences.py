"""Markdown fences in a model answer, and the file paths an answer names just before a fence."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_PATH_TOKEN = re.compile(r"^[\w.\-/\\]*[\w\-]\.[\w]+$|^[\w.\-]+(?:/[\w.\-]+)+$")
_NOT_PATHS = {"e.g", "i.e", "etc", "vs"}


@dataclass
class Fence:
    start: int  # index of the opening line
    end: int  # index of the closing line (len(lines) when unterminated)
    lang: str
    body: list[str] = field(default_factory=list)
    closed: bool = True


def find_fences(lines: list[str]) -> list[Fence]:
    """Fenced blocks, in order. A closing fence uses the same character, at least as many of
    them, and the same indentation as the opening one; an unterminated fence runs to the end."""
    fences: list[Fence] = []
    index = 0
    while index < len(lines):
        match = _FENCE_OPEN.match(lines[index])
        if not match:
            index += 1
            continue
        indent, marker, info = match.group("indent"), match.group("fence"), match.group("info").strip()
        closing = re.compile(rf"^{indent}{re.escape(marker[0])}{{{len(marker)},}}\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        body = lines[index + 1 : end]
        if indent and all(line.startswith(indent) or not line.strip() for line in body):
            body = [line[len(indent) :] for line in body]
        fences.append(Fence(index, end, info, body, closed=end < len(lines)))
        index = end + 1
    return fences


def fence_language(info: str) -> str:
    """The language word of an info string: "python", "diff", "" ... (lower case)."""
    word = re.split(r"[\s:{]", info.strip(), maxsplit=1)[0] if info.strip() else ""
    return word.lower()


def info_string_path(info: str) -> str | None:
    """A path given in the info string itself (```python path/x.py, ```diff:x.py, ```x.py)."""
    text = info.strip()
    if not text:
        return None
    parts = re.split(r"[\s:]+", text)
    candidates = parts[1:] if len(parts) > 1 else parts
    for part in candidates:
        token = _clean_token(part)
        if token and looks_like_path(token):
            return token
    return None


def _clean_token(token: str) -> str:
    token = token.strip().strip("`*'\"()[]<>,;:")
    token = re.sub(r"^(?:title|file|path|filename)=", "", token)
    token = token.strip("`*'\"")
    while token.endswith((".", ":")):
        token = token[:-1]
    while token.startswith("./"):
        token = token[2:]
    return token


def looks_like_path(token: str) -> bool:
    if not token or token.lower() in _NOT_PATHS or "://" in token or token.startswith("@"):
        return False
    if re.fullmatch(r"[\d.]+", token):  # version numbers, "3.11"
        return False
    return bool(_PATH_TOKEN.match(token))


def paths_in_line(line: str) -> list[str]:
    """Path-like tokens of one line of prose: `x`, **x**, File: x, ### x, x: ..."""
    found: list[str] = []
    # Quoted forms first: they are the strongest signal.
    for pattern in (r"`([^`\s]+)`", r"\*\*([^*\s]+)\*\*", r"\"([^\"\s]+)\""):
        for match in re.finditer(pattern, line):
            token = _clean_token(match.group(1))
            if looks_like_path(token) and token not in found:
                found.append(token)
    for raw in line.replace("**", " ").split():
        token = _clean_token(raw.lstrip("#"))
        if looks_like_path(token) and token not in found:
            found.append(token)
    return found


def hint_paths(lines: list[str], before: int, floor: int, depth: int = 3) -> list[str]:
    """Paths named on the last `depth` non-blank lines before line `before` (not above `floor`),
    nearest line first."""
    found: list[str] = []
    seen_lines = 0
    index = before - 1
    while index >= floor and seen_lines < depth:
        line = lines[index]
        if line.strip():
            seen_lines += 1
            for token in paths_in_line(line):
                if token not in found:
                    found.append(token)
        index -= 1
    return found
