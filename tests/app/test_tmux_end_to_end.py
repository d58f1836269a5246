"""End to end: the INSTALLED `patchbay demo` in a real terminal (tmux), driven by keystrokes as a
person would: n, r, A, Enter; then the working tree, the YAML and the git commit are checked."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import git
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PATCHBAY = ROOT / ".venv" / "bin" / "patchbay"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not PATCHBAY.exists(), reason="the console script is not installed"),
]


class Tmux:
    """One private tmux server (its own socket) running one 120x40 session."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False)
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "pb")

    def wait_for(self, predicate, what: str, limit: float = 30.0) -> str:
        deadline = time.monotonic() + limit
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if predicate(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"waited for {what}; the screen shows:\n{text}")


def test_demo_in_tmux_runs_a_task_to_a_commit(tmp_path):
    target = tmp_path / "demo"
    tmux = Tmux(f"patchbay-test-{os.getpid()}")
    env = (
        f"env -u COLUMNS -u LINES XDG_CONFIG_HOME={tmp_path / 'config'} TERM=xterm-256color COLORTERM=truecolor "
        f"LANG=C.UTF-8 TEXTUAL_ANIMATIONS=none"
    )
    command = f"{env} {PATCHBAY} demo --dir {target} --replay-rate 0; sleep 5"
    tmux("new-session", "-d", "-s", "pb", "-x", "120", "-y", "40", command)
    try:
        tmux.wait_for(lambda s: "Add type hints to textkit.stats" in s and "tokens" in s, "the main screen")
        tmux("send-keys", "-t", "pb", "r")
        tmux.wait_for(lambda s: "Accept all" in s, "the review screen")
        tmux("send-keys", "-t", "pb", "A")
        # As a person would: press enter once the header shows every hunk accepted.
        tmux.wait_for(lambda s: "3 accepted" in s, "all hunks accepted")
        tmux("send-keys", "-t", "pb", "Enter")
        runbook = target / "runbook.yaml"

        def done() -> bool:
            tasks = yaml.safe_load(runbook.read_text())["tasks"]
            return next(t for t in tasks if t["id"] == "add_type_hints")["status"] == "DONE"

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not done():
            time.sleep(0.1)
        assert done(), tmux.screen()
        tmux.wait_for(lambda s: "DONE" in s or "✓" in s, "the task shown as done")
        tmux("send-keys", "-t", "pb", "q")
    finally:
        tmux("kill-server")
    assert "def word_count(text: str) -> int:" in (target / "project/textkit/stats.py").read_text()
    subjects = [c.summary for c in git.Repo(target / "project").iter_commits()]
    assert subjects[0] == "feat(add_type_hints): Add type hints to textkit.stats"
    details = yaml.safe_load((target / "tasks/add_type_hints.yaml").read_text())
    assert details["status"] == "DONE"
