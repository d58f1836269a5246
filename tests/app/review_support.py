"""Building review-screen tests: real files in a folder, a model answer placed by tui.patch, and a
small host app with Patchbay's shipped themes.

`StandInRun` stands in for tui.runner.TaskRun only until a Session can load a runbook here
(tui.runbook.loader is still being written); it applies through the real tui.patch / journal code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.app import App

from tui.app.screens.review import ReviewScreen
from tui.app.themes import FALLBACK_VARIABLES, load_themes
from tui.patch.apply_change import apply_change_set
from tui.patch.conversation import Conversation
from tui.patch.extract import build_change_set
from tui.patch.model import ChangeSet
from tui.resources import shipped
from tui.runner import Action


@dataclass
class Details:
    review_points: list[str] = field(default_factory=list)
    files_to_modify: list[str] = field(default_factory=list)


@dataclass
class Task:
    id: str
    name: str
    ai_details: Details


class StandInRun:
    """The part of TaskRun the review screen uses: task, task_id, change_set, phase, step,
    conversation, decisions, allowed(), apply()."""

    def __init__(
        self, workdir: Path, answer: str, *, files_to_modify: list[str] | None = None, points=()
    ) -> None:
        self.workdir = workdir
        self.task_id = "add_feature"
        self.task = Task(self.task_id, "Add the feature", Details(list(points), list(files_to_modify or [])))
        self.change_set: ChangeSet = build_change_set(answer, workdir, files_to_modify=files_to_modify)
        self.phase = "reviewing"
        self.step = None
        self.conversation = Conversation()
        self.decisions: dict[str, str] = {}
        self.applied_with: list[tuple[set[str], bool]] = []

    def allowed(self) -> frozenset[Action]:
        return frozenset({Action.REVIEW})  # notes and regenerating need a model: see TaskRun

    def apply(self, accepted: set[str] | None = None, *, confirm_outside: bool = False):
        self.applied_with.append((set(accepted or ()), confirm_outside))
        applied = apply_change_set(self.workdir, self.change_set, accepted, allow_outside=confirm_outside)
        self.phase = "applied"
        return applied


class ReviewHost(App):
    """Shows one ReviewScreen over a blank screen and records how it was dismissed."""

    pygments_style = "monokai"

    def __init__(self, run, *, theme: str = "patchbay-dark") -> None:
        super().__init__()
        for loaded in load_themes(shipped("themes")).values():
            self.register_theme(loaded.theme)
        self.theme = theme
        self.run_under_review = run
        self.outcomes: list[str | None] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(FALLBACK_VARIABLES)

    def on_mount(self) -> None:
        self.push_screen(ReviewScreen(self.run_under_review), self.outcomes.append)


def numbered_lines(count: int, word: str = "value") -> list[str]:
    return [f"{word}_{n} = {n}\n" for n in range(1, count + 1)]


def hunk(lines: list[str], line: int, new: str) -> str:
    """A one-line change at 1-based `line`, 2 lines of context each side (clipped at the edges)."""
    first = max(1, line - 2)
    last = min(len(lines), line + 2)
    body = [f" {lines[n - 1]}" for n in range(first, line)]
    body += [f"-{lines[line - 1]}", f"+{new}\n"]
    body += [f" {lines[n - 1]}" for n in range(line + 1, last + 1)]
    return f"@@ -{first},{last - first + 1} +{first},{last - first + 1} @@\n" + "".join(body)


def file_diff(path: str, hunks: list[str]) -> str:
    return f"```diff\n--- a/{path}\n+++ b/{path}\n" + "".join(hunks) + "```\n"
