"""End to end in a real 120x40 terminal (tmux), with the INSTALLED `patchbay demo`: a long line's
hidden end is readable on a wrapped continuation line, and `A` then `Enter` sent in one go (no
pause between them, as a fast typist does) both take effect."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import git
import pytest
import yaml

from app.test_tmux_end_to_end import PATCHBAY, Tmux

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not PATCHBAY.exists(), reason="the console script is not installed"),
]


def open_demo(tmp_path: Path, name: str) -> tuple[Tmux, Path]:
    target = tmp_path / "demo"
    tmux = Tmux(f"patchbay-{name}-{os.getpid()}")
    # COLUMNS/LINES (set when run under pytest) would pin the app to 80x24 inside a 120x40 pane.
    env = (
        f"env -u COLUMNS -u LINES XDG_CONFIG_HOME={tmp_path / 'config'} TERM=xterm-256color COLORTERM=truecolor "
        f"LANG=C.UTF-8 TEXTUAL_ANIMATIONS=none"
    )
    command = f"{env} {PATCHBAY} demo --dir {target} --replay-rate 0; sleep 5"
    tmux("new-session", "-d", "-s", "pb", "-x", "120", "-y", "40", command)
    tmux.wait_for(lambda s: "Add type hints to textkit.stats" in s and "tokens" in s, "the main screen")
    return tmux, target


def start_demo(tmp_path: Path, name: str) -> tuple[Tmux, Path]:
    """The demo on the review of add_type_hints."""
    tmux, target = open_demo(tmp_path, name)
    tmux("send-keys", "-t", "pb", "r")
    tmux.wait_for(lambda s: "Accept all" in s, "the review screen")
    return tmux, target


def test_a_wrapped_lines_hidden_end_is_on_screen(tmp_path):
    tmux, _target = start_demo(tmp_path, "wrap")
    try:
        screen = tmux.wait_for(lambda s: "too narrow" in s, "the unified view, saying why")
        tmux("send-keys", "-t", "pb", "s")  # side by side: about 40 columns a side at 120
        screen = tmux.wait_for(lambda s: "Unified" in s and "↪" in s, "side by side with wrapped lines")
        lines = screen.splitlines()
        start = next(n for n, line in enumerate(lines) if "return sum(len(word) for word" in line)
        # the end of `return sum(len(word) for word in words) / len(words)` is on the next line
        assert "↪" in lines[start + 1] and "len(words)" in lines[start + 1], screen
        tmux("send-keys", "-t", "pb", "w")  # wrapping off: the cut line says it continues
        screen = tmux.wait_for(lambda s: "↪" not in s and "›" in s, "cut lines marked")
        tmux("send-keys", "-t", "pb", "q")
    finally:
        tmux("kill-server")


def test_A_and_enter_sent_together_apply_and_commit(tmp_path):
    tmux, target = start_demo(tmp_path, "fast")
    try:
        tmux("send-keys", "-t", "pb", "A", "Enter")  # one write to the terminal: no pause
        runbook = target / "runbook.yaml"

        def done() -> bool:
            tasks = yaml.safe_load(runbook.read_text())["tasks"]
            return next(t for t in tasks if t["id"] == "add_type_hints")["status"] == "DONE"

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not done():
            time.sleep(0.1)
        assert done(), tmux.screen()
        tmux("send-keys", "-t", "pb", "q")
    finally:
        tmux("kill-server")
    assert "def word_count(text: str) -> int:" in (target / "project/textkit/stats.py").read_text()
    head = git.Repo(target / "project").head.commit
    assert head.summary == "feat(add_type_hints): Add type hints to textkit.stats"
    assert "Hunks-Applied: textkit/stats.py#1, textkit/stats.py#2, textkit/stats.py#3" in head.message


def test_clearing_the_filter_keeps_the_task_it_left_selected(tmp_path):
    """The escape rebuilds the tree twice before the cursor moves; the selection used to jump to
    the first task (setup_env)."""
    tmux, _target = open_demo(tmp_path, "filter")
    try:
        tmux("send-keys", "-t", "pb", "/")
        tmux.wait_for(lambda s: "filter tasks" in s, "the filter box")
        tmux("send-keys", "-t", "pb", *"longest")
        tmux.wait_for(lambda s: "Add a --longest flag to the CLI · add_cli_flag" in s, "the filtered task")
        tmux("send-keys", "-t", "pb", "Escape")
        screen = tmux.wait_for(lambda s: "Phase 0" in s and "filter tasks" not in s, "the whole tree")
        # A wrong cursor move lands within a refresh or two: watch the heading for a while.
        headings = []
        for _ in range(10):
            headings.append(tmux.screen().splitlines()[0])
            time.sleep(0.05)
        assert all("add_cli_flag" in heading for heading in headings), screen
        tmux("send-keys", "-t", "pb", "q")
    finally:
        tmux("kill-server")
