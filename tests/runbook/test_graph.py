"""The dependency graph: READY is computed, the next task, what blocks what, order, interruptions."""

from __future__ import annotations

from tui.runbook.graph import (
    blocked_by,
    dependents,
    effective_status,
    interrupted,
    next_ready,
    root_blockers,
    statuses,
    topological_order,
)
from tui.runbook.loader import load_runbook

RUNBOOK = """\
tasks:
  - {id: a, name: A, status: DONE}
  - {id: b, name: B, status: SKIPPED}
  - {id: c, name: C, status: PENDING, depends_on: [a, b]}
  - {id: d, name: D, status: PENDING, depends_on: [c]}
  - {id: e, name: E, status: READY, depends_on: [d]}
  - {id: f, name: F, status: RUNNING}
  - {id: g, name: G, status: ERROR, depends_on: [a]}
"""


def test_pending_with_finished_dependencies_shows_as_ready(runbook_dir):
    runbook = load_runbook(runbook_dir({"runbook.yaml": RUNBOOK}))
    statuses = {t.id: effective_status(t) for t in runbook.tasks}
    assert statuses == {
        "a": "DONE", "b": "SKIPPED", "c": "READY", "d": "PENDING", "e": "PENDING", "f": "RUNNING", "g": "ERROR",
    }  # fmt: skip
    assert runbook.task("c").status == "PENDING"  # computed, not written
    assert blocked_by(runbook.task("d")) == ["c"]
    assert blocked_by(runbook.task("c")) == []


def test_statuses_in_one_pass_are_the_per_task_answers(runbook_dir):
    runbook = load_runbook(runbook_dir({"runbook.yaml": RUNBOOK}))
    runbook.task("a").status = "ERROR"  # in memory: c now waits for a, as blocked_by says
    expected = {
        task.id: (effective_status(task), blocked_by(task) if effective_status(task) == "PENDING" else [])
        for task in runbook.tasks
    }
    assert statuses(runbook) == expected
    assert expected["c"] == ("PENDING", ["a"]) and expected["e"] == ("PENDING", ["d"])


def test_next_ready_follows_runbook_order_and_in_memory_changes(runbook_dir):
    runbook = load_runbook(runbook_dir({"runbook.yaml": RUNBOOK}))
    assert next_ready(runbook).id == "c"
    runbook.task("c").status = "DONE"
    assert next_ready(runbook).id == "d"
    runbook.task("d").status = "DONE"
    assert next_ready(runbook).id == "e"
    for task in runbook.tasks:
        task.status = "DONE"
    assert next_ready(runbook) is None


def test_interrupted_and_blockers(runbook_dir):
    runbook = load_runbook(runbook_dir({"runbook.yaml": RUNBOOK}))
    assert [t.id for t in interrupted(runbook)] == ["f"]
    assert runbook.task("f").interrupted and not runbook.task("g").interrupted
    assert [t.id for t in root_blockers(runbook)] == ["f", "g"]
    runbook.task("f").status = "READY"
    assert interrupted(runbook) == []


def test_topological_order_puts_dependencies_first(runbook_dir):
    text = "tasks:\n" + "".join(
        f"  - {{id: t{i}, name: T, depends_on: [{', '.join(f't{j}' for j in deps)}]}}\n"
        for i, deps in enumerate([[3], [], [0, 1], [], [2]])
    )
    runbook = load_runbook(runbook_dir({"runbook.yaml": text}))
    order = [t.id for t in topological_order(runbook)]
    assert order == ["t3", "t0", "t1", "t2", "t4"]
    assert dependents(runbook) == {"t0": ["t2"], "t1": ["t2"], "t2": ["t4"], "t3": ["t0"], "t4": []}


def test_long_chain_is_handled_without_recursion(runbook_dir):
    count = 5_000
    text = "tasks:\n" + "".join(
        f"  - {{id: t{i}, name: T, depends_on: [{f't{i + 1}' if i + 1 < count else ''}]}}\n"
        for i in range(count)
    )
    runbook = load_runbook(runbook_dir({"runbook.yaml": text}))
    order = topological_order(runbook)
    assert order[0].id == f"t{count - 1}" and order[-1].id == "t0"
    assert next_ready(runbook).id == f"t{count - 1}"
