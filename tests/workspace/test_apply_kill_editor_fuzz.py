"""Random SIGINT, SIGTERM and SIGKILL of `patchbay apply` while an editor keeps saving in the tree.

Issue 17, "Done when": the change's files end all before or all after, and no save of the
editor's is lost — neither one to a file the change does not touch (saved throughout), nor one to
a file of the change made after the kill and before the next command recovers (the tree moved on,
so recovery must leave it). PATCHBAY_FUZZ_ROUNDS raises the number of runs (4 by default).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tui.workspace.journal import PAUSE_ENV, recover

ROUNDS = int(os.environ.get("PATCHBAY_FUZZ_ROUNDS", "4"))
BEFORE = {
    "a.py": "".join(f"alpha_{n} = {n}\n" for n in range(30)),
    "b.py": "".join(f"beta_{n} = {n}\n" for n in range(30)),
    "gone.txt": "remove me\n",
}
AFTER = {
    "a.py": BEFORE["a.py"].replace("alpha_3 = 3\n", "alpha_3 = 333\n"),
    "b.py": BEFORE["b.py"].replace("beta_10 = 10\n", "beta_10 = 1010\n"),
    "pkg/new.py": "NEW = True\n",
}
ANSWER = """```diff
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
@@ -0,0 +1 @@
+NEW = True
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-remove me
```
"""
NOTES = "notes.txt"  # the editor's file: the change never touches it


def change_files(root: Path) -> dict[str, str]:
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [name for name in dirs if name != ".patchbay"]
        for name in files:
            rel = (Path(folder) / name).relative_to(root).as_posix()
            if rel != NOTES:
                found[rel] = (Path(folder) / name).read_text()
    return found


def save(path: Path, text: str, in_place: bool) -> None:
    if in_place:
        path.write_text(text)
        return
    fresh = path.with_name(f".{path.name}.editor-tmp")
    fresh.write_text(text)
    os.replace(fresh, path)


def apply_once(root: Path, answer: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tui", "apply", "--workdir", str(root), str(answer)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_random_signals_during_apply_with_an_editor_saving_lose_no_edit_and_never_mix_the_tree(tmp_path):
    answer = tmp_path / "answer.md"
    answer.write_text(ANSWER)
    rng = random.Random(int(os.environ.get("PATCHBAY_FUZZ_SEED", "1717")))
    timing = tmp_path / "timing"
    timing.mkdir()
    for rel, text in BEFORE.items():
        (timing / rel).write_text(text)
    started = time.monotonic()
    assert apply_once(timing, answer).wait(timeout=60) == 0
    window = 1.3 * (time.monotonic() - started)
    outcomes = {"before": 0, "after": 0, "moved on": 0}
    for run in range(ROUNDS):
        root = tmp_path / f"run{run}"
        root.mkdir()
        for rel, text in BEFORE.items():
            (root / rel).write_text(text)
        (root / NOTES).write_text("")
        saved: list[str] = []
        stop = threading.Event()

        def edit(
            run: int = run, stop: threading.Event = stop, saved: list[str] = saved, notes: Path = root / NOTES
        ) -> None:
            pace = random.Random(run)
            while not stop.wait(pace.uniform(0.002, 0.01)):
                line = f"note {run}-{len(saved)}\n"
                save(notes, notes.read_text() + line, in_place=pace.random() < 0.5)
                saved.append(line)

        editor = threading.Thread(target=edit)
        editor.start()
        signum = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)[run % 3]
        child = apply_once(root, answer)
        time.sleep(rng.uniform(0, window))  # a random moment to strike, not a wait for an event
        child.send_signal(signum)
        _, err = child.communicate(timeout=60)
        moved_on = rng.random() < 0.4
        if moved_on:  # the user edits a file of the change before the next command recovers
            save(root / "a.py", (root / "a.py").read_text() + "users_line = 1\n", in_place=run % 2 == 0)
        reports = recover(root)
        stop.set()
        editor.join()

        label = f"{signal.Signals(signum).name} #{run}"
        assert "Traceback" not in err or err.rstrip().endswith("KeyboardInterrupt"), (label, err)
        notes = (root / NOTES).read_text()
        assert [line for line in saved if line not in notes] == [], label
        state = change_files(root)
        if moved_on:
            outcomes["moved on"] += 1
            assert state["a.py"].endswith("users_line = 1\n"), label  # recovery never reverts it
            assert state["a.py"][: -len("users_line = 1\n")] in (BEFORE["a.py"], AFTER["a.py"]), label
            assert all(not report.restored or "a.py" not in report.restored for report in reports), label
        else:
            assert state in (BEFORE, AFTER), f"mixed tree after {label}: {sorted(state)}"
            outcomes["after" if state == AFTER else "before"] += 1
    assert sum(outcomes.values()) == ROUNDS


def test_a_save_to_a_file_of_the_change_while_the_apply_writes_is_not_overwritten(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    for rel, text in BEFORE.items():
        (root / rel).write_text(text)
    answer = tmp_path / "answer.md"
    answer.write_text(ANSWER)
    child = subprocess.Popen(
        [sys.executable, "-m", "tui", "apply", "--workdir", str(root), str(answer)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, PAUSE_ENV: "1"},  # stops once the journal entry is written, before any rename
    )
    assert child.stderr is not None
    assert child.stderr.readline().startswith("patchbay-test: paused at step 1 ")
    save(root / "a.py", (root / "a.py").read_text() + "users_line = 1\n", in_place=False)
    child.communicate("go\n", timeout=60)
    # either the apply is refused and the save stays, or it lands on the save: never over it
    assert "users_line = 1\n" in (root / "a.py").read_text()
