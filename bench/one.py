"""Run one benchmark in this process: `python -m bench.one NAME [--quick] [--json FILE]`.

Prints the benchmark's line; with --json, also writes {value, detail} for `python -m bench`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.catalog import BY_NAME
from bench.result import Result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.one")
    parser.add_argument("name", choices=sorted(BY_NAME))
    parser.add_argument("--quick", action="store_true", help="tiny inputs (checks the harness, not speed)")
    parser.add_argument("--json", metavar="FILE", help="also write the figure here")
    args = parser.parse_args(argv)
    benchmark = BY_NAME[args.name]
    measured = benchmark.function()(args.quick)
    result = Result(
        benchmark.name, measured.value, benchmark.unit, benchmark.target, benchmark.decimals, measured.detail
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"value": measured.value, "detail": measured.detail}))
    print(result.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
