"""`import_plan`: read a Markdown plan, find its tasks in any of the three shapes, resolve the
dependencies and write a runbook that validates."""

from __future__ import annotations

from pathlib import Path

from tui.errors import LocatedError, Location, PatchbayError
from tui.plan_import.backlog import read_backlog
from tui.plan_import.context_blocks import find_graph, find_wrapper
from tui.plan_import.dependencies import TaskIndex, drop_cycles, reaches, resolve
from tui.plan_import.markdown import MarkdownDocument, parse_markdown
from tui.plan_import.model import ImportReport, Note, Plan, PlanTask
from tui.plan_import.work_breakdown import read_tables
from tui.plan_import.writer import write_runbook
from tui.plan_import.yaml_specs import read_yaml_specs


def import_plan(plan_path: Path, output: Path, force: bool = False) -> ImportReport:
    """Turn the plan at `plan_path` into a runbook folder at `output`.

    Raises PatchbayError for a plan that cannot be read or holds no tasks, and when `output` already
    holds a runbook (unless `force`). References that resolve to no task are skipped and reported in
    the returned report's notes, with the plan's line.
    """
    plan = read_plan(plan_path)
    write_runbook(plan, output, force)
    groups = {task.group for task in plan.tasks if task.group}
    return ImportReport(
        plan=plan_path,
        output=output,
        tasks=len(plan.tasks),
        groups=len(groups),
        dependencies=sum(len(task.depends_on) for task in plan.tasks),
        ai_tasks=sum(1 for task in plan.tasks if task.is_ai),
        manual_tasks=sum(1 for task in plan.tasks if task.task_type == "MANUAL"),
        has_wrapper=plan.wrapper is not None,
        notes=tuple(sorted(plan.notes, key=lambda note: note.line or 0)),
        script_tasks=sum(1 for task in plan.tasks if task.task_type == "AUTOMATED_SCRIPT"),
    )


def read_plan(plan_path: Path) -> Plan:
    return parse_plan(_read_text(plan_path), plan_path)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PatchbayError(f"plan file {path} does not exist.") from None
    except IsADirectoryError:
        raise PatchbayError(f"{path} is a folder, not a Markdown plan.") from None
    except OSError as exc:
        raise PatchbayError(f"cannot read the plan {path}: {exc.strerror or exc}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LocatedError(Location(path, line), "the plan is not UTF-8 text.") from None


def parse_plan(text: str, path: Path) -> Plan:
    doc = parse_markdown(text)
    notes: list[Note] = []
    found = [*read_tables(doc, notes), *read_yaml_specs(doc, notes), *read_backlog(doc, notes)]
    found.sort(key=lambda task: task.line)
    tasks = _merge_duplicates(found, notes)
    if not tasks:
        raise PatchbayError(
            f"{path}: no tasks found (expected task tables with an ID column, ```yaml task specs "
            "with task_id, or a numbered list of issues)."
        )
    wrapper = find_wrapper(doc, tasks[0].line)
    plan = Plan(path=path, name=_plan_name(doc, path), tasks=tasks, notes=notes)
    plan.wrapper = wrapper.text if wrapper is not None else None
    _resolve_dependencies(plan)
    _cross_check_graph(plan, doc)
    return plan


def _plan_name(doc: MarkdownDocument, path: Path) -> str:
    title = next((heading.text for heading in doc.headings if heading.level == 1 and heading.text), "")
    return title or path.stem


def _merge_duplicates(found: list[PlanTask], notes: list[Note]) -> list[PlanTask]:
    """A YAML spec for an id a table already listed adds its details; other repeats are skipped."""
    tasks: dict[str, PlanTask] = {}
    for task in found:
        first = tasks.get(task.id)
        if first is None:
            tasks[task.id] = task
        elif first.source == task.source == "yaml" and not first.prompt and task.prompt:
            tasks[task.id] = task  # an earlier block only mentioned the task; this is its spec
        elif first.source != task.source:
            _merge(first, task)
        else:
            notes.append(Note(task.line, f"skipped a second task {task.id!r} (first at line {first.line})"))
    return list(tasks.values())


def _merge(first: PlanTask, extra: PlanTask) -> None:
    first.prompt = first.prompt or extra.prompt
    first.validation_command = first.validation_command or extra.validation_command
    first.context_budget = first.context_budget or extra.context_budget
    for ref in extra.context_files:
        first.add_context_file(ref)
    first.output_paths += [path for path in extra.output_paths if path not in first.output_paths]
    first.review_points += extra.review_points
    first.description += extra.description
    first.dependency_texts += extra.dependency_texts


def _resolve_dependencies(plan: Plan) -> None:
    index = TaskIndex([task.id for task in plan.tasks], {task.id: task.group for task in plan.tasks})
    depends: dict[str, list[str]] = {}
    for task in plan.tasks:
        ids: list[str] = []
        prose: list[tuple[str, int]] = []
        for written in task.dependency_texts:
            resolution = resolve(written.text, index, owner=task.id)
            for problem in resolution.problems:
                plan.notes.append(Note(written.line, f"task {task.id!r}: {problem}; skipped"))
            if resolution.prose:
                prose.append((" ".join(written.text.split()), written.line))
            ids += [task_id for task_id in resolution.ids if task_id not in ids]
        depends[task.id] = ids
        if prose:  # one note per task, however many words; the text itself stays with the task
            said = "; ".join(text for text, _ in prose)
            task.description.append(f"Depends on: {said}")
            plan.notes.append(
                Note(
                    prose[0][1],
                    f"task {task.id!r}: its dependencies {said!r} hold words that are no task "
                    "reference; kept in its description",
                )
            )
    order = [task.id for task in plan.tasks]
    for task_id, dep in drop_cycles(order, depends):
        line = next(task.line for task in plan.tasks if task.id == task_id)
        plan.notes.append(Note(line, f"task {task_id!r} depending on {dep!r} would close a cycle; skipped"))
    for task in plan.tasks:
        task.depends_on = depends[task.id]


def _cross_check_graph(plan: Plan, doc: MarkdownDocument) -> None:
    """A dependency-graph block repeats the tables' edges: report where the two disagree, add nothing."""
    edges = find_graph(doc)
    if not edges:
        return
    index = TaskIndex([task.id for task in plan.tasks], {task.id: task.group for task in plan.tasks})
    tables = {task.id: task.depends_on for task in plan.tasks}
    graph: dict[str, list[str]] = {}
    for edge in edges:
        before, after = resolve(edge.before, index), resolve(edge.after, index)
        # words in a drawing (labels, mermaid syntax) are fine: only unresolved references are noted
        for problem in before.problems + after.problems:
            plan.notes.append(Note(edge.line, f"dependency graph: {problem}"))
        for later in after.ids:
            for earlier in before.ids:
                if earlier == later:
                    continue
                graph.setdefault(later, []).append(earlier)
                if not reaches(tables, later, earlier):
                    plan.notes.append(
                        Note(
                            edge.line,
                            f"dependency graph has {earlier} → {later}, the tasks do not; not added",
                        )
                    )
    drawn = set(graph) | {dep for deps in graph.values() for dep in deps}
    first_line = edges[0].line
    for task in plan.tasks:
        for dep in task.depends_on:
            if task.id in drawn and dep in drawn and not reaches(graph, task.id, dep):
                plan.notes.append(
                    Note(
                        task.line,
                        f"task {task.id!r} depends on {dep!r}, the dependency graph "
                        f"(line {first_line}) does not show it",
                    )
                )
