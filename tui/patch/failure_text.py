"""What a failed change tells the model on its retry: for every hunk or block that could not be
placed, the reason, the closest region of the file with its similarity, and the file's actual
lines there (the lines the model should have matched)."""

from __future__ import annotations

from dataclasses import replace

from tui.patch.closest import closest_region
from tui.patch.model import ChangeSet, FileChange, Hunk

# Regions quoted back are cut to this many lines: enough to copy from, short for a small model.
QUOTE_LINES = 30


def with_closest(change: FileChange) -> None:
    """Name the closest region of every failed hunk the placement left without one."""
    if change.old is None:
        return
    for hunk in change.hunks:
        placement = hunk.placement
        if placement.placed or placement.closest is not None:
            continue
        old_side = [line.text for line in hunk.lines if line.kind != "added"]
        found = closest_region(change.old.lines, old_side)
        if found is not None:
            first, last, score = found
            hunk.placement = replace(placement, closest=(first + 1, last + 1), closest_score=round(score, 2))


def _quote(change: FileChange, hunk: Hunk) -> list[str]:
    closest = hunk.placement.closest
    if change.old is None or closest is None:
        return []
    first, last = closest
    region = change.old.lines[first - 1 : min(last, first - 1 + QUOTE_LINES)]
    return [
        f"The file's actual lines {first}-{first + len(region) - 1} of {change.path}:",
        "```",
        *region,
        "```",
    ]


def failure_text(change_set: ChangeSet) -> str:
    """One paragraph per refused file or failed hunk; the retry template's `failure`."""
    out: list[str] = []
    for change in change_set.files:
        if change.error is not None:
            out.append(f"{change.path}: {change.error}")
            continue
        for hunk in change.hunks:
            if hunk.placement.placed:
                continue
            out.append(f"{change.path}: {change.unit} {hunk.index} {hunk.placement.describe()}")
            out.extend(_quote(change, hunk))
    return "\n".join(out)
