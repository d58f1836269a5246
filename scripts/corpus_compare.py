"""Run the patch corpus (tests/patch/corpus_gen.py) through `patchbay apply`, `git apply` and
GNU `patch --fuzz=3` (whichever are installed) and print success and false-apply rates.

    .venv/bin/python scripts/corpus_compare.py [--good N] [--bad N] [--similar N] [--failures] [--formats]

--formats runs the same corpus written in every edit format instead (scripts/format_compare.py).

Every tool gets the same answer file (prose, fences and all, as the model wrote it) and the same
fresh tree. Good case: success when every file ends byte for byte as intended. Bad case: a false
apply when any file (in the tree or next to it) changed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.patch.corpus_gen import Case, build_corpus
from tui.cli import main as patchbay_main


def run_patchbay(case: Case, tree: Path, answer: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        patchbay_main(["apply", "--workdir", str(tree), str(answer)])


def run_git(case: Case, tree: Path, answer: Path) -> None:
    subprocess.run(
        ["git", "apply", f"-p{case.strip}", "--recount", "--ignore-whitespace", str(answer)],
        cwd=tree,
        capture_output=True,
        check=False,
    )


def run_patch(case: Case, tree: Path, answer: Path) -> None:
    subprocess.run(
        [
            "patch",
            f"-p{case.strip}",
            "--fuzz=3",
            "--batch",
            "--forward",
            "--no-backup-if-mismatch",
            "-i",
            str(answer),
        ],
        cwd=tree,
        capture_output=True,
        check=False,
    )


TOOLS = {"patchbay apply": run_patchbay, "git apply": run_git, "patch --fuzz=3": run_patch}


def snapshot(case: Case, root: Path) -> dict[str, bytes | None]:
    tree, outside = root / "tree", root / "outside"
    state = {rel: (tree / rel).read_bytes() if (tree / rel).is_file() else None for rel in case.files}
    state.update({f"outside/{rel}": (outside / rel).read_bytes() for rel in case.outside})
    return state


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--good", type=int, default=200)
    parser.add_argument("--bad", type=int, default=60)
    parser.add_argument(
        "--similar",
        type=int,
        default=20,
        help="good and bad cases each about look-alike functions and re-applied insertions",
    )
    parser.add_argument("--failures", action="store_true", help="list the cases each tool got wrong")
    parser.add_argument("--formats", action="store_true", help="every edit format, and Aider's applier")
    args = parser.parse_args()
    if args.formats:
        from scripts.format_compare import main as compare_formats

        rest = ["--good", str(args.good), "--bad", str(args.bad)] + (["--failures"] if args.failures else [])
        return compare_formats(rest)
    tools = {
        name: run for name, run in TOOLS.items() if name == "patchbay apply" or shutil.which(name.split()[0])
    }
    cases = build_corpus(args.good, args.bad, similar=args.similar)
    results: dict[str, Counter] = {name: Counter() for name in tools}
    wrong: dict[str, list[str]] = {name: [] for name in tools}
    for case in cases:
        for name, run in tools.items():
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                case.materialize(root)
                answer = root / "answer.md"
                answer.write_bytes(case.answer.encode())
                before = snapshot(case, root)
                run(case, root / "tree", answer)
                after = snapshot(case, root)
            if case.good:
                ok = all(after.get(rel) == data for rel, data in case.expected.items())
                results[name]["good_ok" if ok else "good_missed"] += 1
                if not ok:
                    results[name]["good_wrong" if after != before else "good_refused"] += 1
                    wrong[name].append(f"{case.name} {','.join(case.tags)}")
            else:
                changed = after != before
                results[name]["bad_applied" if changed else "bad_refused"] += 1
                if changed:
                    wrong[name].append(f"{case.name} FALSE APPLY {','.join(case.tags)}")
    good = sum(case.good for case in cases)
    bad = len(cases) - good
    print(f"corpus: {good} good cases, {bad} bad cases (seeded, from real sources in the venv)\n")
    print(f"{'tool':<16} {'good applied exactly':>22} {'good damaged':>14} {'bad applied (false)':>21}")
    for name, counts in results.items():
        print(
            f"{name:<16} {counts['good_ok']:>4}/{good} ({counts['good_ok'] / good:6.1%}) "
            f"{counts['good_wrong']:>8}      {counts['bad_applied']:>6}/{bad} ({counts['bad_applied'] / bad:5.1%})"
        )
    missing = [name for name in TOOLS if name not in tools]
    if missing:
        print(f"\nnot installed here: {', '.join(missing)}")
    if args.failures:
        for name, items in wrong.items():
            print(f"\n{name}:")
            for item in items:
                print(f"  {item}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
