"""What one line of the runbook tree shows: a task's row (status, type, name, what it waits for),
a group's reference, and a runbook's rows. Plain data the screen builds and the tree draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len

TaskKey = tuple[int, str]  # (runbook index, task id)

# One cell wide in every common terminal font (no emoji), so columns stay aligned over SSH/tmux.
STATUS_SYMBOLS = {
    "READY": "●",
    "RUNNING": "◐",
    "INTERRUPTED": "!",
    "DONE": "✓",
    "ERROR": "✗",
    "SKIPPED": "»",
    "PENDING": "○",
}
TYPE_LABELS = {"AI_ASSISTED": "AI ", "MANUAL": "MAN", "AUTOMATED_SCRIPT": "SCR"}


@dataclass(frozen=True)
class TaskRow:
    key: TaskKey
    name: str
    group: str
    type: str
    status: str  # effective status: READY, PENDING (blocked), RUNNING, INTERRUPTED, DONE, ERROR, SKIPPED
    blocked_by: tuple[str, ...] = ()

    def matches(self, needle: str) -> bool:
        return needle.lower() in self.haystack

    @property
    def haystack(self) -> str:
        """The lower-cased text a filter searches (id, name, group, type), joined by a separator
        no filter can span, built once per row: a keystroke on 10,000 tasks must not lower-case them again."""
        cached = self.__dict__.get("_haystack")
        if cached is None:
            cached = "\0".join(text.lower() for text in (self.key[1], self.name, self.group, self.type))
            object.__setattr__(self, "_haystack", cached)
        return cached

    @property
    def label_width(self) -> int:
        """Cells of the tree line's label (symbol, type, name, note), built once per row."""
        cached = self.__dict__.get("_label_width")
        if cached is None:
            symbol, kind, note = label_parts(self)
            cached = _cells(symbol) + _cells(kind) + _cells(self.name) + _cells(note)
            object.__setattr__(self, "_label_width", cached)
        return cached


def label_parts(row: TaskRow) -> tuple[str, str, str]:
    """The status symbol, type label and trailing note of a task's line, each with its spacing."""
    if row.status == "PENDING" and row.blocked_by:
        note = f"  ⧗ waits for {', '.join(row.blocked_by)}"
    elif row.status == "INTERRUPTED":
        note = "  interrupted (R resets it)"
    else:
        note = ""
    return STATUS_SYMBOLS.get(row.status, "?") + " ", TYPE_LABELS.get(row.type, row.type[:3]) + " ", note


def _cells(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


@dataclass(frozen=True)
class GroupRef:
    runbook_index: int
    path: str  # "" for the runbook node itself


@dataclass
class RunbookRows:
    index: int
    name: str
    rows: Sequence[TaskRow]
    error: str | None = None  # shown beside the runbook name while its YAML is invalid
    extra: dict = field(default_factory=dict)
