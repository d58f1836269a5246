"""Runbook-wide checks over the drafted tasks: ids, dependencies, cycles, templates and models.

Every check is linear in the number of tasks and dependency edges.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.runbook.problems import ProblemLog
from tui.runbook.task_fields import Written

if TYPE_CHECKING:
    from tui.runbook.loader import TaskDraft

_TEMPLATE_KEYS = ("prompt_template", "fallback_prompt_template", "system_template")


def check_tasks(
    drafts: list[TaskDraft],
    defaults: dict[str, Written],
    log: ProblemLog,
    template: Callable[[str], Path | None],
    known_models: set[str] | None,
) -> None:
    first = _check_unique_ids(drafts)
    _check_dependencies(drafts, first)
    _check_cycles(drafts, first)
    for key in ("system_template",):
        if key in defaults:
            _check_template(defaults[key], template)
    if known_models is not None and "model" in defaults:
        _check_model(defaults["model"], known_models)
    for draft in drafts:
        _check_kind(draft)
        for key in _TEMPLATE_KEYS:
            if key in draft.ai:
                _check_template(draft.ai[key], template)
        if known_models is not None and "model" in draft.ai:
            _check_model(draft.ai["model"], known_models)


def task_type(draft: TaskDraft) -> str:
    written = draft.fields.get("type")
    if written is not None:
        return written.value
    if draft.ai:
        return "AI_ASSISTED"
    if "script_details" in draft.fields:
        return "AUTOMATED_SCRIPT"
    return "MANUAL"


def _check_unique_ids(drafts: list[TaskDraft]) -> dict[str, TaskDraft]:
    first: dict[str, TaskDraft] = {}
    for draft in drafts:
        task_id = draft.id
        if task_id is None:
            continue
        earlier = first.get(task_id)
        if earlier is None:
            first[task_id] = draft
            continue
        written = draft.fields["id"]
        written.reader.error(
            written.node,
            f"duplicate task id `{task_id}`; it is first used at {earlier.fields['id'].location}.",
        )
    return first


def _check_dependencies(drafts: list[TaskDraft], first: dict[str, TaskDraft]) -> None:
    for draft in drafts:
        written = draft.fields.get("depends_on")
        if written is None:
            continue
        for dep, node in written.value:
            if dep in first:
                continue
            close = difflib.get_close_matches(dep, first, n=1) if len(first) < 5_000 else []
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            written.reader.error(
                node, f"task `{draft.id}` depends on `{dep}`, which is not a task in this runbook{hint}."
            )


def _check_cycles(drafts: list[TaskDraft], first: dict[str, TaskDraft]) -> None:
    """Report one cycle per strongly connected component (Tarjan's algorithm, iterative)."""
    edges: dict[str, list[tuple[str, object]]] = {
        task_id: [(dep, node) for dep, node in draft.depends_on() if dep in first]
        for task_id, draft in first.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = edges[node]
            if position < len(successors):
                work.append((node, position + 1))
                nxt = successors[position][0]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or any(dep == node for dep, _ in edges[node]):
                    _report_cycle(set(component), edges, first)


def _report_cycle(component: set[str], edges: dict[str, list[tuple[str, object]]], first) -> None:
    # Walk from the component's first task in runbook order, always to a member, until a repeat.
    start = next(task_id for task_id in first if task_id in component)
    path = [start]
    seen = {start: 0}
    node_of_edge = []
    current = start
    while True:
        dep, node = next((dep, node) for dep, node in edges[current] if dep in component)
        node_of_edge.append(node)
        if dep in seen:
            cycle = [*path[seen[dep] :], dep]
            closing = node_of_edge[-1]
            draft = first[current]
            draft.fields["depends_on"].reader.error(closing, f"dependency cycle: {' -> '.join(cycle)}.")
            return
        seen[dep] = len(path)
        path.append(dep)
        current = dep


def _check_kind(draft: TaskDraft) -> None:
    if draft.id is None:
        return  # the missing id has been reported; more about this entry would be noise
    kind = task_type(draft)
    reader, node = draft.reader, draft.entry
    if "type" in draft.fields:
        reader, node = draft.fields["type"].reader, draft.fields["type"].node
    if kind == "AI_ASSISTED" and "prompt_template" not in draft.ai:
        reader.error(node, f"AI_ASSISTED task `{draft.id}` has no ai_details.prompt_template.")
    if kind == "AUTOMATED_SCRIPT" and "script_details" not in draft.fields:
        reader.error(node, f"AUTOMATED_SCRIPT task `{draft.id}` has no script_details command.")


def _check_template(written: Written, template: Callable[[str], Path | None]) -> None:
    name = written.value
    if name and template(name) is None:
        written.reader.error(
            written.node,
            f"the template `{name}` was not found (looked in the runbook's prompt_templates/, "
            "the shipped templates and the runbook folder).",
        )


def _check_model(written: Written, known_models: set[str]) -> None:
    if written.value not in known_models:
        known = ", ".join(sorted(known_models)) or "none"
        written.reader.warning(
            written.node, f"the model `{written.value}` is not in the model registry (known: {known})."
        )
