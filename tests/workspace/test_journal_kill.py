"""Kill a real child process in the middle of a multi-file apply, many times, then recover.

After every kill the tree must be exactly as before or exactly as after (bytes, modes and
folders), never a mix, and the journal must agree with what the tree shows.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui.workspace.journal import PAUSE_ENV, applied_changes, recover_interrupted, undo
from tui.workspace.journal_store import IN_PROGRESS, Journal

CHILD = """
import json, sys
from pathlib import Path
from tui.workspace.journal import FileWrite, apply_atomically

workdir, spec = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
writes = [
    FileWrite(item["path"], None if item["new"] is None else item["new"].encode(),
              None if item["old"] is None else item["old"].encode())
    for item in spec
]
print("ready", flush=True)
apply_atomically(workdir, writes)
print("done", flush=True)
"""

BEFORE = {
    "a.py": "alpha = 1\n" * 50,
    "b.py": "beta = 2\n" * 50,
    "pkg/c.py": "gamma = 3\n",
    "gone.txt": "delete me\n",
}
SPEC = [
    {"path": "a.py", "old": BEFORE["a.py"], "new": "alpha = 10\n" * 60},
    {"path": "new/deeper/d.py", "old": None, "new": "delta = 4\n"},
    {"path": "b.py", "old": BEFORE["b.py"], "new": "beta = 20\n" * 40},
    {"path": "gone.txt", "old": BEFORE["gone.txt"], "new": None},
    {"path": "pkg/c.py", "old": BEFORE["pkg/c.py"], "new": "gamma = 30\n"},
    {"path": "new/e.py", "old": None, "new": "epsilon = 5\n"},
]


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    found: dict[str, tuple[bytes | None, int]] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [name for name in dirs if name != ".patchbay"]
        for name in dirs:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix() + "/"] = (None, path.stat().st_mode & 0o7777)
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = (path.read_bytes(), path.stat().st_mode & 0o7777)
    return found


def make_tree(root: Path) -> None:
    for rel, text in BEFORE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "a.py").chmod(0o755)


def start_child(root: Path, spec_file: Path, pause_at: str | None = None) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop(PAUSE_ENV, None)
    if pause_at:
        env[PAUSE_ENV] = pause_at
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(spec_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout.readline() == "ready\n"
    return child


def step_names(tmp_path: Path, spec_file: Path) -> list[str]:
    """The apply's steps, as the journal's test seam announces them."""
    root = tmp_path / "trace"
    root.mkdir()
    make_tree(root)
    child = start_child(root, spec_file, "trace")
    _, err = child.communicate()
    assert child.returncode == 0, err
    return [line.split(" ", 3)[3] for line in err.splitlines() if line.startswith("patchbay-test: step ")]


@pytest.fixture
def expected(tmp_path: Path) -> tuple[dict, dict, Path]:
    """The tree before and after a complete apply, measured with a child left to finish."""
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(SPEC))
    reference = tmp_path / "reference"
    reference.mkdir()
    make_tree(reference)
    before = snapshot(reference)
    child = start_child(reference, spec_file)
    child.communicate()
    assert child.returncode == 0
    after = snapshot(reference)
    assert before != after
    return before, after, spec_file


def check_recovered(root: Path, before: dict, after: dict, label: str) -> str:
    """Recover, then the tree must be all-before or all-after and the journal must agree."""
    recover_interrupted(root)
    state = snapshot(root)
    journal = Journal(root)
    entries = journal.entries()
    assert all(entry.state != IN_PROGRESS for entry in entries), label
    folders = list(journal.root.iterdir()) if journal.root.exists() else []
    assert [path for path in folders if path.is_dir() and not (path / "entry.json").exists()] == [], label
    assert recover_interrupted(root) == [], label  # a second start finds nothing to do
    if state == after:
        assert [entry.state for entry in entries] == ["committed"], label
        undo(root)  # the journal of a finished apply is good enough to undo it exactly
        assert snapshot(root) == before, label
        return "after"
    assert state == before, f"mixed tree ({label}): {sorted(set(state) ^ set(before))}"
    assert applied_changes(root) == [], label
    assert all(entry.state == "rolled_back" for entry in entries), label
    return "before"


def test_a_kill_at_every_step_of_an_apply_leaves_the_tree_before_or_after(tmp_path: Path, expected) -> None:
    before, after, spec_file = expected
    steps = step_names(tmp_path, spec_file)
    assert steps[0] == "journal entry written" and steps[-1] == "committed"
    assert sum(name.startswith("wrote ") for name in steps) == len(SPEC)
    outcomes = []
    for number, name in enumerate(steps, start=1):
        root = tmp_path / f"step{number}"
        root.mkdir()
        make_tree(root)
        child = start_child(root, spec_file, str(number))
        assert child.stderr.readline().startswith(f"patchbay-test: paused at step {number} "), name
        child.send_signal(signal.SIGKILL)
        child.communicate()
        outcomes.append(check_recovered(root, before, after, f"killed at step {number} ({name})"))
    # Killed before the commit mark: rolled back; after it: kept.
    assert outcomes == ["before"] * (len(steps) - 1) + ["after"]


def apply_duration(tmp_path: Path, spec_file: Path) -> float:
    """How long a whole apply takes here, from the child's "ready" to its "done"."""
    tmp_path.mkdir(parents=True)
    make_tree(tmp_path)
    child = start_child(tmp_path, spec_file)
    started = time.monotonic()
    assert child.stdout.readline() == "done\n"
    duration = time.monotonic() - started
    child.communicate()
    return duration


@pytest.mark.slow
def test_a_kill_at_any_moment_leaves_the_tree_before_or_after_never_mixed(tmp_path: Path, expected) -> None:
    before, after, spec_file = expected
    rng = random.Random(20240601)
    # Kill anywhere from just after "ready" to a bit past the usual finish (fsync times vary).
    window = 1.6 * max(apply_duration(tmp_path / f"t{n}", spec_file) for n in range(2))
    outcomes = {"before": 0, "after": 0}
    for iteration in range(60):
        root = tmp_path / f"run{iteration}"
        root.mkdir()
        make_tree(root)
        # Full speed, so kills land inside writes and fsyncs too (the test above covers each step).
        child = start_child(root, spec_file)
        time.sleep(rng.uniform(0, window))  # a random moment, not a wait for something
        child.send_signal(signal.SIGKILL)
        child.communicate()

        outcomes[check_recovered(root, before, after, f"kill #{iteration}")] += 1
    # The random kills must really have hit both sides, or the test proved nothing.
    assert outcomes["before"] >= 5, outcomes
    assert outcomes["after"] >= 1, outcomes
    print(outcomes, window)


RECOVER = """
import sys
from pathlib import Path
from tui.workspace.journal import recover

for report in recover(Path(sys.argv[1])):
    print(report.message, flush=True)
"""


def test_a_kill_during_recovery_is_finished_by_the_next_recovery(tmp_path: Path, expected) -> None:
    before, after, spec_file = expected
    names = step_names(tmp_path, spec_file)
    last_write = max(number for number, name in enumerate(names, start=1) if name.startswith("wrote "))
    put_back = len(SPEC)  # every file of the change holds the interrupted write
    for number in range(1, put_back + 1):
        root = tmp_path / f"recovery{number}"
        root.mkdir()
        make_tree(root)
        child = start_child(root, spec_file, str(last_write))
        assert child.stderr.readline().startswith(f"patchbay-test: paused at step {last_write} wrote ")
        child.kill()
        child.communicate()
        env = {**os.environ, PAUSE_ENV: str(number)}
        recovering = subprocess.Popen(
            [sys.executable, "-c", RECOVER, str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert recovering.stderr.readline().startswith(f"patchbay-test: paused at step {number} put back ")
        recovering.kill()
        recovering.communicate()
        assert snapshot(root) not in (before, after)  # really stopped half way through the roll back
        assert check_recovered(root, before, after, f"recovery killed at step {number}") == "before"
