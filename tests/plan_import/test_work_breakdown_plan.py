"""The large work-breakdown plan (tables per phase, wrapper, dependency graph) imports completely."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from tui.cli import main as patchbay

from .runbook_checks import assert_runbook_valid, load_runbook, render_prompt, task_map

PLAN = Path(__file__).parent / "plans" / "ledgerline_wbs.md"

R = [f"3.{n}" for n in range(1, 6)]
EXPECTED_DEPENDS = {
    "0.1": [], "0.2": ["0.1"],
    "1.1": ["0.1"], "1.2": ["1.1"], "1.3": ["1.1"], "1.4": ["1.1"], "1.5": ["1.1"],
    "1.6": ["1.2", "1.3", "1.4", "1.5"], "1.7": ["1.6"], "1.8": ["1.6"], "1.9": ["1.8"],
    "1.10": ["1.8", "1.9"],
    "2.1": ["1.3"], "2.2": ["2.1"], "2.3": ["2.1"], "2.4": ["2.2", "2.3"],
    "3.1": ["1.6", "2.4"], "3.2": ["3.1"], "3.3": ["3.1"], "3.4": ["3.1", "3.3"], "3.5": ["3.2", "3.3", "3.4"],
    "4.1": ["1.4"], "4.2": ["4.1", "3.1"], "4.3": ["4.1"], "4.4": ["4.1", "4.2", "4.3"],
    "5.1": ["1.8"], "5.2": ["5.1"], "5.3": ["5.1"], "5.4": ["5.1", "5.2", "5.3"],
    "6.1": ["0.1"], "6.2": ["6.1", "3.2", "5.1"], "6.3": ["6.2", "3.3"], "6.4": ["6.1", "4.2"],
    "6.5": ["6.2", "6.3", "6.4"],
    "7.1": ["1.6"], "7.2": ["7.1", "1.5"], "7.3": ["7.2", *R], "7.4": ["7.1", "7.2", "7.3"],
    "8.1": ["7.1"], "8.2": ["8.1", "1.4"], "8.3": ["8.1", "8.2", "6.1"],
    "9.1": ["6.2"], "9.2": ["9.1", "5.1"], "9.3": ["9.2"],
    "10.1": ["6.5"], "10.2": ["4.4", "10.1"], "10.3": [*R, "5.1", "5.2", "5.3", "5.4"],
    "11.1": ["10.1", "10.2", "10.3"], "11.2": ["11.1", "9.2", "8.3"], "11.3": ["11.2"],
}  # fmt: skip
GROUPS = {
    "0": "Phase 0 – Bootstrap",
    "1": "Phase 1 – Data Model",
    "2": "Phase 2 – CSV Parsers",
    "3": "Phase 3 – Change Engine",
    "4": "Phase 4 – Categorisation Rules",
    "5": "Phase 5 – Storage",
    "6": "Phase 6 – CLI",
    "7": "Phase 7 – Reports",
    "8": "Phase 8 – Sync \u2215 Export",  # a heading's "/" must not nest the group
    "9": "Phase 9 – Performance",
    "10": "Phase 10 — Documentation",
    "11": "Phase 11 - Release",
}
MANUAL = {"9.3", "11.2", "11.3"}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str, str]:
    """One import shared by the tests below (capsys is per test, so the output is captured here)."""
    out = tmp_path_factory.mktemp("wbs") / "runbook"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = patchbay(["import", str(PLAN), "-o", str(out)])
    return out, code, stdout.getvalue(), stderr.getvalue()


def test_import_exits_zero_and_prints_the_summary(imported) -> None:
    out, code, stdout, stderr = imported
    assert code == 0, stderr
    assert f"imported 50 tasks in 12 groups with 94 dependencies into {out}" in stdout
    assert "47 AI_ASSISTED, 3 MANUAL" in stdout
    assert stderr == ""  # the plan is consistent, the graph block agrees: nothing skipped


def test_every_task_is_imported_in_plan_order_with_ids_as_strings(imported) -> None:
    out = imported[0]
    ids = [entry["id"] for entry in load_runbook(out)["tasks"]]
    assert ids == list(EXPECTED_DEPENDS)
    text = (out / "runbook.yaml").read_text(encoding="utf-8")
    assert 'id: "1.10"' in text and 'id: "1.1"' in text


def test_every_dependency_resolves_including_ranges_lists_and_wildcards(imported) -> None:
    tasks = task_map(imported[0])
    assert {task_id: task["depends_on"] for task_id, task in tasks.items()} == EXPECTED_DEPENDS
    assert sum(len(deps) for deps in EXPECTED_DEPENDS.values()) == 94


def test_phases_become_groups(imported) -> None:
    for task_id, task in task_map(imported[0]).items():
        assert task["group"] == GROUPS[task_id.split(".")[0]], task_id


def test_types_and_statuses(imported) -> None:
    for task_id, task in task_map(imported[0]).items():
        assert task["type"] == ("MANUAL" if task_id in MANUAL else "AI_ASSISTED"), task_id
        assert task["status"] == ("READY" if task_id == "0.1" else "PENDING"), task_id


def test_prompts_render_back_to_the_plan_text(imported) -> None:
    out = imported[0]
    tasks = task_map(out)
    assert render_prompt(out, tasks["1.1"]) == (
        "Implement `Money` as a frozen dataclass holding `amount: Decimal` and `currency: str`; "
        "support `+`, `-`, comparison within one currency and raise `CurrencyMismatch` otherwise."
    )
    # escaped pipe and pipes inside code spans stay in the prompt, not cell separators
    assert "`account_id|date|amount|payee`" in render_prompt(out, tasks["1.3"])
    assert "`payee ~ /REWE|EDEKA/i -> food.groceries`" in render_prompt(out, tasks["4.1"])
    assert "`` `a | b` ``" in render_prompt(out, tasks["3.4"])
    assert "[--format table|json]" in render_prompt(out, tasks["7.3"])
    # literal Jinja in a prompt survives rendering
    assert "`{{ user_name }}` and `{% if salary %}` must appear verbatim" in render_prompt(out, tasks["4.3"])
    assert '`__version__ = "0.1.0"`' in render_prompt(out, tasks["0.1"])
    for task_id, task in tasks.items():
        if task_id not in MANUAL:
            assert not render_prompt(out, task).startswith('"'), "outer quotes are removed"


def test_output_column_becomes_the_artifact_and_extra_columns_the_description(imported) -> None:
    tasks = task_map(imported[0])
    assert tasks["0.2"]["ai_details"]["output_artifact"] == ".github/workflows/ci.yml"
    assert tasks["1.10"]["ai_details"]["files_to_modify"] == ["tests/test_schema.py"]
    assert "Est.: 3h" in tasks["3.3"]["description"]
    assert tasks["9.3"]["manual_instructions"] == "Profile review"


def test_the_shared_wrapper_becomes_the_system_template(imported) -> None:
    out = imported[0]
    assert load_runbook(out)["defaults"] == {"system_template": "agent_wrapper.j2"}
    wrapper = (out / "prompt_templates" / "agent_wrapper.j2").read_text(encoding="utf-8")
    assert wrapper.startswith("You are a senior Python engineer working in the `ledgerline` repository")
    assert "```diff block" in wrapper


def test_the_runbook_validates(imported) -> None:
    assert_runbook_valid(imported[0])
