from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tui.errors import PatchbayError
from tui.workspace.commands import OUTPUT_CAP_CHARS, run_command, run_command_async

PY = sys.executable


def live_members(group: int) -> list[int]:
    """Processes (not zombies) still in process group `group`, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            members.append(int(stat.parent.name))
    return members


def group_of(output: str) -> int:
    return int(output.split("group=")[1].split()[0])


# Prints its own pid (= its process group, as the command's leader), then waits on children.
SPAWNS_GRANDCHILD = "echo group=$$; sleep 100 & sleep 100"


def test_streams_merged_output_and_reports_the_exit_code(tmp_path: Path) -> None:
    chunks: list[str] = []
    result = run_command(
        [
            PY,
            "-c",
            "import sys; print('out', flush=True); print('err', file=sys.stderr, flush=True); sys.exit(3)",
        ],
        tmp_path,
        on_output=chunks.append,
    )
    assert result.exit_code == 3
    assert not result.passed
    assert "out\n" in result.output and "err\n" in result.output
    assert "".join(chunks) == result.output
    assert result.error is None


def test_a_string_command_is_split_like_a_shell_but_not_run_by_one(tmp_path: Path) -> None:
    result = run_command(
        f"{PY} -c 'print(\"a b\"); import sys; print(sys.argv[1:])' '$HOME' ';' 'x y'", tmp_path
    )
    assert result.passed
    assert result.output == "a b\n['$HOME', ';', 'x y']\n"


def test_shell_mode_runs_the_line_as_written(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a\n")
    result = run_command("cat f.txt | tr a b && echo $PB_VALUE", tmp_path, shell=True, env={"PB_VALUE": "42"})
    assert result.output == "b\n42\n"


def test_env_adds_to_the_inherited_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PB_INHERITED", "yes")
    result = run_command(["sh", "-c", "echo $PB_INHERITED $PB_EXTRA"], tmp_path, env={"PB_EXTRA": "too"})
    assert result.output == "yes too\n"


def test_a_missing_command_is_a_result_with_a_sentence(tmp_path: Path) -> None:
    seen: list[str] = []
    result = run_command("no-such-command-patchbay --flag", tmp_path, on_output=seen.append)
    assert result.exit_code == 127
    assert result.error == "Command not found: no-such-command-patchbay."
    assert seen == ["Command not found: no-such-command-patchbay.\n"]
    assert not result.passed


def test_a_missing_folder_is_a_result_with_a_sentence(tmp_path: Path) -> None:
    result = run_command(["true"], tmp_path / "absent")
    assert result.exit_code == 127
    assert "does not exist" in result.error


def test_a_file_that_is_not_executable_is_a_result(tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    result = run_command([str(script)], tmp_path)
    # exec needs an x bit even for root, so this holds in CI containers too.
    assert result.exit_code == 126
    assert "permission denied" in result.error


def test_unbalanced_quotes_are_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(PatchbayError, match="cannot be split"):
        run_command("echo 'unclosed", tmp_path)
    with pytest.raises(PatchbayError, match="empty"):
        run_command("   ", tmp_path)


def test_shell_syntax_without_shell_is_refused_not_run_literally(tmp_path: Path) -> None:
    with pytest.raises(PatchbayError, match=r"uses shell syntax \(`;`\) but was not marked `shell: true`"):
        run_command("echo a; exit 3", tmp_path)
    assert run_command("echo a; exit 3", tmp_path, shell=True).exit_code == 3


def test_the_command_gets_no_stdin(tmp_path: Path) -> None:
    result = run_command(["cat"], tmp_path, timeout=30)
    assert result.passed
    assert result.output == ""


def test_timeout_ends_the_whole_process_group(tmp_path: Path) -> None:
    result = run_command(["sh", "-c", SPAWNS_GRANDCHILD], tmp_path, timeout=0.5)
    assert result.timed_out
    assert not result.passed
    assert "timeout" in result.output
    assert live_members(group_of(result.output)) == []


def test_children_that_ignore_sigterm_are_killed(tmp_path: Path) -> None:
    command = ["sh", "-c", "trap '' TERM; echo group=$$; sleep 100 & sleep 100"]
    result = run_command(command, tmp_path, timeout=0.5, kill_grace=0.3)
    assert result.timed_out
    assert result.exit_code < 0  # killed by a signal
    assert live_members(group_of(result.output)) == []


def test_cancel_ends_the_whole_process_group(tmp_path: Path) -> None:
    cancel = threading.Event()

    def on_output(text: str) -> None:
        if "group=" in text:
            cancel.set()  # cancel as soon as the command is visibly running

    result = run_command(["sh", "-c", SPAWNS_GRANDCHILD], tmp_path, on_output=on_output, cancel_event=cancel)
    assert result.cancelled and not result.timed_out
    assert "cancelled" in result.output
    assert live_members(group_of(result.output)) == []


def test_background_processes_left_behind_do_not_hang_the_run(tmp_path: Path) -> None:
    result = run_command(["sh", "-c", "echo group=$$; sleep 100 & echo started"], tmp_path, timeout=60)
    assert result.exit_code == 0 and not result.timed_out
    assert result.output.endswith("started\n")
    assert live_members(group_of(result.output)) == []


# Forks a child that leaves the command's process group and session (setsid), keeps stdout open
# and waits for ever; prints the child's pid; then, unless told to wait too, the command exits 0.
DETACHES_A_CHILD = """
import os, signal, sys
read_end, write_end = os.pipe()
child = os.fork()
if child == 0:
    os.setsid()
    os.close(read_end)
    os.write(write_end, b"x")
    while True:
        signal.pause()
os.close(write_end)
os.read(read_end, 1)  # the child has left the session
print(f"leader={os.getpid()} detached={child}", flush=True)
if sys.argv[1:] == ["wait"]:
    signal.pause()
"""


def detached_pid(output: str) -> int:
    return int(output.split("detached=")[1].split()[0])


def is_running(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] != "Z"


def run_bounded(*args, **options):
    """run_command in a thread, bounded: a run that blocks fails the test instead of hanging it."""
    results: list = []
    worker = threading.Thread(target=lambda: results.append(run_command(*args, **options)), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():
        for line in Path("/proc").glob("[0-9]*/cmdline"):
            with contextlib.suppress(OSError):
                if b"signal.pause" in line.read_bytes():
                    os.kill(int(line.parent.name), signal.SIGKILL)
        worker.join(5)
        pytest.fail("run_command was still blocked after 30 s")
    return results[0]


def test_a_detached_child_holding_the_output_is_ended_after_the_command_exits(tmp_path: Path) -> None:
    result = run_bounded([PY, "-c", DETACHES_A_CHILD], tmp_path, kill_grace=0.3)
    assert result.exit_code == 0 and result.passed
    assert not is_running(detached_pid(result.output))


def test_cancel_ends_a_detached_child_that_holds_the_output(tmp_path: Path) -> None:
    cancel = threading.Event()

    def on_output(text: str) -> None:
        if "detached=" in text:
            cancel.set()

    result = run_bounded(
        [PY, "-c", DETACHES_A_CHILD, "wait"],
        tmp_path,
        on_output=on_output,
        cancel_event=cancel,
        kill_grace=0.3,
    )
    assert result.cancelled and result.exit_code < 0
    assert not is_running(detached_pid(result.output))


def test_ctrl_c_in_the_caller_ends_the_command_and_its_detached_child(tmp_path: Path) -> None:
    """A real SIGINT to a real process blocked in run_command (as `patchbay run` is on a script)."""
    caller = (
        "import sys; from pathlib import Path; from tui.workspace.commands import run_command\n"
        "run_command([sys.executable, '-c', sys.argv[1], 'wait'], Path('.'),"
        " on_output=lambda text: print(text, end='', flush=True), kill_grace=0.3)\n"
    )
    process = subprocess.Popen(
        [PY, "-c", caller, DETACHES_A_CHILD],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    leader, child = int(line.split("leader=")[1].split()[0]), detached_pid(line)
    try:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        assert "KeyboardInterrupt" in err
        assert not is_running(leader) and not is_running(child)
    finally:
        for pid in (leader, child):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_output_keeps_the_last_megabyte_with_a_note(tmp_path: Path) -> None:
    chunks: list[str] = []
    code = "import sys; sys.stdout.write('x' * 3_000_000 + 'THE END')"
    result = run_command([PY, "-c", code], tmp_path, on_output=chunks.append)
    assert result.passed
    assert result.output.endswith("x" * 100 + "THE END")
    assert result.output.startswith("[patchbay: 2,000,007 earlier characters of output were dropped]\n")
    assert len(result.output) < OUTPUT_CAP_CHARS + 100
    assert sum(len(chunk) for chunk in chunks) == 3_000_007  # the stream itself is complete


def test_undecodable_output_is_replaced_not_fatal(tmp_path: Path) -> None:
    result = run_command([PY, "-c", "import sys; sys.stdout.buffer.write(b'caf\\xe9 ok\\n')"], tmp_path)
    assert result.output == "caf\ufffd ok\n"


def test_a_failing_output_callback_is_raised_after_the_command_ends(tmp_path: Path) -> None:
    def broken(text: str) -> None:
        raise RuntimeError("widget gone")

    with pytest.raises(RuntimeError, match="widget gone"):
        run_command([PY, "-c", "print('x' * 200_000)"], tmp_path, on_output=broken, timeout=60)


async def test_async_variant_returns_the_result(tmp_path: Path) -> None:
    result = await run_command_async(["sh", "-c", "echo hi"], tmp_path)
    assert result.output == "hi\n"


async def test_cancelling_the_async_task_ends_the_process_group(tmp_path: Path) -> None:
    seen: list[str] = []
    started = threading.Event()

    def on_output(text: str) -> None:
        seen.append(text)
        started.set()

    task = asyncio.create_task(
        run_command_async(["sh", "-c", SPAWNS_GRANDCHILD], tmp_path, on_output=on_output)
    )
    await asyncio.to_thread(started.wait, 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert live_members(group_of("".join(seen))) == []


def test_the_reader_can_stop_while_a_writer_still_holds_the_pipe() -> None:
    from tui.workspace.commands import _OutputCollector

    read_end, write_end = os.pipe()
    seen = threading.Event()
    collector = _OutputCollector(lambda text: seen.set())
    reader = threading.Thread(target=collector.read_all, args=(os.fdopen(read_end, "rb"),), daemon=True)
    reader.start()
    try:
        os.write(write_end, b"partial")
        assert seen.wait(10)
        collector.stop()
        reader.join(10)
        assert not reader.is_alive()  # the write end is still open: only stop() ended the read
        assert collector.text() == "partial"
    finally:
        os.close(write_end)
