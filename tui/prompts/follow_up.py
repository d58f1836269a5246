"""What a focused follow-up tells the model: the hunks already agreed (kept), the ones the reviewer
refused with their notes (rejected), and the ones that could not be placed (failed). The fallback
template gets them as `kept`, `rejected`, `failed` and `answer_note`; plain data, no patch types."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


def where(path: str, lines: str) -> str:
    """`a.py line 3`, `a.py lines 3-9`."""
    return f"{path} {'lines' if '-' in lines else 'line'} {lines}"


@dataclass(frozen=True)
class KeptHunk:
    path: str
    lines: str  # "12-18": where it sits in the file as it is now
    text: str  # the hunk, one -/+/space prefixed line each
    note: str = ""
    attempt: int = 1
    quoted: bool = True  # False: only `summary` is shown (the follow-up was over its budget)

    @property
    def summary(self) -> str:
        return where(self.path, self.lines)

    def variable(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "lines": self.lines,
            "text": self.text,
            "note": self.note,
            "attempt": self.attempt,
            "quoted": self.quoted,
            "summary": self.summary,
            "where": self.summary,
        }


@dataclass(frozen=True)
class AskedHunk:
    """A hunk the model is asked to redo: rejected (with the reviewer's note) or failed (with why,
    and the file's actual lines in the closest region)."""

    path: str
    lines: str
    text: str
    note: str = ""
    reason: str = ""
    closest: str = ""  # the file's lines in the closest region, numbered; "" when none

    def variable(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "lines": self.lines,
            "text": self.text,
            "note": self.note,
            "reason": self.reason,
            "closest": self.closest,
            "where": where(self.path, self.lines),
        }


@dataclass(frozen=True)
class FollowUp:
    kept: tuple[KeptHunk, ...] = ()
    rejected: tuple[AskedHunk, ...] = ()
    failed: tuple[AskedHunk, ...] = ()
    answer_note: str = ""

    @property
    def focused(self) -> bool:
        """Hunks are singled out (rejected or failed): the others are kept and only those asked
        for; otherwise the whole change is asked again (with the note on the answer, if any)."""
        return bool(self.rejected or self.failed)

    @property
    def says_something(self) -> bool:
        """Something for the fallback template beyond a plain retry: hunks or a note."""
        return self.focused or bool(self.answer_note)

    def summarising(self, count: int) -> FollowUp:
        """The `count` oldest kept hunks named by file and line range instead of quoted."""
        order = sorted(range(len(self.kept)), key=lambda n: (self.kept[n].attempt, n))
        shorten = set(order[:count])
        kept = tuple(replace(h, quoted=False) if n in shorten else h for n, h in enumerate(self.kept))
        return replace(self, kept=kept)

    def variables(self) -> dict[str, Any]:
        return {
            "kept": [hunk.variable() for hunk in self.kept],
            "rejected": [hunk.variable() for hunk in self.rejected],
            "failed": [hunk.variable() for hunk in self.failed],
            "answer_note": self.answer_note,
        }
