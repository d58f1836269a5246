"""Ctrl-C and SIGTERM during a real `patchbay apply` process: the write phase finishes, then the
command exits 130 or 143; a signal before it writes nothing. Never a half-applied tree.

The journal's test seam stops the child at a chosen step of the apply (it waits for a line on
stdin), so each signal lands exactly there; no sleep stands in for that.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui.workspace.journal import PAUSE_ENV, recover_interrupted
from tui.workspace.journal_store import Journal

BEFORE = {
    "a.py": "".join(f"alpha_{n} = {n}\n" for n in range(30)),
    "b.py": "".join(f"beta_{n} = {n}\n" for n in range(30)),
    "gone.txt": "remove me\n",
}
ANSWER = """Here is the change.

```diff
--- a/a.py
+++ b/a.py
@@ -3,3 +3,3 @@
 alpha_2 = 2
-alpha_3 = 3
+alpha_3 = 333
 alpha_4 = 4
--- a/b.py
+++ b/b.py
@@ -10,3 +10,3 @@
 beta_9 = 9
-beta_10 = 10
+beta_10 = 1010
 beta_11 = 11
--- /dev/null
+++ b/pkg/new.py
@@ -0,0 +1,2 @@
+NEW = True
+OTHER = False
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-remove me
```
"""
AFTER = {
    "a.py": BEFORE["a.py"].replace("alpha_3 = 3\n", "alpha_3 = 333\n"),
    "b.py": BEFORE["b.py"].replace("beta_10 = 10\n", "beta_10 = 1010\n"),
    "pkg/new.py": "NEW = True\nOTHER = False\n",
}


def make_tree(root: Path) -> None:
    for rel, text in BEFORE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def tree_state(root: Path) -> dict[str, str]:
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [name for name in dirs if name not in (".patchbay", ".git")]
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = path.read_text()
    return found


def start(root: Path, answer: Path, pause: str | None) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop(PAUSE_ENV, None)
    if pause:
        env[PAUSE_ENV] = pause
    return subprocess.Popen(
        [sys.executable, "-m", "tui", "apply", "--workdir", str(root), str(answer)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture
def answer(tmp_path: Path) -> Path:
    path = tmp_path / "answer.md"
    path.write_text(ANSWER)
    return path


def steps(tmp_path: Path, answer: Path) -> list[str]:
    root = tmp_path / "trace"
    root.mkdir()
    make_tree(root)
    child = start(root, answer, "trace")
    _, err = child.communicate()
    assert child.returncode == 0, err
    assert tree_state(root) == AFTER
    return [line.split(" ", 3)[3] for line in err.splitlines() if line.startswith("patchbay-test: step ")]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_at_any_step_of_the_write_phase_waits_until_the_change_is_whole(
    tmp_path: Path, answer: Path, signum: int
) -> None:
    names = steps(tmp_path, answer)
    assert names[0] == "journal entry written" and names[-1] == "committed"
    assert sum(name.startswith("wrote ") for name in names) == 4
    for number, name in enumerate(names, start=1):
        root = tmp_path / f"{signum}-{number}"
        root.mkdir()
        make_tree(root)
        child = start(root, answer, str(number))
        assert child.stderr.readline().startswith(f"patchbay-test: paused at step {number} ")
        child.send_signal(signum)
        out, err = child.communicate("go\n")
        label = f"{signal.Signals(signum).name} at step {number} ({name})"
        assert child.returncode == 128 + signum, (label, err)
        assert tree_state(root) == AFTER, label
        assert "a.py: applied" in out, label
        assert f"stopped by {signal.Signals(signum).name} after the change was applied in full" in err, label
        assert "Traceback" not in err, label
        assert recover_interrupted(root) == [], label
        assert [entry.state for entry in Journal(root).entries()] == ["committed"], label


@pytest.mark.slow
def test_random_sigint_sigterm_and_sigkill_leave_the_tree_all_before_or_all_after(
    tmp_path: Path, answer: Path
) -> None:
    rng = random.Random(1717)
    durations = []
    for attempt in range(2):
        root = tmp_path / f"timing{attempt}"
        root.mkdir()
        make_tree(root)
        started = time.monotonic()
        start(root, answer, None).communicate()
        durations.append(time.monotonic() - started)
    window = 1.3 * max(durations)
    seen = {"before": 0, "after": 0}
    for iteration in range(45):
        root = tmp_path / f"run{iteration}"
        root.mkdir()
        make_tree(root)
        signum = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)[iteration % 3]
        child = start(root, answer, None)
        time.sleep(rng.uniform(0, window))  # a random moment to strike, not a wait for an event
        child.send_signal(signum)
        _, err = child.communicate()
        recover_interrupted(root)  # what the next command does first
        state = tree_state(root)
        # Python itself reports a Ctrl-C that lands while the interpreter is still importing.
        in_startup = err.rstrip().endswith("KeyboardInterrupt") and state == BEFORE
        assert "internal error" not in err and ("Traceback" not in err or in_startup), err
        # Caught before runpy is imported, Python exits 1 ("Could not import runpy module").
        expected = (0, 128 + signum, -signum, 1) if in_startup else (0, 128 + signum, -signum)
        assert child.returncode in expected, (child.returncode, err)
        assert state in (BEFORE, AFTER), f"mixed tree after {signal.Signals(signum).name} #{iteration}"
        seen["after" if state == AFTER else "before"] += 1
    assert seen["before"] >= 3 and seen["after"] >= 3, seen
