"""Where things are in a runbook or detail file, kept from its load so a write costs the change.

An index is made from the composed nodes of one exact version of a file (whose bytes it keeps): the
byte offsets of the lines each `tasks:` entry spans, each top-level key spans, and the one-line
status value or last list item inside them. Entries and keys are regions of whole lines, one after
another, so a region can be edited on its own and the offsets after it shifted. The careful writer
trusts an index only for the exact bytes it was made from (see `current`).
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "FileIndex",
    "Regions",
    "build_index",
    "compose_root",
    "could_not_index",
    "current",
    "fingerprint",
    "forget",
    "line_start",
    "remember",
    "remember_load",
    "shift",
]

_ITEM_PREFIX = re.compile(r"[ \t]*-[ \t]+")
# A loaded runbook's file and each of its detail files (up to the 25,000-task limit) have one;
# beyond this the oldest are dropped (a write without one indexes the file itself).
_MAX_INDEXES = 30_000


@dataclass(slots=True)
class Regions:
    """Consecutive regions of whole lines: region k is `bounds[k] : bounds[k + 1]` (bytes)."""

    bounds: list[int]
    names: dict[str, int]  # id or key -> region number; names written twice are left out
    # Offsets inside a region count from its start, so an edit elsewhere moves only `bounds`.
    scalar_at: list[int]  # the region's one-line `status` (entries) / scalar value (keys), or -1
    scalar_end: list[int]
    tail_at: list[int] = field(default_factory=list)  # keys only: the line start of a block list's last item

    def region(self, number: int) -> tuple[int, int]:
        return self.bounds[number], self.bounds[number + 1]

    def scalar(self, number: int) -> tuple[int, int] | None:
        at = self.scalar_at[number]
        return None if at < 0 else (self.bounds[number] + at, self.bounds[number] + self.scalar_end[number])

    def tail(self, number: int) -> int | None:
        at = self.tail_at[number] if self.tail_at else -1
        return None if at < 0 else self.bounds[number] + at


@dataclass(slots=True)
class FileIndex:
    """Where things are in one exact version of a file, known by its bytes or their digest."""

    # The version indexed: its bytes when they are kept anyway (after Patchbay's own write, whose
    # bytes the writer remembers; compared whole, cheaper than hashing), else its SHA-256 (after a
    # load: keeping the bytes of a 2 MB runbook would double the memory the loaded runbook holds).
    data: bytes | None
    digest: bytes | None
    size: int
    bom: int  # bytes of the UTF-8 byte-order mark in front of the text (0 or 3)
    entries: Regions | None  # the top-level `tasks:` list, when it is a block list of block entries
    keys: Regions | None  # the top-level mapping's keys, when it is a block mapping at column 0

    def holds(self, data: bytes) -> bool:
        """Whether `data` are exactly the bytes this index was made from."""
        if self.data is not None:
            return self.data == data
        return self.size == len(data) and self.digest == fingerprint(data)


def fingerprint(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


_indexes: dict[str, FileIndex] = {}
_failed: dict[str, bytes] = {}  # a version no index can be made for
_lock = threading.Lock()


def current(path: Path, data: bytes) -> FileIndex | None:
    """The index kept for exactly these bytes of `path`, else None."""
    with _lock:
        index = _indexes.get(_key(path))
    return index if index is not None and index.holds(data) else None


def could_not_index(path: Path, data: bytes) -> bool:
    with _lock:
        return _failed.get(_key(path)) == data


def remember(path: Path, index: FileIndex | None, data: bytes) -> None:
    key = _key(path)
    with _lock:
        if index is None:
            _indexes.pop(key, None)
            _failed[key] = data
            return
        _failed.pop(key, None)
        if key not in _indexes and len(_indexes) >= _MAX_INDEXES:
            _indexes.pop(next(iter(_indexes)))
        _indexes[key] = index


def forget() -> None:
    with _lock:
        _indexes.clear()
        _failed.clear()


def remember_load(path: Path, data: bytes, text: str, root: Node) -> None:
    """Called by the loader with a composed file: keep its index, by digest, for the writes to come."""
    remember(path, build_index(data, text, root, keep_bytes=False), data)


# ---------------------------------------------------------------- building


def build_index(data: bytes, text: str, root: Node | None, *, keep_bytes: bool = True) -> FileIndex | None:
    """The index of `data` (whose text, without a BOM, is `text` and composes to `root`).

    `keep_bytes` False: the index knows `data` by its digest only.
    """
    if not isinstance(root, MappingNode) or root.flow_style:
        return None
    bom = len(data) - len(text.encode("utf-8")) if not text.isascii() else len(data) - len(text)
    offsets = _Offsets(text, bom)
    entries = keys = None
    tasks = [value for key, value in root.value if isinstance(key, ScalarNode) and key.value == "tasks"]
    if len(tasks) == 1 and isinstance(tasks[0], SequenceNode) and not tasks[0].flow_style:
        entries = _entry_regions(text, tasks[0], offsets)
    keys = _key_regions(text, root, offsets)
    if entries is None and keys is None:
        return None
    if keep_bytes:
        return FileIndex(data, None, len(data), bom, entries, keys)
    return FileIndex(None, fingerprint(data), len(data), bom, entries, keys)


def _entry_regions(text: str, tasks: SequenceNode, offsets: _Offsets) -> Regions | None:
    if not tasks.value:
        return None
    bounds, scalar_at, scalar_end = [], [], []
    names: dict[str, int] = {}
    twice: set[str] = set()
    column = None
    previous = -1
    for number, item in enumerate(tasks.value):
        start = item.start_mark.index
        line_start = _line_start(text, start)
        prefix = _ITEM_PREFIX.fullmatch(text, line_start, start)
        if not isinstance(item, MappingNode) or prefix is None:
            return None
        dash = text.index("-", line_start, start) - line_start
        if column is None:
            column = dash
            previous = line_start
        elif dash != column or line_start <= previous:
            return None
        previous = line_start
        bounds.append(offsets.byte(line_start))
        try:  # a key that is a list or a mapping has an unhashable value
            pairs = {key.value: value for key, value in item.value}
        except TypeError:
            pairs = {}
        if len(pairs) != len(item.value):
            pairs = {}  # a key written twice (or not as text): the whole-file path says so
        entry_id = pairs.get("id")
        if isinstance(entry_id, ScalarNode):
            if entry_id.value in names or entry_id.value in twice:
                names.pop(entry_id.value, None)
                twice.add(entry_id.value)
            else:
                names[entry_id.value] = number
        at, end = _one_line_scalar(pairs.get("status"), item, offsets)
        scalar_at.append(at - bounds[-1] if at >= 0 else -1)
        scalar_end.append(end - bounds[-1] if at >= 0 else -1)
    bounds.append(offsets.byte(_region_end(text, tasks.end_mark.index)))
    if bounds[-1] <= bounds[-2]:
        return None
    return Regions(bounds, names, scalar_at, scalar_end)


def _key_regions(text: str, root: MappingNode, offsets: _Offsets) -> Regions | None:
    if not root.value:
        return None
    bounds, scalar_at, scalar_end, tails = [], [], [], []
    names: dict[str, int] = {}
    for number, (key, value) in enumerate(root.value):
        start = key.start_mark.index
        if not isinstance(key, ScalarNode) or key.start_mark.column != 0 or key.value in names:
            return None
        if bounds and offsets.byte(start) <= bounds[-1]:
            return None
        bounds.append(offsets.byte(start))
        names[key.value] = number
        at, end = _one_line_scalar(value, root, offsets)
        scalar_at.append(at - bounds[-1] if at >= 0 else -1)
        scalar_end.append(end - bounds[-1] if at >= 0 else -1)
        tail = _tail(text, value, offsets)
        tails.append(tail - bounds[-1] if tail >= 0 else -1)
    bounds.append(offsets.byte(len(text)))
    return Regions(bounds, names, scalar_at, scalar_end, tails)


def _one_line_scalar(node: Node | None, parent: MappingNode, offsets: _Offsets) -> tuple[int, int]:
    if (
        not isinstance(node, ScalarNode)
        or parent.flow_style
        or node.style not in (None, "", "'", '"')
        or node.start_mark.line != node.end_mark.line
        or node.start_mark.index >= node.end_mark.index
    ):
        return -1, -1
    return offsets.byte(node.start_mark.index), offsets.byte(node.end_mark.index)


def _tail(text: str, node: Node, offsets: _Offsets) -> int:
    if not isinstance(node, SequenceNode) or node.flow_style or not node.value:
        return -1
    start = node.value[-1].start_mark.index
    line_start = _line_start(text, start)
    if _ITEM_PREFIX.fullmatch(text, line_start, start) is None:
        return -1
    return offsets.byte(line_start)


def _line_start(text: str, index: int) -> int:
    """Where the line holding `index` starts (a lone CR ends a line too; looked for after the last LF)."""
    after_lf = text.rfind("\n", 0, index) + 1
    return max(after_lf, text.rfind("\r", after_lf, index) + 1)


line_start = _line_start


def _region_end(text: str, index: int) -> int:
    return index if index >= len(text) else _line_start(text, index)


class _Offsets:
    """Character offsets (what YAML marks count) turned into byte offsets of the file."""

    def __init__(self, text: str, bom: int) -> None:
        self.text = text
        self.bom = bom
        self.ascii = text.isascii()
        self.last_char = 0
        self.last_byte = 0

    def byte(self, char: int) -> int:
        if self.ascii:
            return char + self.bom
        if char < self.last_char:
            self.last_char = self.last_byte = 0
        self.last_byte += len(self.text[self.last_char : char].encode("utf-8"))
        self.last_char = char
        return self.last_byte + self.bom


# ---------------------------------------------------------------- after an edit


def shift(bounds: list[int], splices: list[tuple[int, int, int]]) -> list[int]:
    """Sorted offsets `bounds` moved by `splices` (start, end, new length), sorted and not overlapping.

    An offset at or after a splice's end moves by its change in length; one before it stays.
    """
    out: list[int] = []
    done = 0
    moved = 0
    for _start, end, size in splices:
        upto = bisect.bisect_left(bounds, end, done)
        out += [value + moved for value in bounds[done:upto]] if moved else bounds[done:upto]
        done = upto
        moved += size - (end - _start)
    out += [value + moved for value in bounds[done:]] if moved else bounds[done:]
    return out


def _key(path: Path) -> str:
    # Not resolved: resolving costs a system call per folder of the path, for each of 10,000 detail
    # files at a load. Two spellings of one file only cost a fresh index: an index is used only for
    # the exact bytes it was made from.
    return os.path.abspath(path)


def compose_root(text: str) -> Node | None:
    """The composed root of `text` with the loader's fast, stack-safe composer (YAMLError if invalid)."""
    from tui.runbook.yaml_source import compose_text

    return compose_text(text)
