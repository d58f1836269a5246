"""The files of a change set: counts, how each would apply, which one is shown."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.commands.terminal_text import strip_control_sequences
from tui.patch.model import FileChange


def describe_file(change: FileChange) -> str:
    """How a file would apply, in a few words: `new file`, `exact`, `shifted`, `fuzzy 0.87`, `2 failed`."""
    return summarize_file(change)[2]


def summarize_file(change: FileChange) -> tuple[int, int, str]:
    """(lines added, lines removed, `describe_file`'s words) in one pass over the file's hunks.

    Every file of the list is summed before the review's first frame: one loop, not five, keeps a
    50,000-line change set's list from costing more than the diff it opens on."""
    added = removed = failed = 0
    fuzzy_scores: list[float] = []
    fuzzy = shifted = False
    for hunk in change.hunks:
        edit = hunk.edit
        if edit is not None:
            added += edit.added
            removed += edit.removed
        else:
            added += hunk.added
            removed += hunk.removed
        placement = hunk.placement
        status = placement.status
        if status == "failed":
            failed += 1
        elif status == "fuzzy":
            fuzzy = True
            if placement.score is not None:
                fuzzy_scores.append(placement.score)
        elif status == "offset":
            shifted = True
    return added, removed, _words(change, failed, fuzzy, fuzzy_scores, shifted)


def _words(change: FileChange, failed: int, fuzzy: bool, fuzzy_scores: list[float], shifted: bool) -> str:
    if change.error is not None:
        return "refused"
    if not change.hunks:
        return "no change"
    if failed == len(change.hunks):
        return "failed"
    words = []
    if change.kind == "create":
        words.append("new file")
    elif change.kind == "delete":
        words.append("deleted")
    if fuzzy_scores:
        words.append(f"fuzzy {min(fuzzy_scores):.2f}")
    elif fuzzy:
        words.append("fuzzy")
    elif shifted:
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
            cached = self._summaries[id(change)] = (change, *summarize_file(change))
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
