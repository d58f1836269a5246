"""Commands in shell syntax: refused by `validate` unless they say `shell: true`, then run by /bin/sh."""

from __future__ import annotations

from tui.cli import main
from tui.runbook.loader import load_runbook

SCRIPT_TASK = """\
tasks:
  - id: s
    name: Script
    status: READY
    type: AUTOMATED_SCRIPT
    script_details: {script}
"""


def test_validate_refuses_shell_syntax_without_shell_true_naming_it(runbook_dir, capsys):
    folder = runbook_dir({"runbook.yaml": SCRIPT_TASK.format(script='"echo a; exit 3"')})
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"{folder}/runbook.yaml:6:21: error: script_details uses shell syntax (`;`) but runs without a "
        "shell, so it would not mean what it says: write it as `{command: ..., shell: true}` to run it "
        "with /bin/sh, or quote that part if it is meant literally."
    )


def test_the_mapping_form_names_shell_true_at_the_command(runbook_dir, capsys):
    text = (
        "defaults:\n  validation_command:\n    command: pytest -q | tail -1\n"
        "tasks:\n  - {id: a, name: A, type: MANUAL}\n"
    )
    folder = runbook_dir({"runbook.yaml": text})
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"{folder}/runbook.yaml:3:14: error: validation_command.command uses shell syntax (`|`)" in out
    assert "add `shell: true` to run it with /bin/sh" in out


def test_shell_true_runs_the_line_through_the_shell_and_its_exit_code_counts(runbook_dir, capsys):
    folder = runbook_dir(
        {"runbook.yaml": SCRIPT_TASK.format(script='{command: "echo a; exit 3", shell: true}')}
    )
    assert main(["validate", str(folder)]) == 0
    capsys.readouterr()
    assert main(["run", str(folder), "--task", "s"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "a\n"  # not "a; exit 3"
    assert "script exited 3" in captured.err
    assert next(t for t in load_runbook(folder).tasks if t.id == "s").status == "ERROR"
