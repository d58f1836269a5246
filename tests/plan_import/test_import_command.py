"""`patchbay import` end to end: summary, warnings with plan lines, --force, and one-sentence errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.cli import main as patchbay

from .runbook_checks import assert_runbook_valid, render_prompt, task_map

SMALL = """# Tiny plan

## Phase 1 – Start

| ID | Task | ⬆ | 📝 Agent Prompt |
|----|------|---|-----------------|
| 1.1 | First | – | "Do `one` thing." |
| 1.2 | Second | 1.1 & 9.9 | "Do the {{ second }} thing." |
| 1.3 | Third | 1.2 & 4.* | |
"""


def write(tmp_path: Path, text: str, name: str = "plan.md") -> Path:
    plan = tmp_path / name
    plan.write_text(text, encoding="utf-8")
    return plan


def test_unresolvable_references_are_skipped_with_their_plan_line(tmp_path: Path, capsys) -> None:
    plan = write(tmp_path, SMALL)
    out = tmp_path / "out"
    assert patchbay(["import", str(plan), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"imported 3 tasks in 1 group with 2 dependencies into {out}" in captured.out
    assert "2 item(s) skipped" in captured.out
    assert f"warning: {plan}:8: task '1.2': dependency '9.9' matches no task; skipped" in captured.err
    assert f"warning: {plan}:9: task '1.3': wildcard '4.*' matches no task; skipped" in captured.err
    tasks = task_map(out)
    assert tasks["1.2"]["depends_on"] == ["1.1"]
    assert tasks["1.3"]["depends_on"] == ["1.2"]
    assert tasks["1.3"]["type"] == "MANUAL"
    assert render_prompt(out, tasks["1.2"]) == "Do the {{ second }} thing."
    assert_runbook_valid(out)


def test_an_existing_runbook_is_kept_unless_force(tmp_path: Path, capsys) -> None:
    plan = write(tmp_path, SMALL)
    out = tmp_path / "out"
    out.mkdir()
    (out / "runbook.yaml").write_text("name: mine\n# my notes\ntasks: []\n", encoding="utf-8")
    assert patchbay(["import", str(plan), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == f"patchbay: {out / 'runbook.yaml'} already exists; use --force to overwrite it.\n"
    assert (out / "runbook.yaml").read_text(encoding="utf-8") == "name: mine\n# my notes\ntasks: []\n"
    assert not (out / "tasks").exists()
    assert patchbay(["import", str(plan), "-o", str(out), "--force"]) == 0
    assert "1.1" in task_map(out)
    assert_runbook_valid(out)


def test_a_task_file_in_the_way_also_needs_force(tmp_path: Path, capsys) -> None:
    plan = write(tmp_path, SMALL)
    out = tmp_path / "out"
    (out / "prompt_templates").mkdir(parents=True)
    (out / "prompt_templates" / "1.1.j2").write_text("my own template\n", encoding="utf-8")
    assert patchbay(["import", str(plan), "-o", str(out)]) == 1
    assert "1.1.j2 already exists; use --force" in capsys.readouterr().err
    assert (out / "prompt_templates" / "1.1.j2").read_text(encoding="utf-8") == "my own template\n"
    assert not (out / "runbook.yaml").exists()


def test_importing_twice_with_force_gives_the_same_bytes(tmp_path: Path) -> None:
    plan = write(tmp_path, SMALL)
    out = tmp_path / "out"
    assert patchbay(["import", str(plan), "-o", str(out)]) == 0
    first = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    assert patchbay(["import", str(plan), "-o", str(out), "--force"]) == 0
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == first


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda tmp: tmp / "missing.md", "plan file {plan} does not exist."),
        (lambda tmp: tmp, "{plan} is a folder, not a Markdown plan."),
        (
            lambda tmp: write(
                tmp, "# Notes\n\nJust prose, and a table:\n\n| a | b |\n|---|---|\n| x | y |\n"
            ),
            "{plan}: no tasks found (expected task tables with an ID column, ```yaml task specs with "
            "task_id, or a numbered list of issues).",
        ),
        (lambda tmp: write(tmp, ""), "{plan}: no tasks found"),
    ],
)
def test_bad_plans_are_one_sentence_and_exit_1(tmp_path: Path, capsys, setup, message: str) -> None:
    plan = setup(tmp_path)
    assert patchbay(["import", str(plan), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("patchbay: " + message.format(plan=plan))
    assert err.count("\n") == 1
    assert not (tmp_path / "out" / "runbook.yaml").exists()


def test_a_plan_that_is_not_utf8_names_the_line(tmp_path: Path, capsys) -> None:
    plan = tmp_path / "plan.md"
    plan.write_bytes(b"# Plan\n\n| ID | Task |\n|---|---|\n| 1 | caf\xe9 |\n")
    assert patchbay(["import", str(plan), "-o", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err == f"patchbay: {plan}:5: the plan is not UTF-8 text.\n"


def test_an_output_path_that_is_a_file_is_refused(tmp_path: Path, capsys) -> None:
    plan = write(tmp_path, SMALL)
    target = write(tmp_path, "keep me", "out")
    assert patchbay(["import", str(plan), "-o", str(target)]) == 1
    assert capsys.readouterr().err == f"patchbay: {target} exists and is not a folder.\n"
    assert target.read_text(encoding="utf-8") == "keep me"


def test_cycles_are_broken_and_reported(tmp_path: Path, capsys) -> None:
    plan = write(
        tmp_path,
        "# C\n\n| ID | Task | Depends on |\n|---|---|---|\n| a1 | A | b1 |\n| b1 | B | a1 |\n| c1 | C | c1 |\n",
    )
    out = tmp_path / "out"
    assert patchbay(["import", str(plan), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"{plan}:6: task 'b1' depending on 'a1' would close a cycle; skipped" in err
    assert {task_id: task["depends_on"] for task_id, task in task_map(out).items()} == {
        "a1": ["b1"],
        "b1": [],
        "c1": [],
    }
    assert_runbook_valid(out)


def test_duplicate_ids_keep_the_first_and_report_the_second(tmp_path: Path, capsys) -> None:
    plan = write(tmp_path, "# D\n\n| ID | Task |\n|---|---|\n| 1.1 | One |\n| 1.1 | Again |\n")
    out = tmp_path / "out"
    assert patchbay(["import", str(plan), "-o", str(out)]) == 0
    assert f"{plan}:6: skipped a second task '1.1' (first at line 5)" in capsys.readouterr().err
    assert task_map(out)["1.1"]["name"] == "One"
    assert_runbook_valid(out)


def test_the_dependency_graph_is_cross_checked_not_added(tmp_path: Path, capsys) -> None:
    plan = write(
        tmp_path,
        "# G\n\n## Phase 1\n\n| ID | Task | Depends on |\n|---|---|---|\n"
        "| 1.1 | A | – |\n| 1.2 | B | 1.1 |\n| 1.3 | C | 1.1 |\n\n"
        "## Dependency graph\n\n```\n1.1 → 1.2\n1.2 → 1.3\n```\n",
    )
    out = tmp_path / "out"
    assert patchbay(["import", str(plan), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    # 1.3 → 1.1 is drawn through 1.2, so only the extra graph edge is reported
    assert err == f"warning: {plan}:15: dependency graph has 1.2 → 1.3, the tasks do not; not added\n"
    assert task_map(out)["1.3"]["depends_on"] == ["1.1"]


def test_a_table_edge_missing_from_the_graph_is_reported(tmp_path: Path, capsys) -> None:
    plan = write(
        tmp_path,
        "# G\n\n| ID | Task | Depends on |\n|---|---|---|\n"
        "| 1.1 | A | – |\n| 1.2 | B | – |\n| 1.3 | C | 1.1 & 1.2 |\n\n"
        "Dependency graph:\n\n```text\n1.1 → 1.3\n1.1 -> 1.2\n```\n",
    )
    assert patchbay(["import", str(plan), "-o", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err == (
        f"warning: {plan}:7: task '1.3' depends on '1.2', the dependency graph (line 12) does not show it\n"
        f"warning: {plan}:13: dependency graph has 1.1 → 1.2, the tasks do not; not added\n"
    )


def test_odd_tables_still_import(tmp_path: Path) -> None:
    plan = write(
        tmp_path,
        "# Odd\n\n### Step 2: Wiring\n\n"
        "**ID** | **Task** | 🔗 | Notes | Prompt\n:-- | :-- | :-: | -- | --\n"
        "`2.1` | Wire it | — | keep it short | 'Connect `a` to `b`' | and | more\n"
        "2.2 | Test it | 2.1 | | Add a test for a | b\n",
    )
    out = tmp_path / "out"
    assert patchbay(["import", str(plan), "-o", str(out)]) == 0
    tasks = task_map(out)
    assert tasks["2.2"]["depends_on"] == ["2.1"] and tasks["2.2"]["group"] == "Step 2: Wiring"
    assert render_prompt(out, tasks["2.1"]) == "'Connect `a` to `b`' | and | more"
    assert render_prompt(out, tasks["2.2"]) == "Add a test for a | b"
    assert tasks["2.1"]["description"] == "keep it short"
    assert_runbook_valid(out)


def test_a_phase_column_and_a_task_description_header_are_understood(tmp_path: Path) -> None:
    plan = write(
        tmp_path,
        "# One table\n\n## 🧰 Agent prompt template\n\n```text\nBe brief.\n```\n\n"
        "| Phase | Task ID | Task Description | Dependencies | Prompt |\n|---|---|---|---|---|\n"
        '| Phase 1 | 1.1 | Scaffold | None | "Create it." |\n'
        '| Phase 2 | 2.1 | Build | Phase 1 | "Build it." |\n',
    )
    out = tmp_path / "out"
    assert patchbay(["import", str(plan), "-o", str(out)]) == 0
    tasks = task_map(out)
    assert [(t["group"], t["name"], t["depends_on"]) for t in tasks.values()] == [
        ("Phase 1", "Scaffold", []),
        ("Phase 2", "Build", ["1.1"]),
    ]
    assert (out / "prompt_templates" / "agent_wrapper.j2").read_text(encoding="utf-8") == "Be brief.\n"
    assert_runbook_valid(out)


def test_the_import_command_does_not_load_textual() -> None:
    import subprocess
    import sys

    code = "import sys, tui.commands.import_plan; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
