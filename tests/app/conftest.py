"""Fixtures for the app tests: a fresh copy of the demo (a real git repository) per test, a pinned
environment, and SVG snapshots stored in the top-level snapshots/ folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_textual_snapshot as pts

from tui.commands.demo import prepare_demo

ROOT = Path(__file__).resolve().parents[2]


class TopLevelSVG(pts.SVGImageExtension):
    """snap_compare looks this class up at call time; storing under snapshots/<test module>/."""

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(ROOT / "snapshots" / Path(test_location.filepath).stem)


pts.SVGImageExtension = TopLevelSVG


@pytest.fixture(autouse=True)
def pinned_environment(tmp_path, monkeypatch):
    """No user config, no colour switch-off, a fixed clock zone; the demo lives under the cwd."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def demo(tmp_path) -> Path:
    """A copy of runbooks/demo with its project git-initialised on branch main."""
    return prepare_demo(tmp_path / "demo")
