"""Where and how the undo journal lives on disk.

Each change is a folder `<journal>/<id>/` holding `entry.json` (what was changed, hashes, modes and a
state) and one `old-<n>` file per earlier file content. `entry.json` is only ever replaced
atomically, so its `state` is the single commit point: `in_progress` → `committed` (or
`rolled_back`, or `retired` when recovery found the tree had moved on and left it alone).
While in progress, `staged` says whether the new contents sit in temporary files beside their
targets (their inode and mtime recorded), the last step before they are renamed into place. In a git repository the journal sits in `<git dir>/patchbay/journal/`, where
`git status` never sees it; elsewhere in `<workdir>/.patchbay/journal/`.
"""

from __future__ import annotations

import contextlib
import dataclasses
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
COMMIT_FILE = "commit.json"  # the entry as it will read once committed, written before any rename
TEMP_SUFFIX = ".patchbay-tmp"  # the suffix write_atomically gives its temporary files
KEEP_ENTRIES = 50
FORMAT_VERSION = 2

IN_PROGRESS = "in_progress"
COMMITTED = "committed"
ROLLED_BACK = "rolled_back"
RETIRED = "retired"


@dataclass
class FileRecord:
    """One file of a change; `path` is POSIX, relative to the change's workdir, symlinks resolved."""

    path: str
    old_sha: str | None  # None: the file did not exist before
    new_sha: str | None  # None: the change deletes the file
    old_mode: int | None
    new_mode: int | None
    blob: str | None  # name of the file holding the old bytes, None when there were none
    temp: str | None = None  # the staged new content's temporary file, relative to the workdir
    stamp: list[int] | None = None  # [inode, mtime_ns] of the staged file: proof a file is ours


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
    head: str | None = None  # git HEAD (ref and commit) when the change began; a commit moves it
    staged: bool = False  # every new content is in its temporary file; renames may have begun
    note: str = ""  # what recovery did, as told to the user

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> JournalEntry:
        raw = json.loads(data)
        raw["files"] = [FileRecord(**item) for item in raw["files"]]
        raw.setdefault("version", 1)  # entries written before the version field existed
        return cls(**raw)


class JournalUnavailable(PatchbayError):
    """The journal cannot be written (read-only .git, disk full ...); nothing was changed."""


class Journal:
    """The journal folder that serves `workdir`, shared by every workdir under the same anchor."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(os.path.realpath(workdir))
        if not self.workdir.is_dir():
            raise PatchbayError(f"The working tree {workdir} is not a folder.")
        found = find_git_dir(self.workdir)
        self.git_dir: Path | None = None
        if found is None:
            self.anchor = self.workdir
            self.root = self.workdir / ".patchbay" / "journal"
        else:
            self.anchor, self.git_dir = found
            self.root = self.git_dir / "patchbay" / "journal"
        self.workdir_key = self.workdir.relative_to(self.anchor).as_posix()
        if self.workdir_key == ".":
            self.workdir_key = ""

    def base_of(self, entry: JournalEntry) -> Path:
        """The workdir an entry's paths are relative to."""
        return self.anchor / entry.workdir if entry.workdir else self.anchor

    def head_state(self) -> str | None:
        """The checked-out ref and its commit, read the way git stores them; None outside git."""
        return None if self.git_dir is None else read_head(self.git_dir)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise journal use between Patchbay processes; the kernel frees it if we are killed."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = open(self.root / ".lock", "a+b")  # noqa: SIM115 - closed below
        except OSError as error:
            raise JournalUnavailable(
                f"The undo journal in {self.root} cannot be written ({error.strerror}); nothing was changed."
            ) from None
        with handle:
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

    def discard(self, entry: JournalEntry) -> None:
        """Forget an entry whose change never touched the tree (its journal write failed)."""
        shutil.rmtree(self.root / entry.id, ignore_errors=True)

    def save(self, entry: JournalEntry) -> None:
        write_atomically(self.root / entry.id / ENTRY_FILE, entry.to_json(), mode=0o600)

    def prepare_commit(self, entry: JournalEntry) -> None:
        """Write the committed form of `entry` aside, so committing needs no disk space later."""
        committed = dataclasses.replace(entry, state=COMMITTED)
        write_atomically(self.root / entry.id / COMMIT_FILE, committed.to_json(), mode=0o600)

    def commit(self, entry: JournalEntry) -> None:
        """The commit point: a rename, which a full disk cannot refuse."""
        folder = self.root / entry.id
        os.replace(folder / COMMIT_FILE, folder / ENTRY_FILE)
        fsync_folder(folder)
        entry.state = COMMITTED

    def drop_prepared_commit(self, entry: JournalEntry) -> None:
        (self.root / entry.id / COMMIT_FILE).unlink(missing_ok=True)

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


def read_head(git_dir: Path) -> str | None:
    """`<ref> <commit>` (or the bare commit when detached) for the repository at `git_dir`."""
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head
    ref = head[len("ref:") :].strip()
    common = git_dir
    with contextlib.suppress(OSError):  # a worktree keeps its branches in the main git dir
        common = git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()
    for base in (git_dir, common):
        with contextlib.suppress(OSError):
            return f"{ref} {(base / ref).read_text(encoding='utf-8', errors='replace').strip()}"
    with contextlib.suppress(OSError):
        for line in (common / "packed-refs").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.endswith(" " + ref):
                return f"{ref} {line.split(' ', 1)[0]}"
    return f"{ref} (no commit yet)"


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
