"""The first frame's picture of a runbook that is still loading: its name, "loading N tasks…" and
its top-level groups, drawn as plain text the way the tree draws them (one Static, so the first
frame needs neither the tree widget nor its styles). The tree replaces it right after that frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tui.plural import counted

if TYPE_CHECKING:
    from tui.app.skeleton import Skeleton

# A runbook with thousands of top-level groups: the first frame lists this many (a screen's worth).
MOST_GROUPS = 200


def skeleton_text(skeleton: Skeleton) -> Text:
    text = Text()
    text.append("▼ ", style="dim")
    text.append(skeleton.name, style="bold")
    rows = [Text(f"loading {counted(skeleton.tasks, 'task')}…", style="italic")]
    rows += [Text(group) for group in skeleton.groups[:MOST_GROUPS]]
    if len(skeleton.groups) > MOST_GROUPS:
        rows.append(Text(f"… {counted(len(skeleton.groups) - MOST_GROUPS, 'more group')}", style="italic"))
    for number, row in enumerate(rows, 1):
        text.append("\n")
        text.append("└─ " if number == len(rows) else "├─ ", style="dim")
        text.append_text(row)
    return text


class SkeletonView(Static):
    DEFAULT_CSS = """
    SkeletonView { height: 1fr; border-left: tall $panel; }
    """

    def show(self, skeleton: Skeleton) -> None:
        self.update(skeleton_text(skeleton))
