"""The careful writer's fast path: change one region of an indexed file and check only that region.

A status value written on one line is replaced on that line, and the line is re-read before and
after: it must be `status: VALUE` both times, in the same quoting. Anything else — a missing key,
`last_run`, an `issues` item — is made by the ordinary text surgery (`yaml_edit`, with its own
self-check) on a small document holding just the region: the task entry under a `tasks:` line,
the top-level key, or a list's last item under its key. The edited region must then still be one
entry (or key, or the old items plus one) at the same column, ending the same way; otherwise, or
where the region holds anchors or aliases (their meaning reaches beyond it), the fast path declines
and the writer uses the whole-file path.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, replace
from typing import Any

import yaml

from tui.runbook import file_index, yaml_edit
from tui.runbook.file_index import FileIndex, Regions, shift
from tui.runbook.yaml_edit_tree import (
    PARSER_LOADER,
    EditRefused,
    Mapping,
    Node,
    Scalar,
    Sequence,
    parse_document,
)

__all__ = ["AppendItem", "Declined", "Edit", "SetKey", "SetStatus", "edit_indexed"]

_ITEM_PREFIX = re.compile(r"[ \t]*-[ \t]+")
_BREAKS = ("\n", "\r")


@dataclass(frozen=True)
class SetStatus:
    task_id: str | None  # None: a detail file's top-level `status` (left alone when it has none)
    status: str


@dataclass(frozen=True)
class SetKey:
    task_id: str | None  # None: the file's top-level mapping
    key: str
    value: Any


@dataclass(frozen=True)
class AppendItem:
    task_id: str | None
    key: str
    item: dict[str, Any]


Edit = SetStatus | SetKey | AppendItem


class Declined(Exception):
    """The fast path cannot judge this edit; the whole-file path decides."""


@dataclass
class _Splice:
    start: int
    end: int
    new: bytes
    regions: str = ""  # "entries" or "keys": whose inner offsets to recompute, "" for none
    number: int = -1
    scalar: tuple[int, int] = (-1, -1)  # relative to `start` in the new bytes
    tail: int = -1
    keys_changed: bool = False  # a key was added: the key regions must be rebuilt
    kind: str = "region"  # "region" (the whole region was rewritten), "tail" (a list's last item), "line"


def edit_indexed(data: bytes, index: FileIndex, edits: list[Edit]) -> tuple[bytes, FileIndex] | None:
    """`data` with `edits` made, and the index of the result; None to decline."""
    try:
        splices = [splice for splice in (_splice_for(data, index, edit) for edit in edits) if splice]
    except (Declined, EditRefused, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None
    if not splices:
        return data, index
    splices.sort(key=lambda splice: splice.start)
    if any(later.start < earlier.end for earlier, later in itertools.pairwise(splices)):
        return None
    parts, at = [], 0
    for splice in splices:
        parts += [data[at : splice.start], splice.new]
        at = splice.end
    parts.append(data[at:])
    new_data = b"".join(parts)
    return new_data, _moved(index, splices, new_data)


# ---------------------------------------------------------------- one edit


def _splice_for(data: bytes, index: FileIndex, edit: Edit) -> _Splice | None:
    if edit.task_id is not None:
        return _entry_splice(data, index.entries, edit)
    return _key_splice(data, index.keys, edit)


def _entry_splice(data: bytes, entries: Regions | None, edit: Edit) -> _Splice:
    if entries is None or edit.task_id not in entries.names:
        raise Declined  # the whole-file path says what is wrong (no such task, id twice)
    number = entries.names[edit.task_id]
    scalar = entries.scalar(number)
    if isinstance(edit, SetStatus) and scalar is not None:
        line = _line_splice(data, *scalar, "status", edit.status)
        if line is not None:
            line.regions, line.number = "entries", number
            return line
    start, end = entries.region(number)
    task_id = edit.task_id
    if isinstance(edit, SetStatus):
        change = lambda text: yaml_edit.set_task_status(text, task_id, edit.status)  # noqa: E731
    elif isinstance(edit, SetKey):
        change = lambda text: yaml_edit.set_task_key(text, task_id, edit.key, edit.value)  # noqa: E731
    else:
        change = lambda text: yaml_edit.append_task_list_item(text, task_id, edit.key, edit.item)  # noqa: E731
    new_text, old_root, new_root, offset = _edit_region(data, start, end, "tasks", change)
    _single_sequence(old_root, "tasks", 1)
    item = _single_sequence(new_root, "tasks", 1)[0]
    if not isinstance(item, Mapping):
        raise Declined
    splice = _Splice(start, end, new_text.encode("utf-8"), "entries", number)
    status = _lookup_once(item, "status")
    splice.scalar = _relative_scalar(new_text, status, item, offset)
    return splice


def _key_splice(data: bytes, keys: Regions | None, edit: Edit) -> _Splice | None:
    if keys is None:
        raise Declined
    name = "status" if isinstance(edit, SetStatus) else edit.key
    number = keys.names.get(name)
    if number is None:
        if isinstance(edit, SetStatus):
            return None  # a detail file without a status keeps having none
        return _added_key_splice(data, keys, edit)
    scalar = keys.scalar(number)
    if isinstance(edit, SetStatus) and scalar is not None:
        line = _line_splice(data, *scalar, "status", edit.status)
        if line is not None:
            line.regions, line.number = "keys", number
            return line
    if isinstance(edit, AppendItem) and keys.tail(number) is not None:
        return _tail_splice(data, keys, number, edit)
    start, end = keys.region(number)
    new_text, old_root, new_root, _ = _edit_region(
        data, start, end, None, lambda text: _top_level_change(text, edit)
    )
    _single_pair(old_root, name)
    value = _single_pair(new_root, name)
    splice = _Splice(start, end, new_text.encode("utf-8"), "keys", number)
    splice.scalar = _relative_scalar(new_text, value, new_root, 0)
    splice.tail = _relative_tail(new_text, value, 0)
    return splice


def _added_key_splice(data: bytes, keys: Regions, edit: Edit) -> _Splice:
    number = len(keys.bounds) - 2  # the key goes after the last one, so the last region is edited
    start, end = keys.region(number)
    new_text, old_root, new_root, _ = _edit_region(
        data, start, end, None, lambda text: _top_level_change(text, edit)
    )
    if not isinstance(old_root, Mapping) or len(old_root.pairs) != 1:
        raise Declined
    if not isinstance(new_root, Mapping) or len(new_root.pairs) != 2:
        raise Declined
    return _Splice(start, end, new_text.encode("utf-8"), keys_changed=True)


def _tail_splice(data: bytes, keys: Regions, number: int, edit: AppendItem) -> _Splice:
    start, end = keys.tail(number), keys.bounds[number + 1]
    new_text, old_root, new_root, offset = _edit_region(
        data, start, end, edit.key, lambda text: _top_level_change(text, edit)
    )
    old_items = len(_single_sequence(old_root, edit.key, None))
    _single_sequence(new_root, edit.key, old_items + 1)
    splice = _Splice(start, end, new_text.encode("utf-8"), "keys", number, kind="tail")
    splice.tail = _relative_tail(new_text, new_root.pairs[0][1], offset)  # type: ignore[union-attr]
    return splice


def _top_level_change(text: str, edit: Edit) -> str:
    if isinstance(edit, SetStatus):
        return yaml_edit.set_detail_status(text, edit.status)
    if isinstance(edit, SetKey):
        return yaml_edit.set_task_key(text, None, edit.key, edit.value)
    return yaml_edit.append_task_list_item(text, None, edit.key, edit.item)


# ---------------------------------------------------------------- checking a region


def _edit_region(
    data: bytes, start: int, end: int, key: str | None, change
) -> tuple[str, Node | None, Node | None, int]:
    """The region's new text, the old and new wrapped documents' trees, and the wrapper's length.

    The region is wrapped under `key:` (a list's items, a task entry) or not at all (a top-level key);
    the wrapper ends in the file's own line break, which the surgery copies into new lines.
    """
    text = data[start:end].decode("utf-8")
    wrapper = "" if key is None else f"{key}:{_line_break(data, start)}"
    old_root, old_events = parse_document(wrapper + text)
    if _has_anchors(old_events):
        raise Declined
    new_wrapped = change(wrapper + text)
    if not new_wrapped.startswith(wrapper):
        raise Declined
    new_text = new_wrapped[len(wrapper) :]
    if text.endswith(_BREAKS) != new_text.endswith(_BREAKS):
        raise Declined
    new_root, new_events = parse_document(new_wrapped)
    if _has_anchors(new_events):
        raise Declined
    old_columns = _dash_columns(wrapper + text, old_root)
    if _dash_columns(new_wrapped, new_root)[: len(old_columns)] != old_columns:
        raise Declined
    return new_text, old_root, new_root, len(wrapper)


def _line_break(data: bytes, start: int) -> str:
    """The line break ending the line before `start` (the region begins at a line start)."""
    if data[max(start - 2, 0) : start] == b"\r\n":
        return "\r\n"
    return "\r" if data[start - 1 : start] == b"\r" else "\n"


def _has_anchors(events: list[yaml.Event]) -> bool:
    return any(isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) for event in events)


def _dash_columns(text: str, root: Node | None) -> list[int]:
    """The column of each `-` of the wrapped document's one list (empty for a key region)."""
    if not isinstance(root, Mapping) or len(root.pairs) != 1 or not isinstance(root.pairs[0][1], Sequence):
        return []
    columns = []
    for item in root.pairs[0][1].items:
        line_start = file_index.line_start(text, item.start)
        if _ITEM_PREFIX.fullmatch(text, line_start, item.start) is None:
            raise Declined
        columns.append(text.index("-", line_start, item.start) - line_start)
    if len(set(columns)) > 1:
        raise Declined
    return columns


def _single_sequence(root: Node | None, key: str, count: int | None) -> list[Node]:
    value = _single_pair(root, key)
    if not isinstance(value, Sequence) or value.flow or (count is not None and len(value.items) != count):
        raise Declined
    return value.items


def _single_pair(root: Node | None, key: str) -> Node:
    if not isinstance(root, Mapping) or root.flow or len(root.pairs) != 1:
        raise Declined
    key_node, value = root.pairs[0]
    if not isinstance(key_node, Scalar) or key_node.value != key or key_node.column != 0:
        raise Declined
    return value


def _lookup_once(mapping: Mapping, key: str) -> Node | None:
    """The value of `key`, when the mapping has it exactly once."""
    found = [value for name, value in mapping.pairs if isinstance(name, Scalar) and name.value == key]
    return found[0] if len(found) == 1 else None


def _relative_scalar(text: str, node: Node | None, parent: Node, offset: int) -> tuple[int, int]:
    if (
        not isinstance(node, Scalar)
        or not isinstance(parent, Mapping)
        or parent.flow
        or node.style not in ("", "'", '"')
        or node.value_start >= node.end
        or any(mark in text[node.start - offset : node.end - offset] for mark in _BREAKS)
    ):
        return -1, -1
    before = len(text[: node.start - offset].encode("utf-8"))
    return before, before + len(text[node.start - offset : node.end - offset].encode("utf-8"))


def _relative_tail(text: str, node: Node, offset: int) -> int:
    if not isinstance(node, Sequence) or node.flow or not node.items:
        return -1
    start = node.items[-1].start - offset
    line_start = file_index.line_start(text, start)
    return len(text[:line_start].encode("utf-8"))


# ---------------------------------------------------------------- a value on its own line


def _line_splice(data: bytes, at: int, end: int, key: str, value: str) -> _Splice | None:
    """Replace the one-line value at data[at:end] of `key: value` on its own line, or None."""
    after_lf = data.rfind(b"\n", 0, at) + 1
    line_start = max(after_lf, data.rfind(b"\r", after_lf, at) + 1)
    line_end = data.find(b"\n", end)
    line_end = len(data) if line_end < 0 else line_end
    cr = data.find(b"\r", end, line_end)
    line_end = line_end if cr < 0 else cr
    indent = len(data[line_start:at]) - len(data[line_start:at].lstrip(b" "))
    body = data[line_start + indent : line_end].decode("utf-8")
    value_from = len(data[line_start + indent : at].decode("utf-8"))
    value_to = value_from + len(data[at:end].decode("utf-8"))
    old = _key_value_line(body, key)
    if old is None or old[1:3] != (value_from, value_to):
        return None
    rendered = yaml_edit.render_scalar(value, old[0], False)
    new = _key_value_line(body[:value_from] + rendered + body[value_to:], key)
    if new != (old[0], value_from, value_from + len(rendered), value):
        return None
    if not old[0] and not _plain_reads_as_text(value):
        return None
    return _Splice(at, end, rendered.encode("utf-8"), kind="line")


@functools.lru_cache(maxsize=4_096)  # status lines repeat: `    status: PENDING` in most entries
def _key_value_line(body: str, key: str) -> tuple[str, int, int, str] | None:
    """(style, start, end, text) of the value when `body` reads as exactly `key: <one scalar>`."""
    try:
        events = list(yaml.parse(body, Loader=PARSER_LOADER))
    except yaml.YAMLError:
        return None
    kinds = [type(event) for event in events]
    if kinds != [
        yaml.StreamStartEvent,
        yaml.DocumentStartEvent,
        yaml.MappingStartEvent,
        yaml.ScalarEvent,
        yaml.ScalarEvent,
        yaml.MappingEndEvent,
        yaml.DocumentEndEvent,
        yaml.StreamEndEvent,
    ]:
        return None
    mapping, name, scalar = events[2], events[3], events[4]
    if mapping.flow_style or mapping.anchor or mapping.tag or events[1].explicit:
        return None
    if name.value != key or name.style or name.anchor or name.tag or scalar.anchor or scalar.tag:
        return None
    if scalar.style not in (None, "", "'", '"'):
        return None
    return scalar.style or "", scalar.start_mark.index, scalar.end_mark.index, scalar.value


@functools.lru_cache(maxsize=1_024)
def _plain_reads_as_text(value: str) -> bool:
    """A plain scalar that a loader reads back as this very text (not a number, bool or null)."""
    return yaml.load(f"k: {value}", Loader=PARSER_LOADER) == {"k": value}


# ---------------------------------------------------------------- the index after the edit


def _moved(index: FileIndex, splices: list[_Splice], new_data: bytes) -> FileIndex:
    spans = [(splice.start, splice.end, len(splice.new)) for splice in splices]
    entries = _moved_regions(index.entries, spans, [s for s in splices if s.regions == "entries"])
    keys = None if any(s.keys_changed for s in splices) else index.keys
    keys = _moved_regions(keys, spans, [s for s in splices if s.regions == "keys"])
    # the writer keeps the new bytes (its record of its own writes): no digest to compute
    return replace(index, data=new_data, digest=None, size=len(new_data), entries=entries, keys=keys)


def _moved_regions(regions: Regions | None, spans, edited: list[_Splice]) -> Regions | None:
    if regions is None:
        return None
    moved = Regions(
        shift(regions.bounds, spans),
        regions.names,
        list(regions.scalar_at),
        list(regions.scalar_end),
        list(regions.tail_at),
    )
    for splice in edited:
        number = splice.number
        if splice.kind == "line":
            moved.scalar_end[number] = moved.scalar_at[number] + len(splice.new)
        elif splice.kind == "tail":
            moved.tail_at[number] = splice.start - regions.bounds[number] + splice.tail
        else:
            at, end = splice.scalar
            moved.scalar_at[number], moved.scalar_end[number] = (at, end) if at >= 0 else (-1, -1)
            if moved.tail_at:
                moved.tail_at[number] = splice.tail if splice.tail >= 0 else -1
    return moved
