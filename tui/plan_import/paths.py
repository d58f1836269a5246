"""Telling file paths apart from prose in an "Output" cell or an `input:` list."""

from __future__ import annotations

import re

_CODE_SPAN = re.compile(r"`+([^`]+?)`+")
_PATH = re.compile(r"^[\w.\-~/+@]+$")
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}$")
_BARE_FILES = {"Makefile", "Dockerfile", "Justfile", "Procfile", "LICENSE", "Caddyfile", "Jenkinsfile"}


def looks_like_file(token: str) -> bool:
    """A relative path to a file inside the working tree (no URLs, folders, `..` or numbers)."""
    if not token or not _PATH.match(token) or token.endswith("/") or token.startswith(("/", "~")):
        return False
    if "://" in token or ".." in token.split("/"):
        return False
    name = token.rsplit("/", 1)[-1]
    return bool(_EXTENSION.search(name)) or name in _BARE_FILES


def file_paths(text: str) -> list[str]:
    """File paths named in `text`: code spans first; without any, the words that look like files."""
    spans = [span.strip() for span in _CODE_SPAN.findall(text)]
    candidates = spans or re.split(r"[\s,;&+]+", text)
    found: list[str] = []
    for candidate in candidates:
        token = candidate.strip("*()[]\"'“”").rstrip(".,:;")
        if looks_like_file(token) and token not in found:
            found.append(token)
    return found


# `package.json:68-71`, `src/a.py#L3-L9`, `a.py (lines 3-9)`, `a.py lines 3-9`, `a.py:12`
_WITH_LINES = re.compile(
    r"(?P<path>[\w.\-~/+@]+)`?\s*(?:#L|:L?|\(\s*lines?\s*|,?\s+lines?\s+)(?P<first>\d+)"
    r"(?:\s*(?:[-\u2010-\u2015\u2212]|\.\.|\bto\b)\s*L?(?P<last>\d+))?",
    re.IGNORECASE,
)


def line_ranges(text: str) -> list[tuple[str, str]]:
    """(path, "68-71") for every file named with lines in `text`."""
    found: list[tuple[str, str]] = []
    for match in _WITH_LINES.finditer(text):
        path = match["path"].strip("`")
        if not looks_like_file(path):
            continue
        first, last = int(match["first"]), int(match["last"] or match["first"])
        if first < 1:
            continue
        low, high = min(first, last), max(first, last)
        lines = str(low) if low == high else f"{low}-{high}"
        if (path, lines) not in found:
            found.append((path, lines))
    return found


def without_line_ranges(text: str) -> str:
    """`text` with the files named with lines taken out (what is left may still name whole files)."""
    return _WITH_LINES.sub(lambda match: " " if looks_like_file(match["path"].strip("`")) else match[0], text)
