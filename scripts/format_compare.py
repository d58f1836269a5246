"""Run the real-code corpus written in every edit format (tests/patch/format_corpus.py) through
Patchbay, and its SEARCH/REPLACE part through Aider's own applier, and print per format: good
answers applied exactly, bad answers refused, false applies and partial writes.

    .venv/bin/python scripts/format_compare.py [--good N] [--bad N] [--failures] [--no-aider]

Aider runs from its own virtual environment (--aider-venv, created and filled with `pip install
aider-chat` on first use; no model and no key: only its module-level SEARCH/REPLACE functions
are called, through scripts/aider_apply.py). When it cannot be installed, its row says so.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.patch.corpus_gen import Case
from tests.patch.format_corpus import FORMATS, build_format_corpus, classify, outcome, snapshot

HARNESS = Path(__file__).with_name("aider_apply.py")
COLUMNS = ("exact", "refused", "false_apply", "partial", "damaged")


def aider_python(venv: Path, timeout: float) -> tuple[Path | None, str]:
    """(python of a venv holding aider-chat, "") or (None, why not)."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import aider.coders.editblock_coder"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python, ""
    print(f"installing aider-chat into {venv} (once; up to {timeout:.0f} s) ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "aider-chat"],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, f"pip install aider-chat took longer than {timeout:.0f} s"
    except (subprocess.CalledProcessError, OSError) as error:
        return None, f"pip install aider-chat failed ({error})"
    if subprocess.run(check, capture_output=True).returncode != 0:
        return None, "aider-chat installed but its editblock_coder does not import"
    return python, ""


def run_aider(python: Path, cases: list[Case], work: Path) -> list[str]:
    jobs, befores = [], []
    for number, case in enumerate(cases):
        root = work / f"{number:04d}"
        case.materialize(root)
        befores.append(snapshot(case, root))
        fnames = sorted(case.files_to_modify or case.files)
        jobs.append({"tree": str(root / "tree"), "answer": case.answer, "fnames": fnames})
    job_file = work / "jobs.json"
    job_file.write_text(json.dumps(jobs))
    done = subprocess.run(
        [str(python), str(HARNESS), str(job_file)], capture_output=True, text=True, check=True
    )
    applied = json.loads(done.stdout)
    return [
        classify(case, before, snapshot(case, work / f"{number:04d}"), ok)
        for number, (case, before, ok) in enumerate(zip(cases, befores, applied, strict=True))
    ]


def row(name: str, cases: list[Case], results: list[str]) -> str:
    good = sum(case.good for case in cases)
    bad = len(cases) - good
    counts = Counter((case.good, result) for case, result in zip(cases, results, strict=True))
    exact = counts[(True, "exact")]
    refused = counts[(False, "refused")]
    false = counts[(False, "false_apply")]
    partial = counts[(True, "partial")] + counts[(False, "partial")]
    damaged = counts[(True, "damaged")]
    return (
        f"{name:<34} {exact:>4}/{good} ({exact / good:6.1%})  {refused:>3}/{bad}  "
        f"{false:>6}  {partial:>8}  {damaged:>8}"
    )


def compare(good: int, bad: int, failures: bool, aider: bool, venv: Path, timeout: float) -> int:
    print(
        f"{'format / applier':<34} {'good applied exactly':>20}  {'bad refused':>7}  false  partial  damaged"
    )
    wrong: list[str] = []
    for fmt in FORMATS:
        cases = build_format_corpus(fmt, good, bad)
        with tempfile.TemporaryDirectory() as tmp:
            results = [outcome(case, Path(tmp) / case.name) for case in cases]
        print(row(f"{fmt}: patchbay apply", cases, results))
        wrong += [
            f"patchbay {case.name} {r} {case.tags}"
            for case, r in zip(cases, results, strict=True)
            if _wrong(case, r)
        ]
        if fmt != "search_replace" or not aider:
            continue
        python, why = aider_python(venv, timeout)
        if python is None:
            print(f"{'search_replace: aider (editblock)':<34} unavailable: {why}")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            results = run_aider(python, cases, Path(tmp))
        print(row("search_replace: aider (editblock)", cases, results))
        wrong += [
            f"aider {case.name} {r} {case.tags}"
            for case, r in zip(cases, results, strict=True)
            if _wrong(case, r)
        ]
    print("\nexact: every file ends byte for byte as intended; bad refused: the tree is left as it was;")
    print("false: a bad answer changed files; partial: some blocks written, others not; damaged: a")
    print("good answer applied somewhere else or wrongly.")
    if failures:
        print("\n" + "\n".join(wrong))
    return 0


def _wrong(case: Case, result: str) -> bool:
    return result != "exact" if case.good else result != "refused"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--good", type=int, default=200)
    parser.add_argument("--bad", type=int, default=60)
    parser.add_argument("--failures", action="store_true", help="list the cases each applier got wrong")
    parser.add_argument("--no-aider", action="store_true", help="skip Aider's row")
    parser.add_argument(
        "--aider-venv", type=Path, default=Path(tempfile.gettempdir()) / "patchbay-aider-venv"
    )
    parser.add_argument("--install-timeout", type=float, default=900)
    args = parser.parse_args(argv)
    return compare(
        args.good, args.bad, args.failures, not args.no_aider, args.aider_venv, args.install_timeout
    )


if __name__ == "__main__":
    raise SystemExit(main())
