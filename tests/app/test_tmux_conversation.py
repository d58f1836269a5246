"""End to end in a real 120x40 terminal (tmux) with the INSTALLED `patchbay`, through the demo's
add_top_words: its first answer's docstring is wrong, so that block is rejected with a note (N),
`r` shows the focused follow-up and sends it, the follow-up's one block joins the same review, and
`enter` applies everything accepted across both attempts as one commit that lists the note."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import git
import pytest

from app.test_tmux_end_to_end import PATCHBAY, Tmux
from tui.cli import main
from tui.commands.demo import prepare_demo

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not PATCHBAY.exists(), reason="the console script is not installed"),
]

NOTE = "most common first, the first seen first on ties"


def flat(screen: str) -> str:
    """The screen's words on one line: the review title wraps its counts at 120 columns."""
    return " ".join(screen.split())


def test_a_note_and_a_focused_follow_up_fix_one_block_of_the_demo(tmp_path: Path):
    demo = prepare_demo(tmp_path / "demo")
    for task_id in ("add_type_hints", "add_median"):  # what add_top_words waits for, done headless
        assert main(["run", str(demo), "--auto", "--task", task_id, "--replay-rate", "0"]) == 0
    tmux = Tmux(f"patchbay-convo-{os.getpid()}")
    env = (
        f"env -u COLUMNS -u LINES XDG_CONFIG_HOME={tmp_path / 'config'} TERM=xterm-256color "
        "COLORTERM=truecolor LANG=C.UTF-8 TEXTUAL_ANIMATIONS=none"
    )
    tmux(
        "new-session",
        "-d",
        "-s",
        "pb",
        "-x",
        "120",
        "-y",
        "40",
        f"{env} {PATCHBAY} {demo} --replay-rate 0; sleep 5",
    )
    try:
        tmux.wait_for(lambda s: "Add top_words()" in s and "Run" in s, "the main screen")
        tmux("send-keys", "-t", "pb", "/")
        tmux.wait_for(lambda s: "filter tasks" in s, "the filter box")
        tmux("send-keys", "-t", "pb", *"top_words")
        tmux.wait_for(lambda s: "add_top_words · READY" in s, "the filtered task")
        tmux("send-keys", "-t", "pb", "Escape")
        tmux.wait_for(lambda s: "Phase 0" in s and "add_top_words · READY" in s, "the tree")
        tmux("send-keys", "-t", "pb", "r")
        tmux.wait_for(lambda s: "Accept all" in s and "4 undecided" in flat(s), "the review screen")
        tmux("send-keys", "-t", "pb", "y")
        tmux.wait_for(lambda s: "block 2 of 4" in s and "alphabetical" in s, "the wrong block")
        tmux("send-keys", "-t", "pb", "N")
        tmux.wait_for(lambda s: "Why is textkit/stats.py#2 rejected?" in s, "the note's input")
        tmux("send-keys", "-t", "pb", "-l", NOTE)
        tmux("send-keys", "-t", "pb", "Enter")
        # As a person would: go on once the input has closed.
        tmux.wait_for(
            lambda s: "Why is" not in s and "1 accepted · 1 rejected · 2 undecided" in flat(s),
            "the rejection, with its note",
        )
        tmux("send-keys", "-t", "pb", "y", "y")
        tmux.wait_for(lambda s: "3 accepted · 1 rejected · 0 undecided" in flat(s), "the tests accepted")
        tmux("send-keys", "-t", "pb", "r")
        screen = tmux.wait_for(lambda s: "Follow-up: only what was rejected" in s, "the follow-up prompt")
        assert "/ 2,000 tokens" in screen, screen
        tmux("send-keys", "-t", "pb", "Enter")
        screen = tmux.wait_for(lambda s: "Attempt 2 of this hunk" in flat(s), "the merged review")
        assert "3 accepted · 0 rejected · 1 undecided" in flat(screen), screen
        tmux("send-keys", "-t", "pb", "y")
        tmux.wait_for(lambda s: "4 accepted · 0 rejected · 0 undecided" in flat(s), "everything accepted")
        tmux("send-keys", "-t", "pb", "Enter")
        tmux.wait_for(lambda s: "is DONE" in s, "validation passed and the commit")
        tmux("send-keys", "-t", "pb", "q")
    finally:
        tmux("kill-server")
    head = git.Repo(demo / "project").head.commit
    assert head.summary == "feat(add_top_words): Add top_words() (answered in SEARCH/REPLACE blocks)"
    assert "Review notes:\n- textkit/stats.py" in head.message and NOTE in head.message
    stats = (demo / "project/textkit/stats.py").read_text()
    assert "most common first (the first seen first on ties)" in stats and "alphabetical" not in stats
