"""A small runbook for review-as-a-conversation tests: a git project with one 30-line file, one AI
task answering in unified diffs, and a replay transcript whose answers the test chooses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

LINES = [f"value_{n} = {n}\n" for n in range(1, 31)]


def hunk(line: int, new: str, *, lines: list[str] = LINES) -> str:
    """A one-line change at 1-based `line`, 2 lines of context each side."""
    first = max(1, line - 2)
    last = min(len(lines), line + 2)
    body = [f" {lines[n - 1]}" for n in range(first, line)]
    body += [f"-{lines[line - 1]}", f"+{new}\n"]
    body += [f" {lines[n - 1]}" for n in range(line + 1, last + 1)]
    return f"@@ -{first},{last - first + 1} +{first},{last - first + 1} @@\n" + "".join(body)


def unplaceable_hunk() -> str:
    """A hunk whose context is nowhere in the file (its lines were written from memory)."""
    return "@@ -20,3 +20,3 @@\n value_19 = nineteen\n-value_20 = twenty\n+value_20 = 2000\n value_21 = twentyone\n"


def diff(*hunks: str, path: str = "values.py") -> str:
    return f"Here is the change.\n\n```diff\n--- a/{path}\n+++ b/{path}\n" + "".join(hunks) + "```\n"


def make_runbook(folder: Path, answers: list[dict], *, budget: int = 4000, fallback: bool = True) -> Path:
    """`answers`: replay entries ({attempt, text}) for the task `tune_values`."""
    project = folder / "project"
    project.mkdir(parents=True)
    (project / "values.py").write_text("".join(LINES))
    for command in (
        ["git", "init", "-q"],
        ["git", "config", "user.email", "test@example.com"],
        ["git", "config", "user.name", "Test"],
        ["git", "add", "."],
        ["git", "commit", "-q", "-m", "start"],
    ):
        subprocess.run(command, cwd=project, check=True)
    details = {
        "prompt_template": "unified_diff.j2",
        "context_files": [{"path": "values.py"}],
        "files_to_modify": ["values.py"],
        "output_parser": "unified_diff",
    }
    if fallback:
        details["fallback_prompt_template"] = "fix_failure.j2"
    runbook = {
        "name": "conversation",
        "workdir": "project",
        "defaults": {"model": "scripted", "context_budget": budget, "max_new_tokens": 512, "commit": True},
        "tasks": [
            {
                "id": "tune_values",
                "name": "Tune the values",
                "status": "READY",
                "type": "AI_ASSISTED",
                "description": "Multiply values 5, 15 and 25 by one hundred.",
                "ai_details": details,
            }
        ],
    }
    (folder / "runbook.yaml").write_text(yaml.safe_dump(runbook, sort_keys=False))
    (folder / "patchbay.yaml").write_text(
        yaml.safe_dump({"models": {"scripted": {"backend": "replay", "transcript": "replay.yaml"}}})
    )
    entries = [{"task": "tune_values", **answer} for answer in answers]
    (folder / "replay.yaml").write_text(yaml.safe_dump({"rate": 0, "answers": entries}, sort_keys=False))
    return folder


FIRST = diff(hunk(5, "value_5 = 500"), hunk(15, "value_15 = 15000"), hunk(25, "value_25 = 2500"))
FIX = diff(hunk(15, "value_15 = 1500"))
