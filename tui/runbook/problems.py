"""Problems found in a runbook: every error and warning, each at a place in a file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tui.errors import Location, PatchbayError

Severity = Literal["error", "warning"]


def shown_path(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or suspicious) in a runbook, at file:line:col, said in one sentence."""

    location: Location
    sentence: str
    severity: Severity = "error"

    @property
    def where(self) -> str:
        text = shown_path(self.location.path)
        if self.location.line is not None:
            text += f":{self.location.line}"
            if self.location.column is not None:
                text += f":{self.location.column}"
        return text

    def __str__(self) -> str:
        return f"{self.where}: {self.sentence}"

    def formatted(self) -> str:
        """The compiler-style line `validate` prints: `file:line:col: error: sentence`."""
        return f"{self.where}: {self.severity}: {self.sentence}"


class ProblemLog:
    """Collects every problem while loading, so one run reports all of them."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, location: Location, sentence: str) -> None:
        self.errors.append(Problem(location, sentence, "error"))

    def warning(self, location: Location, sentence: str) -> None:
        self.warnings.append(Problem(location, sentence, "warning"))


class RunbookInvalid(PatchbayError):
    """A runbook with errors. The message is the first error; `.problems` holds them all."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] | None = None) -> None:
        self.problems = list(problems)
        self.warnings = list(warnings or [])
        message = str(self.problems[0]) if self.problems else "the runbook is invalid"
        more = len(self.problems) - 1
        if more > 0:
            message += (
                f" (and {more} more error{'s' if more > 1 else ''}; `patchbay validate` lists them all)"
            )
        super().__init__(message)
