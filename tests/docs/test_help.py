"""`patchbay --help` and every command's --help end with an example line that Patchbay accepts."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from tui.cli import COMMANDS, main, parse


def _help(argv: list[str]) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(argv) == 0
    return printed.getvalue()


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["runbooks", "--help"], *([command, "--help"] for command in COMMANDS)],
    ids=lambda argv: " ".join(argv),
)
def test_help_ends_with_an_example_that_parses(argv: list[str]) -> None:
    text = _help(argv)
    lines = text.rstrip().splitlines()
    assert lines[-2] == "example:", text
    example = lines[-1].split()
    assert example[0] == "patchbay"
    if argv[0] in COMMANDS:
        assert example[1] == argv[0], "the example shows another command"
    try:
        parse(example[1:])
    except SystemExit as exc:  # argparse refused it
        pytest.fail(f"patchbay does not accept its own example {lines[-1]!r} (exit {exc.code})")


@pytest.mark.parametrize("command", ["validate", "status", "next"])
def test_the_read_only_examples_run(command: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from tui.cli import EXAMPLES

    from .doc_blocks import REPO

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # the user's own settings stay out of it
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(EXAMPLES[command].split()[1:]) == 0


def test_every_command_has_a_section_in_the_commands_guide() -> None:
    from .doc_blocks import REPO

    text = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## `patchbay (\w+)", text, flags=re.MULTILINE)
    assert sorted(headings) == sorted(COMMANDS)
