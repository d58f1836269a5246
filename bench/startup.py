"""startup-first-frame: starting `patchbay DEMO` to its first frame, against a minimal Textual app.

The demo is prepared first (copy and git init, not timed). Each run starts a fresh interpreter on
a pseudo-terminal of 120×40 with the ordinary Linux driver, so the figure includes interpreter
start, every import, reading the runbook's YAML, terminal set-up and the first frame's output.
bench/first_frame.py reports the moment of the first frame. The floor is a Textual app showing one
Static (bench/first_frame_floor.py), started the same way on the same pty, runs interleaved; the
figure is the ratio of the medians.
"""

from __future__ import annotations

import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from bench.result import Measured

RUNS = 15  # the machines are shared: a median of many interleaved runs, so one slow spell cannot decide it
COLUMNS, LINES = 120, 40


def _drain(fd: int) -> None:
    """Read the child's terminal output so it never blocks on a full pty buffer."""
    try:
        while os.read(fd, 65536):
            pass
    except OSError:  # EIO once the child has closed its side
        pass


def first_frame_seconds(runbook: Path, out: Path, env: dict[str, str], *, floor: bool = False) -> float:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    reader = threading.Thread(target=_drain, args=(master,), daemon=True)
    reader.start()
    out.unlink(missing_ok=True)
    if floor:
        command = [sys.executable, "-m", "bench.first_frame_floor", str(out)]
    else:
        command = [sys.executable, "-m", "bench.first_frame", str(runbook), str(out)]
    start = time.perf_counter()
    child = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=runbook.parent, start_new_session=True
    )
    os.close(slave)
    try:
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        reader.join(timeout=5)
        os.close(master)
    if not out.exists():
        raise RuntimeError(f"the app showed no first frame (exit code {child.returncode})")
    return float(out.read_text()) - start


def startup_first_frame(quick: bool) -> Measured:
    from tui.commands.demo import prepare_demo

    runs = 1 if quick else RUNS
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-startup-") as tmp:
        demo = prepare_demo(Path(tmp) / "demo")
        env = dict(os.environ)
        env.update(
            XDG_CONFIG_HOME=str(Path(tmp) / "config"),
            TERM="xterm-256color",
            COLORTERM="truecolor",
            PYTHONPATH=str(Path(__file__).resolve().parents[1]),
        )
        env.pop("NO_COLOR", None)
        env.pop("TEXTUAL", None)
        out = Path(tmp) / "first-frame"
        runbook = demo / "runbook.yaml"
        first_frame_seconds(runbook, out, env)  # warm the page cache and .pyc files
        first_frame_seconds(runbook, out, env, floor=True)
        times, floors = [], []
        for _ in range(runs):
            floors.append(first_frame_seconds(runbook, out, env, floor=True))
            times.append(first_frame_seconds(runbook, out, env))
    ours, floor = statistics.median(times), statistics.median(floors)
    return Measured(
        ours / floor,
        f"process start to the first frame on a {COLUMNS}×{LINES} pty: the demo {ours:.3f} s vs a one-Static "
        f"Textual app {floor:.3f} s (medians of {runs}; demo runs {', '.join(f'{t:.2f}' for t in times)} s)",
    )
