"""Errors a user can cause. Each carries one clear sentence; the CLI and screens show it as is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class PatchbayError(Exception):
    """Base for every error caused by input (files, flags, model output, servers)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Location:
    """A place in a file; line and column are 1-based, as editors show them."""

    path: Path
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        text = str(self.path)
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


class LocatedError(PatchbayError):
    """An error at a place in a file: printed as `file:line:col: sentence`."""

    def __init__(self, location: Location, sentence: str) -> None:
        self.location = location
        self.sentence = sentence
        super().__init__(f"{location}: {sentence}")


class UsageError(PatchbayError):
    """Bad command-line usage (exit code 2)."""
