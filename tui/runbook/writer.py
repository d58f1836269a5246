"""Careful writes to runbook and task detail files.

Every write reads the file's bytes, changes only the characters of one value (see `yaml_edit`), and
swaps the new file in only if the file still holds the bytes the change was made from (see
`file_swap`: on Linux an atomic exchange that can be undone). If someone changed it, the change is
recomputed on their version, so a user's edit in an editor is never overwritten.

A write costs the change, not the file: the loader keeps an index of where each task entry and
status is (`file_index`), and while the file is exactly the indexed version the edit and its check
touch only that region (`region_edit`). Otherwise the index is made again from the file, and where
a region cannot be judged on its own the whole document is edited and checked.

Patchbay's own writes are remembered (the last bytes written per resolved path) so the file watcher
can tell them from the user's: `is_own_write(path, data)` is True when `data` is what Patchbay last wrote.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tui.errors import LocatedError, Location
from tui.runbook import file_index, limits, yaml_edit
from tui.runbook.file_swap import replace_if_unchanged
from tui.runbook.region_edit import AppendItem, Edit, SetKey, SetStatus, edit_indexed
from tui.runbook.yaml_edit_tree import EditRefused

__all__ = [
    "VALID_STATUS_CHARACTERS",
    "RunbookWriteError",
    "append_task_list_item",
    "before_replace_hook",
    "forget_own_writes",
    "is_own_write",
    "last_own_write_digest",
    "set_detail_status",
    "set_task_key",
    "set_task_status",
    "set_task_statuses",
]

BOM = b"\xef\xbb\xbf"
CAS_ATTEMPTS = 5
VALID_STATUS_CHARACTERS = "letters, digits, '_', '-' and '.'"

# Tests set this to edit the file between Patchbay's read and its replace, exercising the
# compare-and-swap path with a real external write. Called with the path; None in production.
before_replace_hook: Callable[[Path], None] | None = None

_own_writes: dict[Path, bytes] = {}
_swapping: dict[Path, bytes] = {}  # the bytes of a swap under way, not yet known to have landed
_own_writes_lock = threading.Lock()
_path_locks: dict[Path, threading.Lock] = {}


class RunbookWriteError(LocatedError):
    """A runbook or detail file Patchbay was asked to update cannot be updated safely."""


def set_task_status(runbook_yaml: Path, task_id: str, status: str) -> None:
    """Set the `status` of the task `task_id` in runbook.yaml, in place, keeping its quoting."""
    _check_status(status)
    _rewrite(
        Path(runbook_yaml),
        [SetStatus(task_id, status)],
        lambda text: yaml_edit.set_task_status(text, task_id, status),
    )


def set_task_statuses(runbook_yaml: Path, statuses: dict[str, str]) -> None:
    """Set several tasks' statuses in one careful write (one fsync): all of them or, refused, none."""
    for status in statuses.values():
        _check_status(status)
    if not statuses:
        return
    _rewrite(
        Path(runbook_yaml),
        [SetStatus(task_id, status) for task_id, status in statuses.items()],
        lambda text: yaml_edit.set_task_statuses(text, statuses),
    )


def set_detail_status(detail_yaml: Path, status: str) -> None:
    """Set the top-level `status` of a task detail file; a file without one is left alone."""
    _check_status(status)
    _rewrite(
        Path(detail_yaml), [SetStatus(None, status)], lambda text: yaml_edit.set_detail_status(text, status)
    )


def set_task_key(path: Path, task_id: str | None, key: str, value: Any) -> None:
    """Replace (or add at the end) `key` of the file's mapping (task_id None) or of a `tasks:` entry."""
    value = yaml_edit.plain_data(value)
    _rewrite(
        Path(path),
        [SetKey(task_id, key, value)],
        lambda text: yaml_edit.set_task_key(text, task_id, key, value),
    )


def append_task_list_item(path: Path, task_id: str | None, key: str, item: dict) -> None:
    """Append `item` to the list `key` (e.g. `issues`), creating the key when it is missing."""
    item = yaml_edit.plain_data(item)
    _rewrite(
        Path(path),
        [AppendItem(task_id, key, item)],
        lambda text: yaml_edit.append_task_list_item(text, task_id, key, item),
    )


def is_own_write(path: Path, data: bytes) -> bool:
    """True when `data` are exactly the bytes Patchbay last wrote to `path` (in this process)."""
    with _own_writes_lock:
        written = _own_writes.get(_key(path))
        swapping = _swapping.get(_key(path))
    return data in (written, swapping)


def last_own_write_digest(path: Path) -> str | None:
    """SHA-256 (hex) of the bytes Patchbay last wrote to `path`, or None if it never wrote it."""
    with _own_writes_lock:
        written = _own_writes.get(_key(path))
    return None if written is None else hashlib.sha256(written).hexdigest()


def forget_own_writes() -> None:
    """Clear the record of Patchbay's writes and the kept indexes (tests, or when a runbook is closed)."""
    with _own_writes_lock:
        _own_writes.clear()
        _swapping.clear()
    file_index.forget()


# ---------------------------------------------------------------- the read / edit / swap loop


def _rewrite(path: Path, edits: list[Edit], whole: Callable[[str], str]) -> None:
    # Patchbay's own threads queue up per file; the compare-and-swap below guards against everyone else
    with _path_lock(path):
        _rewrite_locked(path, edits, whole)


def _rewrite_locked(path: Path, edits: list[Edit], whole: Callable[[str], str]) -> None:
    for _attempt in range(CAS_ATTEMPTS):
        original = _read(path)
        refused = limits.too_big(len(original))
        if refused is not None:
            raise RunbookWriteError(Location(path), refused)
        new_bytes, new_index = _edited(path, original, edits, whole)
        if new_bytes == original:
            return
        hook = before_replace_hook
        if hook is not None:
            hook(path)
        # While the swap is under way the file holds our last write or this one; a watcher reading
        # it in between must take neither for the user's (see is_own_write).
        with _own_writes_lock:
            _swapping[_key(path)] = new_bytes
        swapped = False
        try:
            # compare-and-swap: a change made since our read wins, and our edit is redone on top of it
            swapped = replace_if_unchanged(path, new_bytes, original)
        except OSError as exc:
            raise RunbookWriteError(Location(path), f"cannot be written ({exc.strerror}).") from None
        finally:
            with _own_writes_lock:
                _swapping.pop(_key(path), None)
                if swapped:
                    _own_writes[_key(path)] = new_bytes
        if not swapped:
            continue
        if new_index is not None:
            file_index.remember(path, new_index, new_bytes)
        return
    raise RunbookWriteError(
        Location(path), "kept changing on disk while Patchbay tried to update it; nothing was written."
    )


def _edited(
    path: Path, original: bytes, edits: list[Edit], whole: Callable[[str], str]
) -> tuple[bytes, file_index.FileIndex | None]:
    """The new bytes, by the indexed region when it can be judged alone, else by the whole document."""
    index = file_index.current(path, original) or _index_now(path, original)
    if index is not None:
        fast = edit_indexed(original, index, edits)
        if fast is not None:
            return fast
    bom, text = _decode(path, original)
    try:
        new_text = whole(text)
    except EditRefused as refused:
        raise RunbookWriteError(Location(path, refused.line, refused.column), refused.sentence) from None
    return bom + new_text.encode("utf-8"), None


def _index_now(path: Path, data: bytes) -> file_index.FileIndex | None:
    """Index the file as it is now (it changed since the load, or was never loaded here)."""
    if file_index.could_not_index(path, data):
        return None
    index = None
    try:
        text = data.decode("utf-8")
        text = text[1:] if text.startswith("\ufeff") else text
        index = file_index.build_index(data, text, file_index.compose_root(text))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError, MemoryError):
        pass
    file_index.remember(path, index, data)
    return index


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise RunbookWriteError(Location(path), "does not exist.") from None
    except IsADirectoryError:
        raise RunbookWriteError(Location(path), "is a folder, not a YAML file.") from None
    except OSError as exc:
        raise RunbookWriteError(Location(path), f"cannot be read ({exc.strerror}).") from None


def _decode(path: Path, data: bytes) -> tuple[bytes, str]:
    """Split off a UTF-8 BOM (written back as it was) and decode the rest."""
    bom = BOM if data.startswith(BOM) else b""
    try:
        return bom, data[len(bom) :].decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RunbookWriteError(Location(path, line), "is not UTF-8 text; nothing was written.") from None


def _check_status(status: str) -> None:
    # statuses come from Patchbay's own enum; anything else is a bug in the caller
    if not isinstance(status, str) or not status or not all(ch.isalnum() or ch in "_-." for ch in status):
        raise ValueError(f"a status is made of {VALID_STATUS_CHARACTERS}, not {status!r}")


def _key(path: Path) -> Path:
    return Path(path).resolve()


def _path_lock(path: Path) -> threading.Lock:
    with _own_writes_lock:
        return _path_locks.setdefault(_key(path), threading.Lock())
