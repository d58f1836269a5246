"""Where the shipped data lives: inside the wheel (tui/_data) or, in a checkout, at the repository top."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """The folder of shipped data called `name` ("themes", "prompt_templates", "runbooks/demo")."""
    packaged = _PACKAGE / "_data" / name
    if packaged.exists():
        return packaged
    return _PACKAGE.parent / name
