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
