"""Which hunks of a change set went in and which were left out in review: recorded in the commit
(trailers) and in the task's last_run, so a commit never claims more than it holds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tui.patch.model import ChangeSet


@dataclass(frozen=True)
class HunkChoice:
    applied: tuple[str, ...]
    left_out: tuple[str, ...]

    @classmethod
    def of(cls, change_set: ChangeSet, accepted: Iterable[str] | None) -> HunkChoice:
        """`accepted` None means every hunk that could be placed (a headless apply)."""
        every = [hunk for change in change_set.files for hunk in change.hunks]
        chosen = {hunk.id for hunk in every if hunk.edit is not None} if accepted is None else set(accepted)
        return cls(
            tuple(hunk.id for hunk in every if hunk.id in chosen),
            tuple(hunk.id for hunk in every if hunk.id not in chosen),
        )

    def trailers(self) -> dict[str, str]:
        trailers = {"Hunks-Applied": ", ".join(self.applied)}
        if self.left_out:
            trailers["Hunks-Left-Out"] = ", ".join(self.left_out)
        return trailers

    def last_run_keys(self) -> dict[str, list[str]]:
        return {"hunks_applied": list(self.applied), "hunks_left_out": list(self.left_out)}


def hunk_report(change_set: ChangeSet, accepted: set[str] | None) -> list[dict]:
    """Per file, per hunk: how it placed and whether it was accepted (for the run log)."""
    files = []
    for change in change_set.files:
        hunks = [
            {
                "id": hunk.id,
                "placement": hunk.placement.describe(),
                "accepted": accepted is None or hunk.id in accepted,
            }
            for hunk in change.hunks
        ]
        files.append({"path": change.path, "hunks": hunks})
    return files
