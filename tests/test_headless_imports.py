"""The headless commands never import Textual (it would slow them and tie the core to a screen)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import sys
from tui.cli import main
code = main(sys.argv[1:])
loaded = sorted(name for name in sys.modules if name == "textual" or name.startswith("textual."))
print("TEXTUAL:" + ",".join(loaded))
print("EXIT:" + str(code))
"""


@pytest.fixture
def runbook(tmp_path: Path) -> Path:
    (tmp_path / "runbook.yaml").write_text(
        "tasks:\n  - id: a\n    name: A\n    status: DONE\n  - id: b\n    name: B\n    depends_on: [a]\n"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "exit_code"),
    [
        (["validate", "{rb}"], 0),
        (["status", "{rb}"], 0),
        (["status", "{rb}", "--json"], 0),
        (["next", "{rb}"], 0),
        (["reset", "{rb}", "a", "--to", "PENDING"], 0),
        (["validate", "{rb}/missing"], 1),
    ],
)
def test_command_does_not_import_textual(runbook, argv, exit_code):
    args = [arg.format(rb=runbook) for arg in argv]
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert f"EXIT:{exit_code}" in lines, result.stdout + result.stderr
    assert "TEXTUAL:" in lines, f"textual modules were imported: {lines}"
