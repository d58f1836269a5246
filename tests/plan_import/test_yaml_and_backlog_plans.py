"""The other two shapes: ```yaml task specs and an issue backlog."""

from __future__ import annotations

from pathlib import Path

from tui.plan_import import import_plan

from .runbook_checks import assert_runbook_valid, load_runbook, render_prompt, task_map

PLANS = Path(__file__).parent / "plans"


def test_yaml_specs_import_every_task_with_its_details(tmp_path: Path) -> None:
    out = tmp_path / "quill"
    report = import_plan(PLANS / "quill_yaml_specs.md", out)
    assert (report.tasks, report.groups, report.dependencies) == (6, 3, 7)
    assert report.notes == ()  # the `quill:` config block is not a task and not an error
    tasks = task_map(out)
    assert list(tasks) == ["A.1", "A.2", "B.1", "B.2", "1.1", "1.10"]
    assert {task_id: task["depends_on"] for task_id, task in tasks.items()} == {
        "A.1": [], "A.2": ["A.1"], "B.1": ["A.1"], "B.2": ["B.1", "A.2"], "1.1": ["B.2"], "1.10": ["1.1", "A.2"],
    }  # fmt: skip
    assert {task["group"] for task in tasks.values()} == {
        "Section A: Storage layer",
        "Section B: Search",
        "Section C: Release",
    }
    a1 = tasks["A.1"]
    assert a1["type"] == "AI_ASSISTED" and a1["status"] == "READY"
    assert a1["ai_details"]["context_budget"] == 1500
    assert a1["ai_details"]["context_files"] == [{"path": "quill/model.py"}]
    assert a1["ai_details"]["output_artifact"] == "quill/storage/format.py"
    assert a1["validation_command"] == "python -m pytest -q tests/test_format.py"
    # the ``` fences nested in the block scalar stay inside the prompt
    prompt = render_prompt(out, a1)
    assert (
        "```python\ndef dump_note(note: Note) -> str: ...\ndef load_note(text: str) -> Note: ...\n```"
        in prompt
    )
    assert prompt.rstrip().endswith("Front matter is YAML between `---` lines; the body follows unchanged.")
    assert tasks["A.2"]["ai_details"]["context_budget"] == 2000  # "2k"
    # `&&` needs a shell: without `shell: true` it would reach pytest as an argument
    assert tasks["A.2"]["validation_command"] == {
        "command": "python -m pytest -q tests/test_writer.py && ruff check quill/storage",
        "shell": True,
    }
    assert tasks["B.2"]["ai_details"]["review_points"] == [
        "Rebuilding from scratch gives the same index as incremental updates",
        "A deleted note disappears from every posting list",
    ]
    assert "{{ version }} in CHANGELOG.md must be left untouched." in render_prompt(out, tasks["1.1"])
    assert tasks["1.10"]["type"] == "MANUAL"  # no prompt
    assert tasks["1.10"]["validation_command"] == "git describe --tags --exact-match"
    assert "defaults" not in load_runbook(out)
    assert_runbook_valid(out)


def test_backlog_issues_become_tasks_with_issue_references_resolved(tmp_path: Path) -> None:
    out = tmp_path / "tern"
    report = import_plan(PLANS / "tern_backlog.md", out)
    assert (report.tasks, report.groups, report.dependencies) == (8, 3, 8)
    assert report.notes == ()
    tasks = task_map(out)
    assert {task_id: task["depends_on"] for task_id, task in tasks.items()} == {
        "13": [], "14": ["13"], "15": [], "16": ["13", "15"], "17": ["16"],
        "18": ["16", "14"],  # "Blocked (by #16, #14)" adds #14 to the listed #16
        "19": ["16", "18"], "20": [],
    }  # fmt: skip
    assert tasks["13"]["name"] == "Replace the config loader with pydantic settings"
    assert tasks["17"]["group"] == "Milestone 2: Sync engine"
    assert {task_id for task_id, task in tasks.items() if task["status"] == "READY"} == {"13", "15", "20"}
    assert tasks["15"]["type"] == "AI_ASSISTED"
    assert render_prompt(out, tasks["15"]) == (
        "Add exponential back-off with jitter to `tern/upload.py`; at most 5 attempts; make it configurable."
    )
    instructions = tasks["13"]["manual_instructions"]
    assert "Priority: High" in instructions and "Size: M" in instructions
    assert "Issue: https://github.com/tern-sync/tern/issues/13" in instructions
    assert "- Unknown keys are an error naming the key and line" in instructions
    assert_runbook_valid(out)


def test_a_yaml_spec_for_a_table_task_adds_its_details(tmp_path: Path) -> None:
    plan = tmp_path / "mixed.md"
    plan.write_text(
        "# Mixed\n\n## Phase 1\n\n| ID | Task | Depends on |\n|---|---|---|\n| 1.1 | Parser | – |\n\n"
        "```yaml\ntask_id: 1.1\nstructured_prompt: Write the parser.\nvalidation: pytest -q\n```\n",
        encoding="utf-8",
    )
    report = import_plan(plan, tmp_path / "out")
    assert report.tasks == 1 and report.notes == ()
    task = task_map(tmp_path / "out")["1.1"]
    assert (task["name"], task["group"], task["type"]) == ("Parser", "Phase 1", "AI_ASSISTED")
    assert task["validation_command"] == "pytest -q"
    assert render_prompt(tmp_path / "out", task) == "Write the parser."
