"""Reading one YAML file into composed nodes (which keep line and column), reporting what is wrong.

Each file is parsed exactly once, with libyaml when it is available; the loader builds its models
from the nodes, so positions come for free and nothing is parsed twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from tui.errors import Location
from tui.runbook import limits
from tui.runbook.problems import ProblemLog

try:
    _C_LOADER: type = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _C_LOADER = yaml.SafeLoader

_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
# plain scalar text -> its implicit tag; runbooks repeat most values. Emptied after each load (see
# `forget_tags`) so that it does not keep every text of the last runbook alive.
_PLAIN_TAGS: dict[str, str] = {}


class _RunbookLoader(_C_LOADER):  # type: ignore[misc, valid-type]
    """libyaml's safe loader with a memo in front of tag resolution.

    PyYAML resolves every scalar's tag in Python by trying its regular expressions in turn, which
    is a third of composing a runbook. The tag of a plain scalar depends on its text alone (the
    safe loader has no path resolvers), so it is looked up once per distinct text.
    """

    def resolve(self, kind: type, value: object, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR_TAG
            tag = _PLAIN_TAGS.get(value)  # type: ignore[arg-type]
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_PLAIN_TAGS) < 200_000:
                    _PLAIN_TAGS[value] = tag  # type: ignore[index]
            return tag
        return _SEQ_TAG if kind is SequenceNode else _MAP_TAG

    def descend_resolver(self, current_node: object, current_index: object) -> None:
        pass  # only path resolvers need the descent, and the safe loader has none

    def ascend_resolver(self) -> None:
        pass


_FAST_LOADER: type = _RunbookLoader if not _C_LOADER.yaml_path_resolvers else _C_LOADER

# libyaml's composer recurses on the C stack: about 20,000 nested levels overflow an 8 MB stack and
# crash the interpreter. Nesting can never exceed the count of the characters that open a level, so
# files that could nest deeper than the main stack allows are composed on a thread with a stack
# sized for them, and absurd ones by the pure-Python loader, whose recursion limit fails cleanly.
_MAIN_STACK_DEPTH = 4_000
_THREAD_DEPTH_LIMIT = 400_000
_STACK_BYTES_PER_LEVEL = 1_024


Composed = Callable[[bytes, str, Node], None]


def read_yaml_file(path: Path, log: ProblemLog, composed: Composed | None = None) -> Node | None:
    """The composed top node of `path`, or None after logging why it cannot be had.

    `composed`, if given, is called with the file's bytes, its text and the node (the careful
    writer keeps an index of where things are from them).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        log.error(Location(path), "the file does not exist.")
        return None
    except IsADirectoryError:
        log.error(Location(path), "this is a folder, not a YAML file.")
        return None
    except OSError as exc:
        log.error(Location(path), f"cannot read the file ({exc.strerror or exc}).")
        return None
    return compose_bytes(path, data, log, composed)


def compose_bytes(path: Path, data: bytes, log: ProblemLog, composed: Composed | None = None) -> Node | None:
    refused = limits.too_big(len(data))
    if refused is not None:
        log.error(Location(path), refused)
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(data, exc.start)
        log.error(
            Location(path, line, column),
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded).",
        )
        return None
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark is harmless; libyaml would report it as a character
    if not text.strip():
        log.error(Location(path), "the file is empty.")
        return None
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "the YAML cannot be read"
        location = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        log.error(
            location, limits.too_deep() if "nesting depth" in problem else f"YAML syntax error: {problem}."
        )
        return None
    except yaml.YAMLError as exc:  # ReaderError: a control character; it knows the offset only
        position = getattr(exc, "position", None)
        location = Location(path, *_char_position(text, position)) if position is not None else Location(path)
        reason = getattr(exc, "reason", None) or "the YAML cannot be read"
        log.error(location, f"YAML syntax error: {reason}.")
        return None
    except RecursionError:
        log.error(Location(path), limits.too_deep())
        return None
    if node is None:
        log.error(Location(path), "the file holds only comments, no YAML document.")
    elif limits.expands_too_far(node, text):
        log.error(Location(path), limits.alias_bomb())
        return None
    elif composed is not None:
        composed(data, text, node)
    return node


def compose_text(text: str) -> Node | None:
    """`text` composed the way the loader does it (yaml.YAMLError or RecursionError if it cannot be)."""
    try:
        return _compose(text)
    finally:
        forget_tags()


def forget_tags() -> None:
    """Empty the memo of scalar tags (the loader calls this when a load is over)."""
    _PLAIN_TAGS.clear()


def _compose(text: str) -> Node | None:
    if len(text) < _MAIN_STACK_DEPTH:
        return yaml.compose(text, Loader=_FAST_LOADER)
    depth_bound = sum(text.count(c) for c in "[{-?:\n")
    if depth_bound < _MAIN_STACK_DEPTH:
        return yaml.compose(text, Loader=_FAST_LOADER)
    if depth_bound < _THREAD_DEPTH_LIMIT and _C_LOADER is not yaml.SafeLoader:
        try:
            return _compose_on_big_stack(text, depth_bound * _STACK_BYTES_PER_LEVEL + (8 << 20))
        except (RuntimeError, MemoryError, ValueError):  # no thread with such a stack here
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _compose_on_big_stack(text: str, stack_bytes: int) -> Node | None:
    outcome: list = []

    def work() -> None:
        try:
            outcome.append((True, yaml.compose(text, Loader=_FAST_LOADER)))
        except BaseException as exc:  # handed back to the caller's thread below
            outcome.append((False, exc))

    previous = threading.stack_size(stack_bytes)
    try:
        worker = threading.Thread(target=work, name="patchbay-yaml-compose")
        worker.start()
    finally:
        threading.stack_size(previous)
    worker.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _char_position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
