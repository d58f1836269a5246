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

from tui.workspace.journal import STEP_DELAY_ENV, applied_changes, recover_interrupted, undo
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


def start_child(root: Path, spec_file: Path, delay: float | None) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop(STEP_DELAY_ENV, None)
    if delay:
        env[STEP_DELAY_ENV] = str(delay)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(spec_file)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout.readline() == "ready\n"
    return child


@pytest.fixture
def expected(tmp_path: Path) -> tuple[dict, dict, Path]:
    """The tree before and after a complete apply, measured with a child left to finish."""
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(SPEC))
    reference = tmp_path / "reference"
    reference.mkdir()
    make_tree(reference)
    before = snapshot(reference)
    child = start_child(reference, spec_file, None)
    assert child.wait() == 0
    child.stdout.close()
    after = snapshot(reference)
    assert before != after
    return before, after, spec_file


def apply_duration(tmp_path: Path, spec_file: Path, delay: float | None) -> float:
    """How long a whole apply takes here, from the child's "ready" to its "done"."""
    root = tmp_path / f"timing-{delay}"
    root.mkdir(parents=True)
    make_tree(root)
    child = start_child(root, spec_file, delay)
    started = time.monotonic()
    assert child.stdout.readline() == "done\n"
    duration = time.monotonic() - started
    child.wait()
    child.stdout.close()
    return duration


@pytest.mark.slow
def test_a_kill_at_any_moment_leaves_the_tree_before_or_after_never_mixed(tmp_path: Path, expected) -> None:
    before, after, spec_file = expected
    rng = random.Random(20240601)
    # Kill anywhere from just after "ready" to a bit past the usual finish (fsync times vary).
    windows = {
        slow: 1.6
        * max(apply_duration(tmp_path / f"t{n}", spec_file, 0.004 if slow else None) for n in range(2))
        for slow in (True, False)
    }
    outcomes = {"before": 0, "after": 0, "rolled back mid-apply": 0, "files put back": 0}
    for iteration in range(60):
        root = tmp_path / f"run{iteration}"
        root.mkdir()
        make_tree(root)
        # Half the runs slow every step down so kills land between steps; half run at full
        # speed so they land inside writes and fsyncs.
        slow = iteration % 2 == 0
        child = start_child(root, spec_file, 0.004 if slow else None)
        time.sleep(rng.uniform(0, windows[slow]))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()

        outcomes["files put back"] += len(recover_interrupted(root))
        state = snapshot(root)
        journal = Journal(root)
        entries = journal.entries()
        assert all(entry.state != IN_PROGRESS for entry in entries), iteration
        folders = list(journal.root.iterdir()) if journal.root.exists() else []
        leftovers = [path for path in folders if path.is_dir() and not (path / "entry.json").exists()]
        assert leftovers == [], iteration
        if state == after:
            outcomes["after"] += 1
            assert [entry.state for entry in entries] == ["committed"], iteration
            undo(root)  # the journal of a finished apply is good enough to undo it exactly
            assert snapshot(root) == before, iteration
        else:
            assert state == before, f"mixed tree after kill #{iteration}: {sorted(set(state) ^ set(before))}"
            outcomes["before"] += 1
            assert applied_changes(root) == [], iteration
            assert all(entry.state == "rolled_back" for entry in entries), iteration
            outcomes["rolled back mid-apply"] += len(entries)
        assert recover_interrupted(root) == []  # a second start finds nothing to do
    # The random kills must really have hit both sides, or the test proved nothing.
    assert outcomes["before"] >= 5, outcomes
    assert outcomes["after"] >= 1, outcomes
    assert outcomes["rolled back mid-apply"] >= 5, outcomes
    assert outcomes["files put back"] >= 5, outcomes  # kills really landed between file writes
    print(outcomes, windows)
