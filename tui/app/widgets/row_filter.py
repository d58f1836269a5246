"""The tree's filter as plain data: its text, the rows it matched per runbook, and where each
task's row sits, so a keystroke or a status change touches the rows it concerns, not every task."""

from __future__ import annotations

from collections.abc import Sequence

from tui.app.widgets.task_row import RunbookRows, TaskKey, TaskRow


class RowFilter:
    def __init__(self) -> None:
        self.text = ""
        # The rows the text matched, per runbook: a longer text that contains the last one can
        # only match a subset, so a keystroke searches these, not every task.
        self.matched: list[list[TaskRow]] = []
        self.matched_for: str | None = None  # the lower-cased text `matched` is for
        self._positions: dict[int, tuple[list[TaskRow], dict[TaskKey, int]]] = {}

    def forget(self) -> None:
        """New rows: the last matches say nothing about them."""
        self.matched_for = None

    def match(self, runbooks: Sequence[RunbookRows]) -> list[list[TaskRow]]:
        needle = self.text.lower()
        last = self.matched_for
        if last is not None and last == needle:
            return self.matched
        if not needle:  # every row, without building each one's haystack (a status change, unfiltered)
            self.matched = [list(runbook.rows) for runbook in runbooks]
            self.matched_for = needle
            return self.matched
        if last is not None and last in needle:  # narrowing: only the last matches can still match
            pools: Sequence[Sequence[TaskRow]] = self.matched
        else:
            pools = [runbook.rows for runbook in runbooks]
        self.matched = [[row for row in pool if needle in row.haystack] for pool in pools]
        self.matched_for = needle
        return self.matched

    def replace(self, runbooks: Sequence[RunbookRows], row: TaskRow) -> TaskRow | None:
        """Put `row` in place of the row with its key; returns the row it replaced (None: no such task).
        The matches stay valid: a filter searches id, name, group and type, never the status."""
        for number, runbook in enumerate(runbooks):
            if runbook.index != row.key[0]:
                continue
            if not isinstance(runbook.rows, list):
                runbook.rows = list(runbook.rows)
            rows = runbook.rows
            kept = self._positions.get(runbook.index)
            if kept is None or kept[0] is not rows:  # once per full refresh, not per change
                kept = (rows, {each.key: position for position, each in enumerate(rows)})
                self._positions[runbook.index] = kept
            position = kept[1].get(row.key)
            if position is None:
                return None
            old = rows[position]
            rows[position] = row
            if self.matched_for == "" and number < len(self.matched):
                self.matched[number][position] = row  # unfiltered: the same positions
            elif self.matched_for:
                matched = self.matched[number] if number < len(self.matched) else []
                for at, each in enumerate(matched):  # filtered: usually a handful of rows
                    if each is old:
                        matched[at] = row
                        break
            return old
        return None
