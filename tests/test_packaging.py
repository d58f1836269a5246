"""The wheel carries the shipped data and works on its own, outside this checkout."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("patchbay-*.whl")
    return path


def test_wheel_carries_themes_templates_and_the_demo(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tui/_data/runbooks/demo/runbook.yaml" in names
    assert "tui/_data/runbooks/demo/project/textkit/stats.py" in names
    assert "tui/_data/prompt_templates/agent_wrapper.j2" in names
    assert "tui/_data/themes/patchbay-dark.yaml" in names
    assert not any("__pycache__" in name for name in names)


@pytest.mark.slow
def test_installed_wheel_validates_its_packaged_demo(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", str(wheel)], check=True, capture_output=True)
    # Run from an empty folder so nothing from this checkout can be picked up.
    code = "from tui.resources import shipped; print(shipped('runbooks/demo'))"
    demo = subprocess.run([python, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    demo_path = Path(demo.stdout.strip())
    assert "site-packages" in str(demo_path)
    result = subprocess.run(
        [env_dir / "bin" / "patchbay", "validate", str(demo_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout
