"""Dependency references as plans write them, resolved against the task ids that exist.

Forms: `–`/`-`/none (no dependency), `0.1`, lists joined by `&`, `,`, `;`, `+` or `and`, ranges
`1.3‑1.5` (any dash: - ‐ ‑ ‒ – — −, or `to`), wildcards `3.*` / `Phase 3` (every task of phase 3),
and issue references `#13` / `Issue #13`.

Range semantics: when both ends share a prefix and end in a number (`2.8-2.10`, `T01-T05`), the range
holds every existing task with that prefix whose number lies between them, compared as integers (so
2.9 and 2.10 are in, which string order would get wrong). Otherwise it spans the tasks between the two
ends in plan order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"
_NONE_WORDS = {"", "-", "none", "n/a", "na", "nil", "nothing", "\u2205", "\u2014", "\u2013"}
_FILLER_WORDS = {
    "issue", "issues", "task", "tasks", "and", "after", "by", "blocked", "see", "all", "of", "on",
    "depends", "requires", "needs", "every", "from", "the", "step", "steps", "also", "or",
}  # fmt: skip
_SEPARATORS = re.compile(r"\s*(?:&|,|;|\+|\band\b|/(?=\s)|\s)\s*", re.IGNORECASE)
_SPACED_RANGE = re.compile(rf"(?<=\w)\s*(?:[{_DASHES}]|\.\.|\bto\b|\bthrough\b|\bthru\b)\s*(?=[\w#])", re.I)
_PHASE_WORD = re.compile(r"\b(?:all\s+of\s+)?phase\s+([0-9]+[A-Za-z]?)\b(?!\.)", re.IGNORECASE)
_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")
_WILDCARD = re.compile(r"^(.+?)\.(?:\*|x|X)$")
_STRIP = "`()[]{}\"'“”‘’,.:;!?"


@dataclass(frozen=True)
class Resolution:
    ids: list[str]
    problems: list[str]  # one sentence each: a reference that resolves to no task
    prose: list[str] = field(default_factory=list)  # words that are no reference at all ("after review")


class TaskIndex:
    """The ids of the plan in order, with what a wildcard or range needs to look them up."""

    def __init__(self, ids: Sequence[str], groups: dict[str, str | None]) -> None:
        self.ids = list(ids)
        self.position = {task_id: index for index, task_id in enumerate(self.ids)}
        self.groups = groups

    def lookup(self, token: str) -> str | None:
        if token in self.position:
            return token
        if token.startswith("#") and token[1:] in self.position:
            return token[1:]
        return None


def split_reference_text(text: str) -> list[str]:
    """Tokens of a dependency text; ranges written with spaces are glued (`1.3 – 1.5` -> `1.3-1.5`)."""
    text = text.replace("<br>", " ").replace("\u00a0", " ")
    text = _PHASE_WORD.sub(lambda match: f" {match.group(1)}.* ", text)
    text = _SPACED_RANGE.sub("-", text)
    tokens = []
    for raw in _SEPARATORS.split(text):
        token = clean_token(raw)
        if token and token not in _DASHES:
            tokens.append(token)
    return tokens


def clean_token(raw: str) -> str:
    """A token without emphasis, code marks, brackets or trailing punctuation (`3.*` keeps its star)."""
    token = raw.replace("**", "").replace("__", "").strip()
    star = token.endswith(".*")
    token = token.strip(_STRIP + " *")
    if star and not token.endswith(".*"):
        token = token.rstrip(".") + ".*"
    return token


def resolve(text: str, index: TaskIndex, owner: str | None = None) -> Resolution:
    """The ids `text` refers to, in order, without duplicates or `owner` itself."""
    ids: list[str] = []
    problems: list[str] = []
    prose: list[str] = []
    whole = clean_token(text)
    if index.lookup(whole) is None and whole.strip(_DASHES + " ").lower() in _NONE_WORDS:
        return Resolution([], [])
    for token in split_reference_text(text):
        found, problem = _resolve_token(token, index)
        if problem is _PROSE:
            prose.append(token)
        elif problem:
            problems.append(problem)
        for task_id in found:
            if task_id != owner and task_id not in ids:
                ids.append(task_id)
    return Resolution(ids, problems, prose)


_PROSE = "prose"  # a word that is not a task id (the caller reports the text once, not each word)


def _resolve_token(token: str, index: TaskIndex) -> tuple[list[str], str | None]:
    direct = index.lookup(token)
    if direct is not None:
        return [direct], None
    lowered = token.lower()
    if lowered in _NONE_WORDS or lowered in _FILLER_WORDS:
        return [], None
    wildcard = _WILDCARD.match(token)
    if wildcard:
        return _expand_wildcard(wildcard.group(1).lstrip("#"), token, index)
    for position, char in enumerate(token):
        if char in _DASHES and 0 < position < len(token) - 1:
            found = _expand_range(token[:position], token[position + 1 :], index)
            if found is not None:
                return found
    if not any(char.isdigit() for char in token):
        return [], _PROSE
    return [], f"dependency {token!r} matches no task"


def _expand_wildcard(prefix: str, token: str, index: TaskIndex) -> tuple[list[str], str | None]:
    found = [task_id for task_id in index.ids if task_id.startswith(prefix + ".")]
    if not found:  # `Phase 3` where ids do not start with "3.": use the group heading
        pattern = re.compile(rf"\bphase\s+{re.escape(prefix)}\b", re.IGNORECASE)
        found = [task_id for task_id in index.ids if pattern.search(index.groups.get(task_id) or "")]
    if not found:
        return [], f"wildcard {token!r} matches no task"
    return found, None


def _expand_range(start: str, end: str, index: TaskIndex) -> tuple[list[str], str | None] | None:
    start = start.strip(_STRIP + " ").lstrip("#")
    end = end.strip(_STRIP + " ").lstrip("#")
    start_match = _TRAILING_NUMBER.match(start)
    end_match = _TRAILING_NUMBER.match(end)
    if not start_match or not end_match:
        return None
    prefix = start_match.group(1)
    end_prefix = end_match.group(1)
    if end_prefix == "" and prefix:  # `1.3-5` is short for `1.3-1.5`
        end_prefix, end = prefix, prefix + end
    if prefix == end_prefix:
        low, high = sorted((int(start_match.group(2)), int(end_match.group(2))))
        found = []
        for task_id in index.ids:
            match = _TRAILING_NUMBER.match(task_id.lstrip("#"))
            if match and match.group(1) == prefix and low <= int(match.group(2)) <= high:
                found.append(task_id)
        if not found:
            return [], f"range {start}-{end} matches no task"
        missing = [edge for edge in (start, end) if index.lookup(edge) is None]
        problem = f"range {start}-{end}: {' and '.join(missing)} matches no task" if missing else None
        return found, problem
    first, last = index.lookup(start), index.lookup(end)
    if first is None or last is None:
        return None
    low, high = sorted((index.position[first], index.position[last]))
    return index.ids[low : high + 1], None


def drop_cycles(order: Sequence[str], depends: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Remove edges that would close a cycle (first come, first kept); returns them as (task, dep)."""
    kept: dict[str, list[str]] = {task_id: [] for task_id in order}
    dropped: list[tuple[str, str]] = []
    for task_id in order:
        for dep in depends.get(task_id, []):
            if _reaches(kept, dep, task_id):
                dropped.append((task_id, dep))
            else:
                kept[task_id].append(dep)
    depends.clear()
    depends.update(kept)
    return dropped


def _reaches(graph: dict[str, list[str]], start: str, goal: str) -> bool:
    """Whether `goal` is `start` or one of its (transitive) dependencies."""
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for dep in graph.get(node, []):
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return False


def reaches(graph: dict[str, list[str]], start: str, goal: str) -> bool:
    return _reaches(graph, start, goal)
