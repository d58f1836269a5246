"""Dependency cells as plans write them, resolved against the ids that exist."""

from __future__ import annotations

import pytest

from tui.plan_import.dependencies import TaskIndex, resolve

IDS = ["0.1", "1.1", "1.2", "1.3", "1.4", "1.5", "1.10", "2.1", "2.2", "2.3",
       "2.8", "2.9", "2.10", "3.1", "3.2", "3.3", "7.2", "13", "15", "T01", "T02", "T03"]  # fmt: skip
GROUPS = {task_id: f"Phase {task_id.split('.')[0]} – Stuff" for task_id in IDS}


@pytest.fixture
def index() -> TaskIndex:
    return TaskIndex(IDS, GROUPS)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("–", []),
        ("-", []),
        ("—", []),
        ("None", []),
        ("n/a", []),
        ("0.1", ["0.1"]),
        ("**1.1**", ["1.1"]),
        ("`1.2`", ["1.2"]),
        ("1.3\u20111.5", ["1.3", "1.4", "1.5"]),  # non-breaking hyphen
        ("1.3–1.5", ["1.3", "1.4", "1.5"]),  # en dash
        ("1.3-1.5", ["1.3", "1.4", "1.5"]),
        ("1.3 – 1.5", ["1.3", "1.4", "1.5"]),
        ("1.3 to 1.5", ["1.3", "1.4", "1.5"]),
        ("1.3-5", ["1.3", "1.4", "1.5"]),
        ("2.8-2.10", ["2.8", "2.9", "2.10"]),  # numeric, not string order
        ("1.1‑1.10", ["1.1", "1.2", "1.3", "1.4", "1.5", "1.10"]),
        ("1.5-1.3", ["1.3", "1.4", "1.5"]),
        ("1.6 & 2.2\u20112.3", ["2.2", "2.3"]),  # 1.6 is reported, the rest kept
        ("3.1 & 3.3", ["3.1", "3.3"]),
        ("7.2 & 3.*", ["7.2", "3.1", "3.2", "3.3"]),
        ("Phase 3", ["3.1", "3.2", "3.3"]),
        ("all of phase 2", ["2.1", "2.2", "2.3", "2.8", "2.9", "2.10"]),
        ("1.1, 1.2; 2.1 and 2.2", ["1.1", "1.2", "2.1", "2.2"]),
        ("1.1<br>1.2", ["1.1", "1.2"]),
        ("Issue #13, #15", ["13", "15"]),
        ("T01-T03", ["T01", "T02", "T03"]),
        ("1.2 (partial)", ["1.2"]),
        ("1.2.", ["1.2"]),
        ("1.5-2.1", ["1.5", "1.10", "2.1"]),  # across phases: plan order between the ends
    ],
)
def test_dependency_cells_resolve(cell: str, expected: list[str], index: TaskIndex) -> None:
    assert resolve(cell, index).ids == expected


def test_the_owner_is_left_out_of_its_own_wildcard(index: TaskIndex) -> None:
    assert resolve("3.*", index, owner="3.2").ids == ["3.1", "3.3"]


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("9.9", "dependency '9.9' matches no task"),
        ("8.*", "wildcard '8.*' matches no task"),
        ("5.1-5.3", "range 5.1-5.3 matches no task"),
        ("#99", "dependency '#99' matches no task"),
        ("1.6 & 2.2‑2.3", "dependency '1.6' matches no task"),
    ],
)
def test_unresolvable_references_are_named(cell: str, problem: str, index: TaskIndex) -> None:
    assert problem in resolve(cell, index).problems


def test_a_range_with_a_missing_end_keeps_what_exists_and_says_so(index: TaskIndex) -> None:
    resolution = resolve("1.3-1.6", index)
    assert resolution.ids == ["1.3", "1.4", "1.5"]
    assert resolution.problems == ["range 1.3-1.6: 1.6 matches no task"]


def test_an_id_with_a_hyphen_is_not_taken_for_a_range() -> None:
    index = TaskIndex(["T-1", "T-2", "T-3"], {})
    assert resolve("T-2", index).ids == ["T-2"]


def test_prose_is_kept_apart_from_unresolved_references(index: TaskIndex) -> None:
    resolution = resolve("1.2 after the schema review", index)
    assert resolution.ids == ["1.2"]
    assert resolution.problems == []
    assert resolution.prose == ["schema", "review"]
