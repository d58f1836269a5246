"""`patchbay RUNBOOK` up to its first frame, on a real pseudo-terminal as bench/startup.py starts it.

The runner, the runbook models (pydantic), templates (jinja2), git, the diff engine, pygments and
markdown-it cost more to import than the whole first frame; they load after it (issue 18). So do
the tree widget, the prompt pane and the run panels: the first frame shows the runbook's skeleton
as text, and the rest is mounted right after it. A big runbook's syntax is checked by the load
after the first frame, with the same one sentence.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

PROBE = """
import sys
from pathlib import Path
from tui.app.app import PatchbayApp

def on_ready(app):
    Path(sys.argv[2]).write_text("\\n".join(sorted(sys.modules)))
    frame = [strip.text for strip in app.screen._compositor.render_strips()]
    Path(sys.argv[2] + ".frame").write_text("\\n".join(frame))
    app.exit()

PatchbayApp.on_ready = on_ready
from tui.cli import main
raise SystemExit(main([sys.argv[1]]))
"""
DEFERRED = (
    "tui.runner",
    "tui.session",
    "tui.parallel",
    "tui.runbook.models",
    "tui.patch",
    "tui.engine",
    "tui.prompts",
    "tui.workspace",
    "pydantic",
    "jinja2",
    "git",
    "httpx",
    "pygments",
    "markdown_it",
    # the widgets mounted right after the first frame
    "tui.app.widgets.runbook_tree",
    "tui.app.widgets.prompt_pane",
    "tui.app.widgets.run_panel",
    "tui.app.widgets.batch_panel",
    "tui.app.widgets.background",
)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:  # EIO once the child has closed its side
        pass


def on_pty(command: list[str]) -> subprocess.CompletedProcess:
    """Run `command` on a 120×40 pseudo-terminal; its stderr is captured apart."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    reader = threading.Thread(target=_drain, args=(master,), daemon=True)
    reader.start()
    env = dict(os.environ, TERM="xterm-256color")
    try:
        return subprocess.run(
            command, stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=env, timeout=120, check=False
        )
    finally:
        os.close(slave)
        reader.join(timeout=5)
        os.close(master)


def modules_at_first_frame(runbook: Path, out: Path) -> set[str]:
    child = on_pty([sys.executable, "-c", PROBE, str(runbook), str(out)])
    assert out.exists(), f"the app showed no first frame (exit code {child.returncode})"
    return set(out.read_text().split())


def test_the_first_frame_comes_before_the_runner_models_templates_and_highlighters(demo, tmp_path):
    loaded = modules_at_first_frame(demo / "runbook.yaml", tmp_path / "modules.txt")
    assert "tui.app.screens.main" in loaded  # the probe did reach the first frame of the real app
    early = sorted(
        name for name in loaded if any(name == top or name.startswith(top + ".") for top in DEFERRED)
    )
    assert early == []


def test_the_first_frame_shows_the_runbook_skeleton_and_the_status(demo, tmp_path):
    modules_at_first_frame(demo / "runbook.yaml", tmp_path / "modules.txt")
    frame = (tmp_path / "modules.txt.frame").read_text().splitlines()
    assert len(frame) == 40
    assert frame[0].lstrip("▊ ").startswith("▼ ")  # the runbook's name, as the tree will show it
    assert any("loading" in line and "tasks…" in line for line in frame[1:3]), frame[:3]
    assert "loading the runbook…" in "\n".join(frame[-3:])  # the status line


def test_a_big_runbook_with_a_syntax_error_ends_with_its_file_and_line(tmp_path):
    from tui.app.launch import QUICK_CHECK_BYTES

    entries = "".join(f"  - id: t{i}\n    name: Task {i}\n    type: MANUAL\n" for i in range(12_000))
    text = "name: Big\ntasks:\n" + entries + "  - id: broken\n    name: [unclosed\n"
    assert len(text) > QUICK_CHECK_BYTES  # checked after the first frame, not before it
    (tmp_path / "runbook.yaml").write_text(text)
    child = on_pty([sys.executable, "-m", "tui", str(tmp_path)])
    last = child.stderr.decode("utf-8", "replace").rsplit("\x1b", 1)[-1].splitlines()[-1]
    assert child.returncode == 1
    line = text.count("\n") + 1
    assert f"runbook.yaml:{line}:" in last and "YAML" in last, last
