"""The check before an apply or undo writes anything (tui/workspace/journal.py): every target is a
safe path in the tree, named once, a regular UTF-8 text file (an undo may put back any bytes) that
still holds exactly the bytes the change was computed from; the folders a new file needs are noted."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tui.errors import PatchbayError
from tui.workspace.journal_store import Journal
from tui.workspace.paths import UnsafePathError, not_text_reason, read_regular, resolve_in_tree, tree_relative


@dataclass(frozen=True)
class FileWrite:
    """One file of a change. `new` None deletes the file; `expected_old` None means it must not exist.

    `mode`: the new permission bits (None keeps the file's own, or the default for a new file).
    """

    path: str
    new: bytes | None
    expected_old: bytes | None
    mode: int | None = None


class ApplyConflict(PatchbayError):
    """A file changed since the change was computed (or since it was applied); nothing was written."""


@dataclass
class Target:
    rel: str
    absolute: Path
    current: bytes | None
    new: bytes | None
    mode: int | None
    old_mode: int | None = None


def check_writes(
    journal: Journal,
    workdir: Path,
    writes: Sequence[FileWrite],
    *,
    allow_binary: bool,
    modes: dict[str, int | None],
) -> tuple[list[Target], list[str]]:
    """Everything that can refuse the change happens here, before a single byte is written."""
    if not writes:
        raise PatchbayError("The change holds no files to write.")
    targets: list[Target] = []
    seen: set[str] = set()
    created_dirs: list[str] = []
    for write in writes:
        try:
            targets.append(_check_one(journal, workdir, write, seen, created_dirs, allow_binary, modes))
        except OSError as error:  # an unreadable folder on the way, say
            raise PatchbayError(
                f"{write.path} cannot be checked ({error.strerror}); nothing was written."
            ) from None
    created_dirs.sort(key=lambda path: path.count("/"))
    return targets, created_dirs


def _check_one(
    journal: Journal,
    workdir: Path,
    write: FileWrite,
    seen: set[str],
    created_dirs: list[str],
    allow_binary: bool,
    modes: dict[str, int | None],
) -> Target:
    absolute = resolve_in_tree(workdir, write.path)
    rel = tree_relative(workdir, absolute)
    if absolute == journal.root or journal.root in absolute.parents:
        raise UnsafePathError(f"The file path {write.path} is inside Patchbay's own journal.")
    if rel in seen:
        raise PatchbayError(f"The change names {rel} twice.")
    seen.add(rel)
    current = read_regular(absolute, rel)
    if write.expected_old is None and current is not None:
        raise ApplyConflict(f"{rel} already exists; the change expected to create it.")
    if write.expected_old is not None and current is None:
        raise ApplyConflict(f"{rel} no longer exists; it was removed after the change was computed.")
    if write.expected_old is not None and current != write.expected_old:
        raise ApplyConflict(f"{rel} changed after the change was computed; nothing was written.")
    if not allow_binary and current is not None and (reason := not_text_reason(current)):
        raise PatchbayError(f"{rel} is {reason}; Patchbay only changes UTF-8 text files.")
    if not allow_binary and write.new is not None and (reason := not_text_reason(write.new)):
        raise PatchbayError(f"The new content for {rel} is {reason}; Patchbay only writes UTF-8 text files.")
    if write.new is not None:
        for folder in _missing_folders(workdir, absolute, rel):
            if folder not in created_dirs:
                created_dirs.append(folder)
    mode = write.mode if write.mode is not None else modes.get(rel)
    old_mode = mode_of(absolute) if current is not None else None
    return Target(rel, absolute, current, write.new, mode, old_mode)


def _missing_folders(workdir: Path, absolute: Path, rel: str) -> list[str]:
    missing: list[str] = []
    folder = absolute.parent
    while not folder.exists():
        missing.append(tree_relative(workdir, folder))
        folder = folder.parent
    if not folder.is_dir():
        raise PatchbayError(f"Cannot create {rel}: {tree_relative(workdir, folder)} is a file, not a folder.")
    return missing


def mode_of(path: Path) -> int:
    return os.stat(path).st_mode & 0o7777


def list_paths(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
