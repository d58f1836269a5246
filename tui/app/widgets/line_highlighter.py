"""Syntax colours for single lines, lexed only when a line is drawn.

Each line is lexed on its own (a multi-line string may be coloured as code: the price of never
lexing a whole 50,000-line file up front). Lines are cached per lexer, style and text, shared by
every highlighter: going back to a file, or opening the review of the same answer again, lexes
nothing again. Styles are cached per token type.
"""

from __future__ import annotations

import fnmatch
import importlib
from functools import lru_cache
from pathlib import PurePosixPath

from pygments.lexer import Lexer
from pygments.lexers._mapping import LEXERS
from pygments.lexers.special import TextLexer
from pygments.styles import get_style_by_name
from pygments.token import _TokenType
from pygments.util import ClassNotFound
from rich.style import Style
from textual.cache import LRUCache

from tui.patch.review_layout import display_text

__all__ = ["LineHighlighter", "display_text", "lexer_for"]


def lexer_for(path: str) -> Lexer:
    """The lexer for a file name, from pygments' built-in table only.

    pygments' own lookup also scans plugins and compiles ~900 patterns (about 0.1 s, more than the
    review screen's whole first frame); exact names and "*.ext" patterns cover nearly every file.
    """
    found = _lexer_class(PurePosixPath(path).name)
    options = {"stripnl": False, "ensurenl": False, "stripall": False}
    return found(**options) if found is not None else TextLexer(**options)


@lru_cache(maxsize=256)
def _lexer_class(name: str) -> type[Lexer] | None:
    exact, suffixes = _patterns()
    entry = exact.get(name)
    if entry is None:
        suffix = name.rsplit(".", 1)[-1] if "." in name else None
        entry = suffixes.get(suffix) if suffix else None
    if entry is None:
        entry = next((cls for pattern, cls in _wildcards() if fnmatch.fnmatchcase(name, pattern)), None)
    if entry is None:
        return None
    module_name, class_name = entry
    return getattr(importlib.import_module(module_name), class_name)


@lru_cache(maxsize=1)
def _patterns() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    exact: dict[str, tuple[str, str]] = {}
    suffixes: dict[str, tuple[str, str]] = {}
    for class_name, (module_name, _name, _aliases, patterns, _mimes) in LEXERS.items():
        for pattern in patterns:
            if pattern.startswith("*.") and not any(c in pattern[2:] for c in "*?["):
                suffixes.setdefault(pattern[2:], (module_name, class_name))  # first listed wins
            elif not any(c in pattern for c in "*?["):
                exact.setdefault(pattern, (module_name, class_name))
    return exact, suffixes


@lru_cache(maxsize=1)
def _wildcards() -> list[tuple[str, tuple[str, str]]]:
    return [
        (pattern, (module_name, class_name))
        for class_name, (module_name, _name, _aliases, patterns, _mimes) in LEXERS.items()
        for pattern in patterns
        if any(c in pattern for c in "*?[")
        and not (pattern.startswith("*.") and not any(c in pattern[2:] for c in "*?["))
    ]


# (lexer class, pygments style, line) -> pieces, for every highlighter (see the module's docstring)
_LINES: LRUCache[tuple[type, type, str], list[tuple[str, Style]]] = LRUCache(8192)


class LineHighlighter:
    """Turns a line into (text, foreground style) pieces with one pygments style."""

    def __init__(self, path: str, style_name: str) -> None:
        self._lexer = lexer_for(path)
        self._plain = isinstance(self._lexer, TextLexer)
        try:
            self._style = get_style_by_name(style_name)
        except ClassNotFound:
            self._style = get_style_by_name("monokai")
        self._styles: dict[_TokenType, Style] = {}
        self._kind = (type(self._lexer), self._style)

    def pieces(self, text: str) -> list[tuple[str, Style]]:
        key = (*self._kind, text)
        cached = _LINES.get(key)
        if cached is not None:
            return cached
        if self._plain or not text.strip():
            result = [(text, Style.null())]
        else:
            result = []
            for token_type, value in self._lexer.get_tokens(text):
                if value:
                    result.append((value, self._token_style(token_type)))
            # Lexers may add or drop a trailing newline; the pieces must spell the line exactly.
            joined = "".join(value for value, _ in result)
            if joined != text:
                result = [(text, Style.null())] if joined.rstrip("\n") != text else _trim(result, text)
        _LINES[key] = result
        return result

    def _token_style(self, token_type: _TokenType) -> Style:
        style = self._styles.get(token_type)
        if style is None:
            spec = self._style.style_for_token(token_type)
            style = Style(
                color=f"#{spec['color']}" if spec["color"] else None,
                bold=spec["bold"] or None,
                italic=spec["italic"] or None,
                underline=spec["underline"] or None,
            )
            self._styles[token_type] = style
        return style


def _trim(pieces: list[tuple[str, Style]], text: str) -> list[tuple[str, Style]]:
    """Cut pieces down to `text` (a lexer appended a newline)."""
    result: list[tuple[str, Style]] = []
    remaining = len(text)
    for value, style in pieces:
        if remaining <= 0:
            break
        result.append((value[:remaining], style))
        remaining -= len(value)
    return result
