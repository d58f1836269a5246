"""Path safety for writes into the working tree: model output names the files, so every name is suspect."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from tui.errors import PatchbayError


class UnsafePathError(PatchbayError):
    """A path that must not be written: outside the tree, into .git/, or malformed."""


def resolve_in_tree(workdir: Path, rel: str) -> Path:
    """Return the absolute, symlink-free path that `rel` names inside `workdir`, or refuse it.

    `rel` is read as a POSIX path (a backslash is an ordinary character, not a separator).
    Refused: empty names, NUL bytes, absolute paths, `..` that leaves the tree, symlinks at any
    component that lead out of the tree, and anything inside a `.git` folder. Symlinks that stay
    inside the tree are followed, so a write lands on the real file and the link is kept.
    """
    if not isinstance(rel, str) or rel.strip() == "":
        raise UnsafePathError("An empty file path cannot be written.")
    if "\x00" in rel:
        raise UnsafePathError(f"The file path {rel!r} contains a NUL byte.")
    pure = PurePosixPath(rel)
    if pure.is_absolute():
        raise UnsafePathError(
            f"The file path {rel} is absolute; only paths inside the working tree are allowed."
        )
    if _names_git_folder(pure.parts):
        raise UnsafePathError(f"The file path {rel} is inside .git/, which Patchbay never writes.")
    if _escapes_lexically(pure.parts):
        raise UnsafePathError(f"The file path {rel} leaves the working tree through '..'.")

    root = Path(os.path.realpath(workdir))
    # realpath follows symlinks the way the OS will when the file is opened (dangling ones too).
    target = Path(os.path.realpath(root / pure))
    try:
        inside = target.relative_to(root)
    except ValueError:
        raise UnsafePathError(
            f"The file path {rel} leads out of the working tree through a symbolic link."
        ) from None
    if inside.parts == ():
        raise UnsafePathError(f"The file path {rel} names the working tree itself, not a file.")
    if _names_git_folder(inside.parts):
        raise UnsafePathError(f"The file path {rel} leads into .git/, which Patchbay never writes.")
    if os.path.islink(target):
        # realpath gives up on symlink loops and returns a path that is still a link.
        raise UnsafePathError(f"The file path {rel} is a symbolic link that cannot be resolved (a loop).")
    return target


def tree_relative(workdir: Path, absolute: Path) -> str:
    """The POSIX path of `absolute` (as returned by resolve_in_tree) relative to `workdir`."""
    return Path(absolute).relative_to(os.path.realpath(workdir)).as_posix()


def is_binary(data: bytes) -> bool:
    """True when `data` is not text Patchbay can diff: it holds NUL bytes or is not valid UTF-8."""
    if b"\x00" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _names_git_folder(parts: tuple[str, ...]) -> bool:
    # Case-folded so `.GIT/config` is refused too on case-insensitive file systems.
    return any(part.casefold() == ".git" for part in parts)


def _escapes_lexically(parts: tuple[str, ...]) -> bool:
    depth = 0
    for part in parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False
