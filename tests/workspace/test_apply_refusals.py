"""Targets and disks Patchbay must refuse with one sentence, a non-zero exit and nothing written:
names too long for a file system, folders it may not read, FIFOs, sockets and device files,
a full disk or a read-only .git while the undo journal is written."""

from __future__ import annotations

import errno
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tui.errors import PatchbayError
from tui.workspace import atomic
from tui.workspace.journal import FileWrite, apply_atomically, recover_interrupted
from tui.workspace.journal_store import IN_PROGRESS, Journal
from tui.workspace.paths import NotARegularFile, UnsafePathError

EDIT = "--- a/{0}\n+++ b/{0}\n@@ -1 +1 @@\n-old\n+new\n"
CREATE = "--- /dev/null\n+++ b/{0}\n@@ -0,0 +1 @@\n+new\n"


def patchbay(root: Path, answer_text: str, *, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    answer = root.parent / "answer.diff"
    answer.write_text(answer_text)
    return subprocess.run(
        [*prefix, sys.executable, "-m", "tui", "apply", "--workdir", str(root), str(answer)],
        capture_output=True,
        text=True,
        timeout=60,  # a FIFO that blocked would hang here; the limit turns that into a failure
        check=False,
    )


def files_in(root: Path) -> dict[str, bytes]:
    found = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [name for name in dirs if name not in (".patchbay", ".git")]
        for name in names:
            path = Path(folder) / name
            if stat.S_ISREG(path.lstat().st_mode):
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def one_sentence(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "tree"
    folder.mkdir()
    (folder / "a.txt").write_text("old\n")
    return folder


def test_a_file_name_over_255_bytes_is_one_sentence(root: Path) -> None:
    name = "n" * 300 + ".py"
    result = patchbay(root, EDIT.format(name))
    one_sentence(result)
    assert "has a name of 303 bytes; file systems allow at most 255" in result.stdout + result.stderr
    with pytest.raises(UnsafePathError, match="at most 255"):
        apply_atomically(root, [FileWrite(f"deep/{name}", b"x\n", None)])
    assert files_in(root) == {"a.txt": b"old\n"}


def test_a_name_near_the_limit_is_written_since_staging_uses_short_names(root: Path) -> None:
    name = "m" * 250
    apply_atomically(root, [FileWrite(name, b"x\n", None)])
    assert (root / name).read_bytes() == b"x\n"


def _without_read_override() -> tuple[str, ...] | None:
    """A command prefix under which folder permissions bind us (root ignores them otherwise)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    drop = "-dac_override,-dac_read_search"
    return (setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", "--")


def test_an_unreadable_folder_on_the_path_is_one_sentence(root: Path) -> None:
    prefix = _without_read_override()
    if prefix is None:
        pytest.skip("running as root without setpriv: folder permissions cannot bind")
    (root / "locked").mkdir()
    (root / "locked" / "b.txt").write_text("old\n")
    (root / "locked").chmod(0)
    try:
        for text in (EDIT.format("locked/b.txt"), CREATE.format("locked/new.txt")):
            result = patchbay(root, text, prefix=prefix)
            one_sentence(result)
            assert "locked/" in result.stdout + result.stderr
            assert "Permission denied" in result.stdout + result.stderr
    finally:
        (root / "locked").chmod(0o755)
    assert files_in(root) == {"a.txt": b"old\n", "locked/b.txt": b"old\n"}


def _special_files(root: Path) -> dict[str, str]:
    os.mkfifo(root / "pipe")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / "sock"))
    server.close()
    made = {"pipe": "a named pipe (FIFO)", "sock": "a socket"}
    try:
        os.mknod(root / "zero", 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # what /dev/zero is
        made["zero"] = "a device file"
    except OSError:
        pass  # mknod needs privileges; the FIFO and socket still cover "not a regular file"
    return made


def test_fifos_sockets_and_devices_are_refused_without_blocking_or_growing(root: Path) -> None:
    for name, kind in _special_files(root).items():
        for text in (EDIT.format(name), CREATE.format(name)):
            result = patchbay(root, text)
            one_sentence(result)
            assert f"{name} is {kind}, not a regular file" in result.stdout + result.stderr
        with pytest.raises(NotARegularFile):
            apply_atomically(root, [FileWrite(name, b"new\n", None)])
        assert not stat.S_ISREG((root / name).lstat().st_mode)
    assert files_in(root) == {"a.txt": b"old\n"}


def test_a_latin1_file_is_called_what_it_is_not_binary(root: Path) -> None:
    (root / "legacy.txt").write_bytes("first\ncaf\xe9\n".encode("latin-1"))
    result = patchbay(root, "--- a/legacy.txt\n+++ b/legacy.txt\n@@ -1 +1 @@\n-first\n+second\n")
    one_sentence(result)
    said = result.stdout + result.stderr
    assert "legacy.txt is not UTF-8: line 2 holds the byte 0xe9" in said and "Latin-1" in said
    assert "is a binary file" not in said


# -- a full disk or a read-only .git while the journal is written ---------------------------------

BEFORE = {"a.txt": b"old\n" * 200, "b.txt": b"bee\n" * 300}


def _change() -> list[FileWrite]:
    return [
        FileWrite("a.txt", b"new\n" * 250, BEFORE["a.txt"]),
        FileWrite("b.txt", None, BEFORE["b.txt"]),
        FileWrite("dir/c.txt", b"sea\n" * 100, None),
    ]


def _fresh(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for rel, data in BEFORE.items():
        (folder / rel).write_bytes(data)
    return folder


def _limit_writes(monkeypatch: pytest.MonkeyPatch, budget: int, code: int = errno.ENOSPC) -> None:
    """Every byte written to a file counts; past `budget` the disk is full (or read-only)."""
    real = atomic.write_all
    left = [budget]

    def write_all(fd: int, data: bytes) -> None:
        if len(data) > left[0]:
            raise OSError(code, os.strerror(code))
        left[0] -= len(data)
        real(fd, data)

    monkeypatch.setattr(atomic, "write_all", write_all)


def test_a_disk_full_at_any_level_during_the_apply_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    counting = _fresh(tmp_path / "count")
    used: list[int] = []
    real = atomic.write_all
    monkeypatch.setattr(atomic, "write_all", lambda fd, data: (used.append(len(data)), real(fd, data)))
    apply_atomically(counting, _change())
    total = sum(used)
    monkeypatch.undo()
    rng = random.Random(98)
    levels = sorted({0, total - 1, *(rng.randrange(total) for _ in range(40))})
    outcomes = set()
    for level in levels:
        root = _fresh(tmp_path / f"full{level}")
        with monkeypatch.context() as patch:
            _limit_writes(patch, level)
            with pytest.raises(PatchbayError) as refused:
                apply_atomically(root, _change())
        message = str(refused.value)
        assert "No space left on device" in message and message.endswith("nothing was changed."), message
        assert "\n" not in message
        outcomes.add(message.split(" (")[0])
        assert files_in(root) == BEFORE, level
        assert not (root / "dir").exists(), level
        assert [name for name in os.listdir(root) if name.endswith(".patchbay-tmp")] == [], level
        assert all(entry.state != IN_PROGRESS for entry in Journal(root).entries()), level
        assert recover_interrupted(root) == [], level
        apply_atomically(root, _change())  # with room again, the same change goes through
    # The levels hit the journal's own writes and the staged files alike.
    assert any("undo journal" in outcome for outcome in outcomes), outcomes
    assert any("a.txt" in outcome or "c.txt" in outcome for outcome in outcomes), outcomes


def test_a_read_only_journal_is_one_sentence_and_nothing_written(tmp_path: Path, monkeypatch) -> None:
    root = _fresh(tmp_path / "ro")
    _limit_writes(monkeypatch, 0, errno.EROFS)
    with pytest.raises(
        PatchbayError, match=r"undo journal in .* cannot be written \(Read-only file system\)"
    ):
        apply_atomically(root, _change())
    assert files_in(root) == BEFORE


def _mount(*args: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path):
    folder = tmp_path / "disk"
    folder.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_real_full_disk_at_random_levels_writes_nothing(small_disk: Path) -> None:
    rng = random.Random(256)
    refused = 0
    for attempt in range(12):
        root = _fresh(small_disk / f"t{attempt}")
        filler = small_disk / "filler"
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        filler.write_bytes(b"\0" * max(0, free - rng.randrange(0, 12 * 4096)))
        try:
            apply_atomically(root, _change())
        except PatchbayError as error:
            refused += 1
            assert str(error).endswith("nothing was changed."), error
            assert files_in(root) == BEFORE, attempt
            assert all(entry.state != IN_PROGRESS for entry in Journal(root).entries())
        else:
            assert (root / "dir/c.txt").exists()
        finally:
            filler.unlink()
            shutil.rmtree(root)
    assert refused >= 3, refused


def test_a_read_only_git_folder_is_one_sentence(tmp_path: Path, isolated_git: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "a.txt").write_text("old\n")
    git_dir = root / ".git"
    if not (_mount("--bind", str(git_dir), str(git_dir)) and _mount("-o", "remount,ro,bind", str(git_dir))):
        subprocess.run(["umount", str(git_dir)], capture_output=True, check=False)
        pytest.skip("cannot mount .git read-only here (needs root)")
    try:
        result = patchbay(root, EDIT.format("a.txt"))
    finally:
        subprocess.run(["umount", str(git_dir)], check=True)
    one_sentence(result)
    assert "cannot be written (Read-only file system); nothing was changed" in result.stderr
    assert (root / "a.txt").read_text() == "old\n"
