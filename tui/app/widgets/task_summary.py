"""What the prompt pane shows about a task, built from the runner's task by `tree_rows`.

Its own module so that the tree (on the first frame) can build it without importing the prompt
pane, which is mounted after the first frame."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskSummary:
    """What the pane shows about a task, built by the screen from the runner's task."""

    task_id: str
    name: str
    type: str
    status: str
    description: str = ""
    instructions: str = ""  # MANUAL: shown as Markdown
    command: str = ""  # AUTOMATED_SCRIPT: the command that runs
    review_points: tuple[str, ...] = ()
    blocked_by: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
