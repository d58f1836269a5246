"""apply-100-files and apply-vs-git: applying a pristine 100-file diff, in process and as a command.

The diff is what `git diff` prints for 100 Python files of 300 lines with 5 one-line edits each
(500 hunks), made in a temporary repository. Every run starts from a fresh copy of the files and
checks that the result is byte-for-byte the edited tree, so a fast wrong answer cannot pass.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.result import Measured

FILES = 100
LINES = 300
EDITS_PER_FILE = 5
RUNS = 5


@dataclass(frozen=True)
class DiffCase:
    base: Path  # the files before the change (no .git)
    patch: Path  # the diff, as git prints it
    expected: dict[str, bytes]  # relative path -> content after the change


def original_text(number: int, lines: int) -> str:
    return "".join(f"def f_{number}_{i}(x):  # line {i}\n    return x + {i}\n" for i in range(lines // 2))


def edited_text(text: str, edits: int) -> str:
    lines = text.splitlines(keepends=True)
    step = max(1, len(lines) // (edits + 1))
    for k in range(1, edits + 1):
        index = k * step | 1  # the odd lines hold the `return`s
        lines[index] = lines[index].replace("return x +", "return x * 2 +")
    return "".join(lines)


def build_case(folder: Path, files: int = FILES, lines: int = LINES, edits: int = EDITS_PER_FILE) -> DiffCase:
    repo = folder / "repo"
    originals: dict[str, str] = {}
    for number in range(files):
        rel = f"pkg/part_{number // 25}/module_{number:03d}.py"
        originals[rel] = original_text(number, lines)
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(originals[rel], encoding="utf-8")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@patchbay.invalid"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base", "--no-verify"], cwd=repo, check=True)
    expected = {}
    for rel, text in originals.items():
        new = edited_text(text, edits)
        (repo / rel).write_text(new, encoding="utf-8")
        expected[rel] = new.encode("utf-8")
    patch = folder / "change.patch"
    diff = subprocess.run([*git, "diff"], cwd=repo, check=True, capture_output=True).stdout
    patch.write_bytes(diff)
    base = folder / "base"
    for rel, text in originals.items():
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(text, encoding="utf-8")
    return DiffCase(base, patch, expected)


def fresh_copy(case: DiffCase, target: Path) -> Path:
    shutil.copytree(case.base, target)
    return target


def check_applied(case: DiffCase, workdir: Path) -> None:
    for rel, data in case.expected.items():
        if (workdir / rel).read_bytes() != data:
            raise AssertionError(f"{rel} is not what the diff makes of it")


def apply_in_process(case: DiffCase, workdir: Path) -> tuple[float, float]:
    """(seconds to parse and place every hunk, seconds to write every file through the journal)."""
    from tui.patch.apply_change import apply_change_set
    from tui.patch.extract import build_change_set

    answer = case.patch.read_text(encoding="utf-8")
    start = time.perf_counter()
    change_set = build_change_set(answer, workdir)
    placed = time.perf_counter()
    apply_change_set(workdir, change_set)
    written = time.perf_counter()
    return placed - start, written - placed


def apply_100_files(quick: bool) -> Measured:
    files, runs = (5, 1) if quick else (FILES, RUNS)
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-apply-") as folder:
        case = build_case(Path(folder), files=files)
        timings = []
        for run in range(runs):
            workdir = fresh_copy(case, Path(folder) / f"run{run}")
            timings.append(apply_in_process(case, workdir))
            check_applied(case, workdir)
    totals = [place + write for place, write in timings]
    median = statistics.median(totals)
    place, write = timings[totals.index(median)] if median in totals else timings[0]
    return Measured(
        median,
        f"{files} files, {files * EDITS_PER_FILE} hunks: parse and place {place:.3f} s + journaled "
        f"write {write:.3f} s (median of {runs})",
    )


def patchbay_command() -> list[str]:
    script = Path(sys.executable).with_name("patchbay")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui"]


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def apply_vs_git(quick: bool) -> Measured:
    files, runs = (5, 1) if quick else (FILES, RUNS)
    ours, gits = [], []
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-apply-") as folder:
        case = build_case(Path(folder), files=files)
        for run in range(runs):  # interleaved, so drift on a shared machine hits both alike
            workdir = fresh_copy(case, Path(folder) / f"ours{run}")
            ours.append(
                timed([*patchbay_command(), "apply", "--workdir", str(workdir), str(case.patch)], workdir)
            )
            check_applied(case, workdir)
            workdir = fresh_copy(case, Path(folder) / f"git{run}")
            gits.append(timed(["git", "apply", str(case.patch)], workdir))
            check_applied(case, workdir)
    mine, theirs = statistics.median(ours), statistics.median(gits)
    return Measured(
        mine / theirs,
        f"`patchbay apply` {mine:.3f} s vs `git apply` {theirs:.3f} s, {files} files (median of {runs})",
    )
