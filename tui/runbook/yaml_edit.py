"""Text surgery on YAML: change one value and leave every other character exactly as written.

Each public function takes the text of a file (without its BOM) and returns the new text. It edits
one span located through positioned nodes, then checks (yaml_edit_check) that the new text means
exactly the old data plus the intended change, so a mistake here can refuse a write but never
damage a file.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import functools
import json
import re
from pathlib import PurePath
from typing import Any

import yaml

from tui.runbook.limits import alias_bomb, events_expand_too_far
from tui.runbook.yaml_edit_check import verify_edit, verify_whole
from tui.runbook.yaml_edit_tree import (
    PARSER_LOADER,
    EditRefused,
    Mapping,
    Node,
    Scalar,
    Sequence,
    find_task,
    lookup,
    parse_document,
    text_end,
)

_PLAIN_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_NULL_WORDS = ("", "~", "null", "Null", "NULL")
_WIDE = 1_000_000_000  # never fold emitted lines


class _IndentedDumper(yaml.SafeDumper):
    """Indents block sequences under their key (`key:\\n  - a`), the way hand-written runbooks look."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


# ---------------------------------------------------------------- public text operations


def set_task_status(text: str, task_id: str, status: str) -> str:
    root, events = parse_document(text)
    index, entry = find_task(root, task_id)
    new_text = _set_scalar_or_insert(text, entry, "status", status, f"task {task_id!r}", after_key="id")
    verify_edit(
        text,
        root,
        events,
        new_text,
        index,
        lambda target: target.__setitem__("status", status),
        f"the status of task {task_id!r}",
    )
    return new_text


def set_task_statuses(text: str, statuses: dict[str, str]) -> str:
    """Several tasks' statuses set in one pass, checked together against the whole document."""
    root, _events = parse_document(text)
    found = sorted(((*find_task(root, task_id), task_id) for task_id in statuses), key=lambda hit: -hit[0])
    new_text = text
    for _index, entry, task_id in found:  # from the last entry up, so earlier positions stay valid
        what = f"task {task_id!r}"
        new_text = _set_scalar_or_insert(new_text, entry, "status", statuses[task_id], what, after_key="id")

    def change(document: dict) -> None:
        for index, _entry, task_id in found:
            document["tasks"][index]["status"] = statuses[task_id]

    if events_expand_too_far(_events):
        raise EditRefused(alias_bomb() + " Nothing was written.")
    verify_whole(text, new_text, change, "the statuses of the tasks")
    return new_text


def set_detail_status(text: str, status: str) -> str:
    root, events = parse_document(text)
    if not isinstance(root, Mapping):
        raise EditRefused("the file is not a YAML mapping.")
    if lookup(root, "status", "the file") is None:
        return text
    new_text = _set_scalar_or_insert(text, root, "status", status, "the file", after_key=None)
    verify_edit(
        text, root, events, new_text, None, lambda target: target.__setitem__("status", status), "the status"
    )
    return new_text


def set_task_key(text: str, task_id: str | None, key: str, value: Any) -> str:
    value = plain_data(value)
    root, events = parse_document(text)
    index, target, what = _target(root, task_id)
    pair = lookup(target, key, what)
    if pair is None:
        new_text = _add_key(text, target, key, value)
    elif target.flow:
        old = pair[1]
        start = old.value_start if isinstance(old, Scalar) else old.start
        gap = " " if text[start - 1 : start] == ":" else ""
        new_text = _splice(text, start, text_end(old, text), gap + _flow(value))
    else:
        key_node, old = pair
        end = _line_end(text, text_end(old, text))
        block = _block({key: value}, " " * key_node.column, _break_near(text, end))
        new_text = _splice(text, key_node.start, end, block)
    verify_edit(
        text,
        root,
        events,
        new_text,
        index,
        lambda mapping: mapping.__setitem__(key, copy.deepcopy(value)),
        f"`{key}` of {what}",
    )
    return new_text


def append_task_list_item(text: str, task_id: str | None, key: str, item: dict[str, Any]) -> str:
    item = plain_data(item)
    root, events = parse_document(text)
    index, target, what = _target(root, task_id)
    pair = lookup(target, key, what)
    if pair is None:
        new_text = _add_key(text, target, key, [item])
    else:
        new_text = _append_to_existing(text, target, pair, item, what)

    def expected(mapping: dict) -> None:
        if mapping.get(key) is None:
            mapping[key] = [copy.deepcopy(item)]
        else:
            mapping[key].append(copy.deepcopy(item))

    verify_edit(text, root, events, new_text, index, expected, f"`{key}` of {what}")
    return new_text


def plain_data(value: Any) -> Any:
    """`value` made of YAML-safe types: datetimes become ISO strings in UTC ending in Z."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return plain_data(value.value)
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot write a {type(value).__name__} into YAML")


# ---------------------------------------------------------------- locating the target


def _target(root: Node | None, task_id: str | None) -> tuple[int | None, Mapping, str]:
    if task_id is None:
        if not isinstance(root, Mapping):
            raise EditRefused("the file is not a YAML mapping.")
        return None, root, "the file"
    index, entry = find_task(root, task_id)
    return index, entry, f"task {task_id!r}"


# ---------------------------------------------------------------- scalar edits


def _set_scalar_or_insert(
    text: str, mapping: Mapping, key: str, value: str, what: str, after_key: str | None
) -> str:
    pair = lookup(mapping, key, what)
    if pair is not None:
        node = pair[1]
        if not isinstance(node, Scalar) or node.style in ("|", ">"):
            raise EditRefused(
                f"the `{key}` of {what} is not a one-line value; write it as `{key}: VALUE`.",
                node.line + 1,
                node.column + 1,
            )
        rendered = render_scalar(value, node.style, mapping.flow)
        if node.value_start == node.end and text[node.value_start - 1 : node.value_start] == ":":
            rendered = " " + rendered  # `status:` with no value: keep a space after the colon
        return _splice(text, node.value_start, node.end, rendered)
    anchor = lookup(mapping, after_key, what) if after_key else None
    if mapping.flow:
        if text[mapping.start : mapping.start + 1] != "{":
            raise EditRefused(f"{what} is written as a bare `key: value` inside a list; add braces.")
        rendered = f"{key}: {render_scalar(value, '', True)}"
        if anchor is not None:
            at = text_end(anchor[1], text)
            return _splice(text, at, at, ", " + rendered)
        return _add_key(text, mapping, key, value)
    if anchor is None:
        return _add_key(text, mapping, key, value)
    key_node = anchor[0]
    line = f"{key}: {render_scalar(value, '', False)}"
    return _insert_line_after(text, text_end(anchor[1], text), " " * key_node.column + line)


def render_scalar(value: str, style: str, in_flow: bool) -> str:
    """`value` written in the quoting `style`, falling back to single quotes where plain would misread."""
    if style == '"':
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted one
    if style == "" and _plain_is_safe(value, in_flow):
        return value
    return "'" + value.replace("'", "''") + "'"


@functools.lru_cache(maxsize=1_024)
def _plain_is_safe(value: str, in_flow: bool) -> bool:
    if not _PLAIN_WORD.fullmatch(value):
        return False
    probe = f"{{k: {value}}}" if in_flow else f"k: {value}"
    return yaml.load(probe, Loader=PARSER_LOADER) == {"k": value}


# ---------------------------------------------------------------- mapping and list edits


def _add_key(text: str, mapping: Mapping, key: str, value: Any) -> str:
    if mapping.flow:
        entry = f"{key}: {_flow(value)}"
        if mapping.pairs:
            at = text_end(mapping.pairs[-1][1], text)
            return _splice(text, at, at, ", " + entry)
        return _splice(text, mapping.start + 1, mapping.start + 1, entry)
    indent = " " * mapping.pairs[0][0].column
    at = text_end(mapping, text)
    return _insert_line_after(text, at, indent + _block({key: value}, indent, _break_near(text, at)))


def _append_to_existing(text: str, target: Mapping, pair: tuple[Node, Node], item: Any, what: str) -> str:
    key_node, value = pair
    key = key_node.value if isinstance(key_node, Scalar) else "?"
    if isinstance(value, Sequence) and (value.flow and (value.items or target.flow)):
        # keep the user's flow list; add the item before its closing bracket
        if value.items:
            at = text_end(value.items[-1], text)
            return _splice(text, at, at, ", " + _flow(item))
        return _splice(text, value.start + 1, value.start + 1, _flow(item))
    if isinstance(value, Sequence) and not value.flow:
        indent = " " * value.column  # the column of its first "-"
        at = text_end(value, text)
        return _insert_line_after(text, at, indent + _block([item], indent, _break_near(text, at)))
    empty = (isinstance(value, Sequence) and not value.items) or (
        isinstance(value, Scalar) and value.style == "" and value.value in _NULL_WORDS
    )
    if not empty:
        raise EditRefused(f"`{key}` of {what} is not a list.", value.line + 1, value.column + 1)
    if target.flow:
        return _splice(text, value.start, value.end, _flow([item]))
    # `issues: []` or `issues:` -> a block list under the key; a comment on that line stays
    start = value.value_start if isinstance(value, Scalar) else value.start
    while start > key_node.end and text[start - 1] in " \t":
        start -= 1
    text = _splice(text, start, value.end, "")
    indent = " " * (key_node.column + 2)
    return _insert_line_after(text, start, indent + _block([item], indent, _break_near(text, start)))


# ---------------------------------------------------------------- emitting and splicing


def _block(value: Any, indent: str, line_break: str) -> str:
    """`value` dumped in block style, continuation lines indented by `indent`, no final line break."""
    dumped = yaml.dump(
        value,
        Dumper=_IndentedDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=_WIDE,
    )
    lines = dumped.rstrip("\n").split("\n")
    return lines[0] + "".join(line_break + (indent + line if line else "") for line in lines[1:])


def _flow(value: Any) -> str:
    """`value` dumped in flow style on one line, fit to sit inside `{...}` or `[...]`."""
    dumped = yaml.dump(
        {"k": value},
        Dumper=_IndentedDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=True,
        width=_WIDE,
    ).strip()
    return dumped[len("{k: ") : -1]


def _splice(text: str, start: int, end: int, replacement: str) -> str:
    return text[:start] + replacement + text[end:]


def _line_end(text: str, index: int) -> int:
    """Index of the line break ending the line that holds `index` (len(text) on the last line)."""
    ends = [found for found in (text.find("\n", index), text.find("\r", index)) if found >= 0]
    return min(ends) if ends else len(text)


def _break_near(text: str, index: int) -> str:
    """The line break ending the line at `index`, or else the file's first one, or "\\n"."""
    at = _line_end(text, index)
    if at == len(text):
        at = _line_end(text, 0)
        if at == len(text):
            return "\n"
    return "\r\n" if text.startswith("\r\n", at) else text[at]


def _insert_line_after(text: str, index: int, line: str) -> str:
    """`line` as a new line after the one holding `index`, with that file's line break."""
    line_break = _break_near(text, index)
    at = _line_end(text, index)
    if at == len(text):  # last line without a break: keep the file ending without one
        return text + line_break + line
    after = at + len(line_break)
    return text[:after] + line + line_break + text[after:]
