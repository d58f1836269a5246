"""Random SIGKILL and SIGINT of a process writing statuses while an editor keeps saving: no edit lost.

PATCHBAY_FUZZ_ROUNDS raises the number of killed writers (12 by default, a few seconds);
PATCHBAY_FUZZ_SEED picks another sequence of kills.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import yaml

TASKS = 30
ROUNDS = int(os.environ.get("PATCHBAY_FUZZ_ROUNDS", "12"))

WRITER = """
import random, sys
from pathlib import Path
from tui.runbook.writer import RunbookWriteError, set_task_status

path, rng = Path(sys.argv[1]), random.Random(int(sys.argv[2]))
written = 0
while True:
    try:
        set_task_status(path, f"t{rng.randrange(int(sys.argv[3]))}", rng.choice(["READY", "RUNNING", "DONE"]))
    except RunbookWriteError:
        continue  # the editor kept saving through all attempts; nothing was written
    written += 1
    if written == 1:
        print("writing", flush=True)  # the first write (and its recovery of leftovers) is done
        if sys.argv[4:] == ["once"]:
            break
"""


def save_from_an_editor(path: Path, text: str, in_place: bool) -> None:
    if in_place:  # truncate and write into whatever file is at the path (Patchbay's, for a moment)
        path.write_text(text, encoding="utf-8")
        return
    fresh = path.with_name(".editor-save.tmp")
    fresh.write_text(text, encoding="utf-8")
    os.replace(fresh, path)


def test_random_kills_during_status_writes_with_a_concurrent_editor_lose_no_edit(tmp_path):
    rng = random.Random(int(os.environ.get("PATCHBAY_FUZZ_SEED", "1702")))
    path = tmp_path / "runbook.yaml"
    path.write_text(
        "name: fuzz\ntasks:\n"
        + "".join(f"  - id: t{i}\n    name: Task {i}\n    status: PENDING\n" for i in range(TASKS)),
        encoding="utf-8",
    )
    saved: list[str] = []
    versions: list[str] = []  # every save's whole text, in order
    root = Path(__file__).resolve().parents[2]
    for round_number in range(ROUNDS):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(round_number), str(TASKS)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "writing"
        saves_before_kill = rng.randrange(2, 25)
        enough, stop = threading.Event(), threading.Event()

        def edit(
            round_number: int = round_number,
            saves_before_kill: int = saves_before_kill,
            enough: threading.Event = enough,
            stop: threading.Event = stop,
        ) -> None:
            made = 0
            pace = random.Random(round_number)
            # a busy script's pace (a hundred or more saves a second), not a hand on a keyboard
            while not stop.wait(pace.uniform(0.002, 0.01)):
                line = f"# edit {round_number}-{made}\n"
                text = path.read_text(encoding="utf-8") + line
                save_from_an_editor(path, text, in_place=pace.random() < 0.3)
                saved.append(line)
                versions.append(text)
                made += 1
                if made == saves_before_kill:
                    enough.set()

        editor = threading.Thread(target=edit)
        editor.start()
        assert enough.wait(60)
        process.send_signal(rng.choice([signal.SIGKILL, signal.SIGINT]))
        process.wait(timeout=60)
        process.stdout.close()
        process.stderr.close()
        stop.set()
        editor.join()
    # one more start: a writer killed mid-swap is recovered by the next one's first write
    subprocess.run(
        [sys.executable, "-c", WRITER, str(path), "99", str(TASKS), "once"],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=60,
    )
    text = path.read_text(encoding="utf-8")
    kept = [p.read_text(encoding="utf-8") for p in tmp_path.iterdir() if "patchbay-kept" in p.name]
    lost = [line for line in saved if line not in text and not any(line in version for version in kept)]
    assert lost == [], (len(saved), sorted(p.name for p in tmp_path.iterdir()))
    # A version is kept beside the file only when a later save superseded it: the editor read
    # Patchbay's version in the microseconds it was at the path and saved on top of it.
    assert all(version in versions[:-1] for version in kept)
    assert saved[-1] in text  # the newest save is in the file
    assert len(saved) > ROUNDS * 2
    assert [task["id"] for task in yaml.safe_load(text)["tasks"]] == [f"t{i}" for i in range(TASKS)]
