"""Which commands need a shell: operators, expansions and keywords outside quotes."""

from __future__ import annotations

import pytest

from tui.workspace.shell_syntax import shell_syntax


@pytest.mark.parametrize(
    ("command", "found"),
    [
        ("echo a; exit 3", "`;`"),
        ("pytest -q && ruff check .", "`&&`"),
        ("make test || true", "`||`"),
        ("pytest | tee log", "`|`"),
        ("pytest > log.txt", "`>`"),
        ("pytest 2>&1", "`>`"),
        ("sort < words", "`<`"),
        ("sleep 5 &", "`&`"),
        ("(cd src && make)", "`(`"),
        ("for f in a b; do echo $f; done", "the shell keyword `for`"),
        ("if true; then echo y; fi", "the shell keyword `if`"),
        ("pytest\nruff check .", "a line break (several commands)"),
        ("echo $HOME", "a `$` variable"),
        ('echo "${HOME}/x"', "a `$` variable"),
        ("echo $(date)", "a `$(` command substitution"),
        ("echo `date`", "a `` ` `` command substitution"),
        ("CI=1 pytest", "a variable assignment before the command"),
        ("ls ~/src", "a `~` home folder"),
        ("python -m pytest tests/*.py", "the `*` wildcard"),
        ("pytest # all of them", "a `#` comment"),
    ],
)
def test_shell_syntax_is_found_and_named(command, found):
    assert shell_syntax(command) == found


@pytest.mark.parametrize(
    "command",
    [
        "python3 -m unittest discover -s tests -q",
        "python -c 'print(1); print(2)'",
        "python -c \"print('a > b')\"",
        "pytest -k 'add or sub' tests/test_x.py::test_y[1-2]",
        "echo '$HOME' ';' 'x y'",
        "echo a\\;b",
        "git diff --exit-code HEAD~1",
        "echo price$",
        "grep -c x#y file",
        "ruff check --select=E501 .",
        "python -m pytest -q\n",  # from a `|` block scalar
    ],
)
def test_plain_commands_need_no_shell(command):
    assert shell_syntax(command) is None
