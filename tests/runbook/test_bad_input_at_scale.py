"""Hostile or runaway YAML is refused with one sentence naming the file and the limit, in bounded memory.

Each case runs `patchbay validate` and `patchbay reset` as processes limited to 1 GB of address
space, so a loader that expanded an alias bomb or kept a 100 MB file's nodes would fail here rather
than only be slow. (How fast they are is the benchmarks' business; the timeout only stops a hang.)
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tui.runbook import writer

ONE_GB = 1 << 30


def alias_bomb() -> str:
    lines = ['lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return (
        "\n".join(lines) + "\ntasks:\n  - id: a\n    name: A\n    type: MANUAL\n    last_run: {extra: *a9}\n"
    )


def hundred_megabytes(path: Path) -> None:
    entry = (
        "  - id: t{i}\n    name: Task {i}, padded out to make a very large runbook indeed\n    status: DONE\n"
    )
    with path.open("w", encoding="utf-8") as out:
        out.write("tasks:\n")
        written, number = 0, 0
        while written < 100_000_000:
            line = entry.format(i=number)
            out.write(line)
            written += len(line)
            number += 1


CASES = {
    "alias-bomb": (
        lambda path: path.write_text(alias_bomb()),
        "aliases expand to more than 1,000,000 values",
    ),
    "100-mb": (hundred_megabytes, "is 100.0 MB; Patchbay reads YAML files of at most 8 MB"),
    "nested-10000": (
        lambda path: path.write_text(
            "tasks:\n  - id: a\n    name: A\n    issues: " + "[" * 10_000 + "]" * 10_000
        ),
        "nested more than 1,000 levels deep",
    ),
    "10-mb-line": (
        lambda path: path.write_text("name: " + "x" * 10_000_000 + "\ntasks:\n  - {id: a, name: A}\n"),
        "is 10.0 MB; Patchbay reads YAML files of at most 8 MB",
    ),
    "too-many-tasks": (
        lambda path: path.write_text("tasks: [" + ", ".join(f"{{id: t{i}}}" for i in range(30_000)) + "]\n"),
        "has 30,000 tasks; Patchbay loads at most 25,000",
    ),
}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ONE_GB, ONE_GB))


@pytest.mark.parametrize("command", ["validate", "reset"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_at_scale_is_refused_in_one_sentence_within_a_gigabyte(tmp_path, case, command):
    make, sentence = CASES[case]
    folder = tmp_path / "rb"
    folder.mkdir()
    make(folder / "runbook.yaml")
    argv = [sys.executable, "-m", "tui", command, str(folder)] + (["a"] if command == "reset" else [])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, preexec_fn=_limited, check=False)
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 1, output[-2000:]
    assert "Traceback" not in output and "MemoryError" not in output
    first = output.splitlines()[0]
    assert "runbook.yaml" in first and sentence in first, first[:300]


def test_the_writer_refuses_a_file_that_grew_too_big_and_an_alias_bomb(tmp_path):
    big = tmp_path / "big.yaml"
    hundred_megabytes(big)
    with pytest.raises(
        writer.RunbookWriteError, match=r"is 100\.0 MB; Patchbay reads YAML files of at most 8 MB"
    ):
        writer.set_task_status(big, "t1", "READY")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    with pytest.raises(writer.RunbookWriteError, match="aliases expand to more than 1,000,000 values"):
        writer.set_task_status(bomb, "a", "READY")
    assert bomb.read_text() == alias_bomb()
