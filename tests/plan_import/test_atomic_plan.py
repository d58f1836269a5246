"""Atomic-task plans: one ```yaml spec per task under nested headings, structured prompts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.plan_import import import_plan

from .runbook_checks import assert_runbook_valid, render_prompt, task_map

PLAN = Path(__file__).parent / "plans" / "harbor_atomic.md"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("atomic") / "harbor"
    return out, import_plan(PLAN, out)


def test_orchestration_sketches_are_not_tasks(imported) -> None:
    out, report = imported
    assert list(task_map(out)) == ["P1.1.1", "P1.1.2", "P2.1.1", "P2.1.2"]
    assert report.notes == ()  # neither skipped as duplicates nor reported
    # the sketch says P2.1.1 follows P1.1.1; only the task's own spec counts
    assert task_map(out)["P2.1.1"]["depends_on"] == ["P1.1.2"]


def test_the_heading_title_is_the_task_name(imported) -> None:
    tasks = task_map(imported[0])
    assert tasks["P2.1.1"]["name"] == "Fix Root Package.json Workspaces"
    assert tasks["P1.1.2"]["name"] == "Enable Strict Null Checks in the API Package"


def test_the_group_follows_the_enclosing_headings(imported) -> None:
    tasks = task_map(imported[0])
    assert tasks["P1.1.1"]["group"] == "Priority 1: Critical Build Fixes/P1.1: TypeScript configuration"
    assert tasks["P2.1.2"]["group"] == "Priority 2: Workspace Hygiene/P2.1: Package manifests"


def test_context_size_becomes_the_budget(imported) -> None:
    tasks = task_map(imported[0])
    assert tasks["P1.1.1"]["ai_details"]["context_budget"] == 1800
    assert tasks["P1.1.2"]["ai_details"]["context_budget"] == 2000  # "2k"


def test_input_files_with_lines_become_context_files_with_lines(imported) -> None:
    tasks = task_map(imported[0])
    assert tasks["P1.1.1"]["ai_details"]["context_files"] == [
        {"path": "tsconfig.base.json"},  # INPUT FILE: the whole file
        {"path": "packages/api/tsconfig.json", "lines": "3-12"},  # INPUT LINES in the prompt
    ]
    assert tasks["P1.1.2"]["ai_details"]["context_files"] == [
        {"path": "packages/api/tsconfig.json", "lines": "1-20"},
        {"path": "packages/api/src/server.ts", "lines": "40-58"},
    ]
    # named in `input:` and again in the prompt: one entry
    assert tasks["P2.1.1"]["ai_details"]["context_files"] == [{"path": "package.json", "lines": "68-71"}]


def test_the_validation_line_becomes_a_review_point(imported) -> None:
    tasks = task_map(imported[0])
    assert tasks["P2.1.1"]["ai_details"]["review_points"] == [
        "npm install lists every tools package as a workspace."
    ]
    assert tasks["P1.1.2"]["ai_details"]["review_points"] == [
        "The API package builds with strict null checks on."
    ]
    assert tasks["P1.1.2"]["validation_command"] == "npx tsc -p packages/api --noEmit"


def test_the_prompt_is_kept_word_for_word_and_shows_the_slices(imported) -> None:
    out = imported[0]
    prompt = render_prompt(out, task_map(out)["P2.1.1"])
    assert prompt.startswith(
        "CONTEXT: npm does not see the `tools/*` packages.\nINPUT LINES (package.json:68-71)\n"
    )
    template = (out / "prompt_templates" / "P2.1.1.j2").read_text(encoding="utf-8")
    assert "{% for file in context_files %}" in template


def test_a_spec_without_a_prompt_is_manual_and_its_shell_command_says_so(imported) -> None:
    task = task_map(imported[0])["P2.1.2"]
    assert task["type"] == "MANUAL"
    assert task["manual_instructions"] == "Run the dependency report and attach it to the release notes."
    assert task["validation_command"] == {
        "command": "npm ls --workspaces --depth 0 > deps.txt",
        "shell": True,
    }


def test_the_imported_runbook_validates_without_warnings(imported) -> None:
    assert_runbook_valid(imported[0])


def test_a_spec_mentioned_before_its_own_block_takes_the_block_with_the_prompt(tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text(
        "# P\n\n## Schedule\n\n```yaml\ntasks:\n  - task_id: A1\n    title: Parser\n    wave: 1\n```\n\n"
        "## Work\n\n```yaml\ntask_id: A1\ntitle: Parser\nstructured_prompt: Write the parser.\n```\n",
        encoding="utf-8",
    )
    report = import_plan(plan, tmp_path / "out")
    assert report.notes == ()
    task = task_map(tmp_path / "out")["A1"]
    assert (task["type"], task["group"]) == ("AI_ASSISTED", "Work")
    assert render_prompt(tmp_path / "out", task) == "Write the parser."


def test_a_type_key_keeps_the_specs_type(tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text(
        "# P\n\n## Work\n\n```yaml\n"
        "- task_id: T1\n  title: Seed the database\n  type: script\n  command: make seed && make check\n"
        "- task_id: T2\n  title: Pick a logo\n  type: MANUAL\n  structured_prompt: Choose one of the three drafts.\n"
        "- task_id: T3\n  title: Describe the schema\n  type: AI\n  depends_on: [T1]\n"
        "- task_id: T4\n  title: Deploy\n  type: CI job\n"
        "```\n",
        encoding="utf-8",
    )
    report = import_plan(plan, tmp_path / "out")
    tasks = task_map(tmp_path / "out")
    assert {task_id: task["type"] for task_id, task in tasks.items()} == {
        "T1": "AUTOMATED_SCRIPT",
        "T2": "MANUAL",
        "T3": "AI_ASSISTED",
        "T4": "MANUAL",
    }
    assert tasks["T1"]["script_details"] == {"command": "make seed && make check", "shell": True}
    assert tasks["T2"]["manual_instructions"].startswith("Choose one of the three drafts.")
    assert render_prompt(tmp_path / "out", tasks["T3"]) == "Describe the schema"
    assert [note.message for note in report.notes] == [
        "task 'T4' is a script task but names no command; imported as MANUAL"
    ]
    assert_runbook_valid(tmp_path / "out")
