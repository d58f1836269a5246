"""Helpers for runbook tests: real files in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def runbook_dir(tmp_path: Path):
    """Write files into tmp_path/rb and return that folder: runbook_dir({"runbook.yaml": ...})."""

    def make(files: dict[str, str | bytes]) -> Path:
        return write_files(tmp_path / "rb", files)

    return make
