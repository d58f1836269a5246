"""`python -m bench` (`make bench`): run every benchmark, each in its own process, one line each.

    python -m bench                      # every benchmark; exit 1 if a ratio is SHORT
    python -m bench stream-fps apply-vs-git
    python -m bench --quick              # tiny inputs: checks the harness, the figures mean nothing
    python -m bench --markdown           # also print the README's performance table
    python -m bench --write-readme       # and replace the table in README.md

Each benchmark gets a fresh interpreter so that imports, caches and garbage left by one cannot
speed up or slow down the next.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.catalog import BENCHMARKS, BY_NAME, Benchmark
from bench.result import Result, markdown_table

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 600
README_BEGIN = "<!-- bench:table:begin -->"
README_END = "<!-- bench:table:end -->"


def run_in_own_process(benchmark: Benchmark, quick: bool) -> Result:
    with tempfile.TemporaryDirectory(prefix="patchbay-bench-") as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, "-m", "bench.one", benchmark.name, "--json", str(out)]
        if quick:
            command.append("--quick")
        try:
            done = subprocess.run(
                command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
            )
            failure = None if done.returncode == 0 and out.exists() else _tail(done.stderr or done.stdout)
        except subprocess.TimeoutExpired:
            failure = f"no result within {TIMEOUT_SECONDS} s"
        if failure is not None:
            print(f"bench: {benchmark.name} failed: {failure}", file=sys.stderr)
            return Result(
                benchmark.name, None, benchmark.unit, benchmark.target, benchmark.decimals, "failed"
            )
        data = json.loads(out.read_text())
    return Result(
        benchmark.name, data["value"], benchmark.unit, benchmark.target, benchmark.decimals, data["detail"]
    )


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


def machine_caption() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} × {cpu}, "
        f"Python {platform.python_version()}, {platform.system()}; headless Textual, 120×40 unless noted."
    )


def write_readme(table: str, readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"{readme} has no {README_BEGIN} … {README_END} markers to put the table between")
    text = text[: start + len(README_BEGIN)] + "\n" + table + "\n" + text[end:]
    readme.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run Patchbay's benchmarks.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these (default: all)")
    parser.add_argument("--quick", action="store_true", help="tiny inputs: checks the harness only")
    parser.add_argument("--markdown", action="store_true", help="also print the README table")
    parser.add_argument("--write-readme", action="store_true", help="put the table into README.md")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    chosen = [BY_NAME[name] for name in args.names] if args.names else list(BENCHMARKS)
    results = []
    for benchmark in chosen:
        result = run_in_own_process(benchmark, args.quick)
        print(result.line(), flush=True)
        results.append(result)
    if args.markdown or args.write_readme:
        table = markdown_table(results, machine_caption())
        if args.markdown:
            print()
            print(table)
        if args.write_readme:
            write_readme(table, ROOT / "README.md")
    return 0 if all(result.ok for result in results if result.gates) else 1


if __name__ == "__main__":
    sys.exit(main())
