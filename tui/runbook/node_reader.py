"""Typed reading of composed YAML nodes: each accessor returns a value or logs a located sentence.

Scalars are converted here rather than by PyYAML's constructor so that text-like fields keep the
characters as written (`id: 1.10` is "1.10", not the float 1.1).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tui.errors import Location
from tui.runbook.problems import ProblemLog

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"

SCALARS = SafeConstructor()  # only its scalar and flatten helpers are used; they keep no state


def describe(node: Node) -> str:
    """What a node is, in words, for "must be X (got Y)" sentences."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == NULL_TAG:
        return "nothing"
    value = node.value if len(node.value) <= 40 else node.value[:37] + "..."
    return f"{value!r}"


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


class NodeReader:
    """Reads the nodes of one file, logging problems located in that file."""

    def __init__(self, path: Path, log: ProblemLog, shared: dict[str, str] | None = None) -> None:
        self.path = path
        self.log = log
        # Short values (statuses, types, groups, ids named in depends_on) are kept once, not once per
        # task. A table per load rather than sys.intern: the interpreter's table never shrinks.
        self.shared: dict[str, str] = {} if shared is None else shared

    def _shared(self, text: str) -> str:
        if len(text) > 64:
            return text
        return self.shared.setdefault(text, text)

    def at(self, node: Node) -> Location:
        mark = node.start_mark
        return Location(self.path, mark.line + 1, mark.column + 1)

    def error(self, node: Node, sentence: str) -> None:
        self.log.error(self.at(node), sentence)

    def warning(self, node: Node, sentence: str) -> None:
        self.log.warning(self.at(node), sentence)

    def pairs(self, node: MappingNode) -> list[tuple[str, ScalarNode, Node]]:
        """(key, key node, value node) for each entry; merge keys (`<<`) are expanded first.

        A key given twice is an error: YAML would silently keep the last one, and careful writes
        must know which characters are the value that counts.
        """
        seen: dict[str, ScalarNode] = {}
        result = []
        for key, value in node.value:
            if key.tag == MERGE_TAG:
                return self._merged_pairs(node)
            if not isinstance(key, ScalarNode):
                self.error(key, f"a key must be plain text, not {describe(key)}.")
                continue
            name = key.value
            if name in seen:
                first = seen[name].start_mark.line + 1
                self.error(key, f"the key `{name}` is given twice here (first at line {first}).")
                continue
            seen[name] = key
            result.append((name, key, value))
        return result

    def _merged_pairs(self, node: MappingNode) -> list[tuple[str, ScalarNode, Node]]:
        try:
            SCALARS.flatten_mapping(node)  # rewrites node.value without the `<<` keys
        except yaml.MarkedYAMLError as exc:
            self.error(node, f"cannot merge with `<<`: {exc.problem}.")
            return []
        return self.pairs(node)

    def unknown_key(self, key_node: ScalarNode, where: str, known: Iterable[str], hint: str = "") -> None:
        name = key_node.value
        close = difflib.get_close_matches(name, list(known), n=1)
        suggestion = f" (did you mean `{close[0]}`?)" if close else hint
        self.warning(key_node, f"unknown key `{name}` in {where}; it is ignored{suggestion}.")

    def mapping(self, node: Node, what: str) -> MappingNode | None:
        if isinstance(node, MappingNode):
            return node
        self.error(node, f"{what} must be a mapping of keys and values, not {describe(node)}.")
        return None

    def text(self, node: Node, what: str, *, allow_null: bool = True) -> str | None:
        """Any scalar as the characters written; YAML's reading of `1.10` or `yes` is not wanted here."""
        if isinstance(node, ScalarNode):
            if node.tag == NULL_TAG and node.style is None:
                if not allow_null:
                    self.error(node, f"{what} must not be empty.")
                return None
            return self._shared(node.value)
        self.error(node, f"{what} must be text, not {describe(node)}.")
        return None

    def text_list(self, node: Node, what: str) -> list[tuple[str, ScalarNode]] | None:
        """A list of text items with their nodes; a single item or nothing are accepted too."""
        if is_null(node):
            return []
        if isinstance(node, ScalarNode):
            return [(self._shared(node.value), node)]
        if isinstance(node, MappingNode):
            self.error(node, f"{what} must be a list, not a mapping.")
            return None
        items = []
        ok = True
        for item in node.value:
            if isinstance(item, ScalarNode) and not is_null(item):
                items.append((self._shared(item.value), item))
            else:
                self.error(item, f"each item of {what} must be text, not {describe(item)}.")
                ok = False
        return items if ok else None

    def integer(self, node: Node, what: str) -> int | None:
        if isinstance(node, ScalarNode) and node.tag == INT_TAG:
            try:
                return SCALARS.construct_yaml_int(node)
            except (ValueError, TypeError):
                pass
        if is_null(node):
            return None
        self.error(node, f"{what} must be a whole number, not {describe(node)}.")
        return None

    def number(self, node: Node, what: str) -> float | None:
        if isinstance(node, ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG):
            try:
                if node.tag == INT_TAG:
                    return float(SCALARS.construct_yaml_int(node))
                return SCALARS.construct_yaml_float(node)
            except (ValueError, TypeError, OverflowError):
                pass
        if is_null(node):
            return None
        self.error(node, f"{what} must be a number, not {describe(node)}.")
        return None

    def flag(self, node: Node, what: str) -> bool | None:
        if isinstance(node, ScalarNode) and node.tag == BOOL_TAG:
            value = SCALARS.bool_values.get(node.value.lower())
            if value is not None:
                return value
        if is_null(node):
            return None
        self.error(node, f"{what} must be true or false, not {describe(node)}.")
        return None

    def plain_value(self, node: Node, what: str) -> Any:
        """Any YAML value as Python data (for template variables and history fields)."""
        constructor = SafeConstructor()
        try:
            return constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            location = Location(self.path, mark.line + 1, mark.column + 1) if mark else self.at(node)
            self.log.error(location, f"{what} cannot be read: {exc.problem}.")
        except RecursionError:
            self.error(node, f"{what} is nested too deeply (or refers to itself).")
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            self.error(node, f"{what} cannot be read ({exc}).")
        return None
