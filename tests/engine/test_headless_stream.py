"""`patchbay run` against a real misbehaving server on 127.0.0.1: the task ends ERROR with one
sentence and the partial answer kept, and a terminal never receives the model's escape sequences."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main
from tui.commands.demo import prepare_demo
from tui.runbook.loader import load_runbook

from .fake_openai_server import FakeOpenAIServer, content_event, sse

HOSTILE = "diff\x1b]52;c;cm0gLXJmIH4=\x07 \x1b[2Jhere\n"


@pytest.fixture
def server():
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def demo(tmp_path: Path, server) -> tuple[Path, Path]:
    folder = prepare_demo(tmp_path / "demo")
    config = tmp_path / "config.yaml"
    config.write_text(
        f"models:\n  fake:\n    backend: openai\n    base_url: {server.base_url}\n    model: m\n"
        "    generation_timeout: 2\n"
    )
    return folder, config


def run_args(demo: tuple[Path, Path]) -> list[str]:
    folder, config = demo
    return ["run", str(folder), "--task", "add_type_hints", "--config", str(config), "--model", "fake"]


def status_of(folder: Path, task_id: str = "add_type_hints") -> str:
    return next(t.status for t in load_runbook(folder).tasks if t.id == task_id)


def kept_answers(folder: Path) -> list[str]:
    return [p.read_text() for p in (folder / "outputs").glob("add_type_hints.attempt1.*.md")]


def test_deeply_nested_json_ends_the_task_in_error_with_the_partial_answer_kept(demo, server, capsys):
    server.script.chat.frames = sse([content_event("partial answer"), "data: " + "[" * 100_000 + "\n\n"])
    assert main(run_args(demo)) == 1
    err = capsys.readouterr().err
    assert "sent a stream line that is not JSON (nested too deeply to read)" in err
    assert "the partial answer is kept in" in err and "Traceback" not in err
    assert status_of(demo[0]) == "ERROR"
    assert kept_answers(demo[0]) == ["partial answer"]


def test_endless_keep_alive_pings_end_the_task_at_the_models_deadline(demo, server, capsys):
    server.script.chat.frames = sse([content_event("so far")])
    server.script.chat.endless = lambda _index: b": ping\n\n"
    server.script.chat.delay = 0.01
    assert main(run_args(demo)) == 1
    err = capsys.readouterr().err
    assert "the answer was stopped after 2 s, the model's generation deadline" in err
    assert status_of(demo[0]) == "ERROR"
    assert kept_answers(demo[0]) == ["so far"]


def test_autopilot_stops_a_server_that_ignores_max_new_tokens(demo, server, capsys):
    server.script.chat.endless = lambda index: sse([content_event(f"t{index} ")])[0]
    assert main([*run_args(demo), "--auto"]) == 1
    err = capsys.readouterr().err
    assert "kept sending past the 600-token limit it was given (max_new_tokens)" in err
    assert status_of(demo[0]) == "ERROR"
    assert kept_answers(demo[0])[0].split() == [f"t{i}" for i in range(600)]


def _run_on_a_terminal(args: list[str]) -> tuple[int, bytes]:
    """Run `python -m tui ARGS` with stdout and stderr on a pseudo-terminal; (exit code, bytes shown)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *args], stdout=terminal, stderr=terminal, stdin=subprocess.DEVNULL
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not data:
            break
        shown += data
    os.close(controller)
    return process.wait(timeout=60), shown


def test_a_terminal_gets_the_answer_without_escape_sequences_and_the_file_keeps_them(demo, server):
    server.script.chat.frames = [
        *sse(
            [
                content_event("diff\x1b]52;c;cm0g"),
                content_event("LXJmIH4=\x07 \x1b[2"),
                content_event("Jhere\n", "stop"),
            ]
        ),
        b"data: [DONE]\n\n",
    ]
    code, shown = _run_on_a_terminal(run_args(demo))
    assert code == 0, shown
    assert b"diff here" in shown
    assert b"\x1b" not in shown and b"\x07" not in shown
    assert kept_answers(demo[0]) == [HOSTILE]


def test_a_pipe_gets_the_exact_answer(demo, server):
    server.script.chat.frames = [*sse([content_event(HOSTILE, "stop")]), b"data: [DONE]\n\n"]
    result = subprocess.run([sys.executable, "-m", "tui", *run_args(demo)], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert HOSTILE.encode() in result.stdout
