"""Apply SEARCH/REPLACE answers with Aider's own module-level functions (run inside a virtual
environment holding aider-chat; no model, no key). Used by scripts/format_compare.py.

    python aider_apply.py JOBS.json

JOBS.json: [{"tree": DIR, "answer": TEXT, "fnames": [REL, ...]}, ...]. Each answer is applied
the way Aider's EditBlockCoder applies edits: every block that matches is written, each to the
file it names or, failing that, to any chat file it matches; blocks that match nothing are
skipped. Prints one JSON list: for each job, whether Aider reported every block applied.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from aider.coders.editblock_coder import DEFAULT_FENCE, do_replace, find_original_update_blocks


def apply(tree: Path, answer: str, fnames: list[str]) -> bool:
    try:
        edits = list(find_original_update_blocks(answer, DEFAULT_FENCE, fnames))
    except ValueError:
        return False  # Aider asks the model to fix its blocks; nothing is written
    all_ok = True
    for path, original, updated in edits:
        if path is None:  # a shell command block in Aider's format
            continue
        full = tree / path
        new = None
        if full.is_file():
            new = do_replace(full, full.read_text(), original, updated, DEFAULT_FENCE)
        elif not original.strip():
            new = do_replace(full, None, original, updated, DEFAULT_FENCE)
        if not new and original.strip():
            for other in fnames:
                candidate = tree / other
                if candidate.is_file():
                    new = do_replace(candidate, candidate.read_text(), original, updated, DEFAULT_FENCE)
                    if new:
                        full = candidate
                        break
        if new:
            full.parent.mkdir(parents=True, exist_ok=True)
            full.write_text(new)
        else:
            all_ok = False
    return all_ok


def main() -> int:
    jobs = json.loads(Path(sys.argv[1]).read_text())
    results = []
    for job in jobs:
        try:
            results.append(apply(Path(job["tree"]), job["answer"], job["fnames"]))
        except Exception:  # a crash in Aider's applier counts as a refusal here
            results.append(False)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
