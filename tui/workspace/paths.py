"""Path safety for writes into the working tree: model output names the files, so every name is suspect."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path, PurePosixPath

from tui.errors import PatchbayError


class UnsafePathError(PatchbayError):
    """A path that must not be written: outside the tree, into .git/, or malformed."""


# Unicode's control characters (category Cc: C0, DEL, C1). In a file name they would reach terminals,
# `git status` and editors as escape sequences or line breaks; repr() shows them escaped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def resolve_in_tree(workdir: Path, rel: str) -> Path:
    """Return the absolute, symlink-free path that `rel` names inside `workdir`, or refuse it.

    `rel` is read as a POSIX path (a backslash is an ordinary character, not a separator).
    Refused: empty names, NUL bytes and other control characters, absolute paths, `..` that leaves
    the tree, symlinks at any component that lead out of the tree, and anything inside a `.git`
    folder. Symlinks that stay inside the tree are followed, so a write lands on the real file and
    the link is kept.
    """
    if not isinstance(rel, str) or rel.strip() == "":
        raise UnsafePathError("An empty file path cannot be written.")
    if "\x00" in rel:
        raise UnsafePathError(f"The file path {rel!r} contains a NUL byte.")
    if _CONTROL.search(rel):
        raise UnsafePathError(
            f"The file path {rel!r} contains a control character, which Patchbay does not write in a file name."
        )
    pure = PurePosixPath(rel)
    if pure.is_absolute():
        raise UnsafePathError(
            f"The file path {rel} is absolute; only paths inside the working tree are allowed."
        )
    if _names_git_folder(pure.parts):
        raise UnsafePathError(f"The file path {rel} is inside .git/, which Patchbay never writes.")
    if _escapes_lexically(pure.parts):
        raise UnsafePathError(f"The file path {rel} leaves the working tree through '..'.")
    for part in pure.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise UnsafePathError(
                f"The file path {_short(rel)} has a name of {len(os.fsencode(part))} bytes; "
                f"file systems allow at most {NAME_MAX}."
            )

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


NAME_MAX = 255  # bytes in one file or folder name, on every common Linux and macOS file system


class NotARegularFile(PatchbayError):
    """A FIFO, socket or device where a file was expected: reading it could block or never end."""


def read_regular(path: Path, rel: str) -> bytes | None:
    """The bytes of the regular file at `path`, or None when there is none.

    Opened without blocking and checked before a byte is read, so a FIFO cannot hang us and a
    device cannot feed us forever. Refuses (one sentence naming `rel`) anything else.
    """
    try:
        kind = os.stat(path).st_mode  # first, since opening a socket fails and a FIFO waits
        if not stat.S_ISREG(kind) and not stat.S_ISDIR(kind):
            raise NotARegularFile(
                f"{rel} is {_kind_name(kind)}, not a regular file; Patchbay only reads and writes regular files."
            )
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise PatchbayError(f"{rel} is a folder, not a file.") from None
    except NotADirectoryError:
        raise PatchbayError(
            f"{rel} cannot exist: {_file_on_the_way(path, rel)} is a file, not a folder."
        ) from None
    except OSError as error:
        raise PatchbayError(f"{rel} cannot be read ({error.strerror}).") from None
    try:
        kind = os.fstat(fd).st_mode
        if stat.S_ISDIR(kind):
            raise PatchbayError(f"{rel} is a folder, not a file.")
        if not stat.S_ISREG(kind):
            raise NotARegularFile(
                f"{rel} is {_kind_name(kind)}, not a regular file; Patchbay only reads and writes regular files."
            )
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as error:
        raise PatchbayError(f"{rel} cannot be read ({error.strerror}).") from None
    finally:
        os.close(fd)


def _file_on_the_way(path: Path, rel: str) -> str:
    """The first folder of `rel` that is a file (what made reaching `path` fail with ENOTDIR)."""
    parts = Path(rel).parts
    base = path.parents[len(parts) - 1]
    for depth in range(1, len(parts)):
        if (base.joinpath(*parts[:depth])).is_file():
            return "/".join(parts[:depth])
    return str(Path(rel).parent)


def _kind_name(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    return "not a file"


def _short(rel: str) -> str:
    return rel if len(rel) <= 60 else rel[:40] + "…" + rel[-12:]


def tree_relative(workdir: Path, absolute: Path) -> str:
    """The POSIX path of `absolute` (as returned by resolve_in_tree) relative to `workdir`."""
    return Path(absolute).relative_to(os.path.realpath(workdir)).as_posix()


def is_binary(data: bytes) -> bool:
    """True when `data` is not text Patchbay can diff: it holds NUL bytes or is not valid UTF-8."""
    return not_text_reason(data) is not None


def not_text_reason(data: bytes) -> str | None:
    """Why `data` is not text Patchbay changes, to follow "<file> is"; None for UTF-8 text."""
    if b"\x00" in data:
        return "a binary file (it holds NUL bytes)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return (
            f"not UTF-8: line {line} holds the byte 0x{data[error.start]:02x} "
            "(text in another encoding, such as Latin-1, or a binary file)"
        )
    return None


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
