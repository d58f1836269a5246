"""Work-breakdown Type columns, prose in dependency cells, and backlog acceptance criteria."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.plan_import import import_plan
from tui.plan_import.task_kinds import kind_of

from .runbook_checks import assert_runbook_valid, load_runbook, render_prompt, task_map

PLANS = Path(__file__).parent / "plans"


@pytest.fixture(scope="module")
def kestrel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("typed") / "kestrel"
    return out, import_plan(PLANS / "kestrel_typed_wbs.md", out)


def test_a_type_column_keeps_each_tasks_type(kestrel) -> None:
    out, report = kestrel
    types = {entry["id"]: entry["type"] for entry in load_runbook(out)["tasks"]}
    assert types == {
        "1.1": "MANUAL",
        "1.2": "AUTOMATED_SCRIPT",
        "1.3": "AI_ASSISTED",
        "1.4": "MANUAL",  # "👤 Human", although it has a prompt
        "2.1": "AI_ASSISTED",
        "2.2": "AI_ASSISTED",  # no prompt: its title is the request
        "2.3": "MANUAL",  # a script without one command to run: said so below
        "2.4": "AUTOMATED_SCRIPT",
    }
    assert (report.ai_tasks, report.manual_tasks, report.script_tasks) == (3, 3, 2)


def test_script_tasks_run_their_command_column(kestrel) -> None:
    tasks = task_map(kestrel[0])
    assert tasks["1.2"]["script_details"] == "make codegen"
    assert "validation_command" not in tasks["1.2"]  # the command column was the script, not a check
    assert tasks["2.4"]["script_details"] == "./scripts/smoke.sh staging"


def test_for_ai_tasks_the_command_column_is_the_validation(kestrel) -> None:
    tasks = task_map(kestrel[0])
    assert tasks["1.3"]["validation_command"] == "pytest -q tests/test_settings.py"
    assert tasks["2.1"]["validation_command"] == {
        "command": "pytest -q tests/test_limit.py && ruff check kestrel",
        "shell": True,
    }
    assert render_prompt(kestrel[0], tasks["2.2"]) == "Describe the limiter in the changelog"


def test_a_manual_task_keeps_its_prompt_as_instructions(kestrel) -> None:
    instructions = task_map(kestrel[0])["1.4"]["manual_instructions"]
    assert instructions.startswith("Walk Ops through every setting name.")


def test_prose_in_a_dependency_cell_is_one_warning_per_task(kestrel) -> None:
    out, report = kestrel
    messages = [note.message for note in report.notes]
    assert len(messages) == 3, messages
    assert sum("task '1.4'" in message for message in messages) == 1
    assert sum("task '2.2'" in message for message in messages) == 1
    assert "task '2.3' is a script task but names no command; imported as MANUAL" in messages
    tasks = task_map(out)
    assert tasks["2.2"]["depends_on"] == ["2.1"]  # the reference in the prose is kept
    assert tasks["1.4"]["depends_on"] == []
    # and the prose itself is not lost
    assert "Depends on: After the settings PR is merged" in tasks["1.4"]["manual_instructions"]
    assert tasks["2.2"]["description"] == "Depends on: 2.1, once the benchmark numbers are in"


def test_the_typed_plan_validates_without_warnings(kestrel) -> None:
    assert_runbook_valid(kestrel[0])


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("MANUAL", "MANUAL"),
        ("Manual", "MANUAL"),
        ("human", "MANUAL"),
        ("AI", "AI_ASSISTED"),
        ("AI_ASSISTED", "AI_ASSISTED"),
        ("LLM", "AI_ASSISTED"),
        ("AI + human review", "AI_ASSISTED"),
        ("script", "AUTOMATED_SCRIPT"),
        ("AUTOMATED_SCRIPT", "AUTOMATED_SCRIPT"),
        ("CI job", "AUTOMATED_SCRIPT"),
        ("research", None),
    ],
)
def test_type_words(cell: str, kind: str | None) -> None:
    assert kind_of(cell) == kind


def test_backlog_acceptance_criteria_become_review_points(tmp_path: Path) -> None:
    out = tmp_path / "wren"
    report = import_plan(PLANS / "wren_backlog.md", out)
    assert report.notes == ()
    tasks = task_map(out)
    # checkboxes are dropped from the points
    assert tasks["41"]["ai_details"]["review_points"] == [
        "A note with 3 pages of text exports to a 3-page PDF",
        "Tags appear under the title",
    ]
    # a fenced list of criteria becomes checklist lines, not a raw block
    instructions = tasks["42"]["manual_instructions"]
    assert "```" not in instructions
    assert instructions.endswith(
        "Done when:\n- Both versions are shown side by side\n- Keeping one records the choice in the sync log"
    )
    assert tasks["43"]["manual_instructions"].endswith(
        "Done when:\n- the tag is pushed and the changelog is published"
    )
    assert_runbook_valid(out)


@pytest.mark.parametrize(
    ("command", "needs_shell"),
    [
        ("python -m pytest -q", False),
        ("git describe --tags --exact-match", False),
        ("pytest -q && ruff check .", True),
        ("npm ls > deps.txt", True),
        ("ls ~/notes", True),
        ("DEBUG=1 make test", True),
        ("for f in *.md; do wc -l $f; done", True),
        ("python -c 'print(1); print(2)'", False),  # quoted: one program and its argument
    ],
)
def test_imported_commands_with_shell_syntax_say_shell_true(command: str, needs_shell: bool) -> None:
    from tui.plan_import.writer import command_spec

    expected = {"command": command, "shell": True} if needs_shell else command
    assert command_spec(command) == expected
