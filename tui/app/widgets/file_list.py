"""The files of a change set: counts, how each would apply, which one is shown."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.commands.terminal_text import strip_control_sequences
from tui.patch.model import FileChange


def describe_file(change: FileChange) -> str:
    """How a file would apply, in a few words: `new file`, `exact`, `shifted`, `fuzzy 0.87`, `2 failed`."""
    if change.error is not None:
        return "refused"
    placements = [hunk.placement for hunk in change.hunks]
    failed = sum(1 for placement in placements if not placement.placed)
    if not placements:
        return "no change"
    if failed == len(placements):
        return "failed"
    words = []
    if change.kind == "create":
        words.append("new file")
    elif change.kind == "delete":
        words.append("deleted")
    fuzzy = [p.score for p in placements if p.status == "fuzzy" and p.score is not None]
    if fuzzy:
        words.append(f"fuzzy {min(fuzzy):.2f}")
    elif any(p.status == "fuzzy" for p in placements):
        words.append("fuzzy")
    elif any(p.status == "offset" for p in placements):
        words.append("shifted")
    elif change.kind == "modify":
        words.append("exact")
    if failed:
        words.append(f"{failed} failed")
    return ", ".join(words)


def _status_colour(change: FileChange, text: str) -> str:
    if change.error is not None or "failed" in text:
        return "error"
    if "fuzzy" in text:
        return "warning"
    return "success"


class FileList(Static):
    """One line per file; the current one is marked. Not focusable: `{`/`}` move between files."""

    DEFAULT_CSS = """
    FileList { width: 1fr; height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Summing a file's hunks is not free for big change sets; files are only ever replaced whole.
        self._summaries: dict[int, tuple[FileChange, int, int, str]] = {}

    def _summary(self, change: FileChange) -> tuple[int, int, str]:
        cached = self._summaries.get(id(change))
        if cached is None or cached[0] is not change:
            cached = self._summaries[id(change)] = (
                change,
                change.added,
                change.removed,
                describe_file(change),
            )
        return cached[1:]

    def show(self, files: list[FileChange], current: int) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, change in enumerate(files):
            added, removed, status = self._summary(change)
            if index:
                text.append("\n")
            here = index == current
            text.append("▶ " if here else "  ", style="bold" if here else "")
            # The path and its error come from the model's answer: no escape sequences on screen.
            text.append(strip_control_sequences(change.path), style="bold" if here else "")
            if change.outside_scope:
                text.append(" (outside files_to_modify)", style=self._colour("warning"))
            text.append("\n    ")
            text.append(f"+{added}", style=self._colour("success"))
            text.append(" ")
            text.append(f"−{removed}", style=self._colour("error"))
            text.append("  ")
            text.append(status, style=self._colour(_status_colour(change, status)))
            if change.error is not None:
                text.append(f"\n    {strip_control_sequences(change.error)}", style=self._colour("error"))
        self.update(text)

    def _colour(self, variable: str) -> str:
        value = self.app.theme_variables.get(variable)
        return value if value and value.startswith("#") else ""
