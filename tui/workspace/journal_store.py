"""Where and how the undo journal lives on disk.

Each change is a folder `<journal>/<id>/` holding `entry.json` (what was changed, hashes, modes and a
state) and one `old-<n>` file per earlier file content. `entry.json` is only ever replaced
atomically, so its `state` is the single commit point: `in_progress` → `committed` (or
`rolled_back`). In a git repository the journal sits in `<git dir>/patchbay/journal/`, where
`git status` never sees it; elsewhere in `<workdir>/.patchbay/journal/`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tui.errors import PatchbayError
from tui.workspace.atomic import fsync_folder, write_atomically

ENTRY_FILE = "entry.json"
TEMP_SUFFIX = ".patchbay-tmp"  # the suffix write_atomically gives its temporary files
KEEP_ENTRIES = 50
FORMAT_VERSION = 1

IN_PROGRESS = "in_progress"
COMMITTED = "committed"
ROLLED_BACK = "rolled_back"


@dataclass
class FileRecord:
    """One file of a change; `path` is POSIX, relative to the change's workdir, symlinks resolved."""

    path: str
    old_sha: str | None  # None: the file did not exist before
    new_sha: str | None  # None: the change deletes the file
    old_mode: int | None
    new_mode: int | None
    blob: str | None  # name of the file holding the old bytes, None when there were none


@dataclass
class JournalEntry:
    id: str
    kind: str  # "apply" or "undo"
    undoes: str | None
    created_at: str
    created_ns: int
    workdir: str  # POSIX, relative to the journal's anchor folder ("" for the anchor itself)
    state: str
    files: list[FileRecord]
    created_dirs: list[str] = field(default_factory=list)  # relative to workdir, shallowest first
    skipped: list[str] = field(default_factory=list)  # files recovery left alone (edited meanwhile)
    version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> JournalEntry:
        raw = json.loads(data)
        raw["files"] = [FileRecord(**item) for item in raw["files"]]
        return cls(**raw)


class Journal:
    """The journal folder that serves `workdir`, shared by every workdir under the same anchor."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(os.path.realpath(workdir))
        if not self.workdir.is_dir():
            raise PatchbayError(f"The working tree {workdir} is not a folder.")
        found = find_git_dir(self.workdir)
        if found is None:
            self.anchor = self.workdir
            self.root = self.workdir / ".patchbay" / "journal"
        else:
            self.anchor, git_dir = found
            self.root = git_dir / "patchbay" / "journal"
        self.workdir_key = self.workdir.relative_to(self.anchor).as_posix()
        if self.workdir_key == ".":
            self.workdir_key = ""

    def base_of(self, entry: JournalEntry) -> Path:
        """The workdir an entry's paths are relative to."""
        return self.anchor / entry.workdir if entry.workdir else self.anchor

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise journal use between Patchbay processes; the kernel frees it if we are killed."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def begin(self, entry: JournalEntry, old_contents: dict[str, bytes]) -> None:
        """Durably store the old contents, then the entry itself in state `in_progress`."""
        folder = self.root / entry.id
        folder.mkdir(parents=True)
        fsync_folder(self.root)
        for name, data in old_contents.items():
            write_atomically(folder / name, data, mode=0o600)
        self.save(entry)

    def save(self, entry: JournalEntry) -> None:
        write_atomically(self.root / entry.id / ENTRY_FILE, entry.to_json(), mode=0o600)

    def old_bytes(self, entry: JournalEntry, record: FileRecord) -> bytes | None:
        if record.blob is None:
            return None
        return (self.root / entry.id / record.blob).read_bytes()

    def entries(self) -> list[JournalEntry]:
        """Every readable entry, oldest first."""
        found: list[JournalEntry] = []
        if not self.root.is_dir():
            return found
        for folder in self.root.iterdir():
            entry_file = folder / ENTRY_FILE
            if not folder.is_dir() or not entry_file.is_file():
                continue
            try:
                found.append(JournalEntry.from_json(entry_file.read_bytes()))
            except (ValueError, TypeError, KeyError):
                continue  # not ours or damaged by hand: leave it alone rather than guess
        found.sort(key=lambda entry: (entry.created_ns, entry.id))
        return found

    def remove_unfinished_folders(self) -> None:
        """Drop folders a killed apply left before its entry existed (no file was touched yet)."""
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if folder.is_dir() and not (folder / ENTRY_FILE).exists():
                shutil.rmtree(folder, ignore_errors=True)
            elif folder.is_dir():
                for leftover in folder.glob(f"*{TEMP_SUFFIX}"):
                    leftover.unlink(missing_ok=True)

    def prune(self, keep: int = KEEP_ENTRIES) -> None:
        """Keep the newest `keep` finished entries; never touch one still in progress."""
        finished = [entry for entry in self.entries() if entry.state != IN_PROGRESS]
        for entry in finished[: max(0, len(finished) - keep)]:
            shutil.rmtree(self.root / entry.id, ignore_errors=True)


def find_git_dir(start: Path) -> tuple[Path, Path] | None:
    """(work tree top, git dir) for the repository holding `start`, found the way git does it."""
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return folder, dot_git
        if dot_git.is_file():
            # Worktrees and submodules: `.git` is a file saying `gitdir: <path>`.
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                git_dir = Path(text[len("gitdir:") :].strip())
                if not git_dir.is_absolute():
                    git_dir = folder / git_dir
                return folder, Path(os.path.realpath(git_dir))
    return None
