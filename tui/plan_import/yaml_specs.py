"""Task specs in fenced ```yaml blocks: `task_id`, `structured_prompt`, `input`, `output`, `validation`...

Scalars are read as the text written (the YAML is composed, never resolved), so `task_id: 1.10`
stays "1.10" instead of becoming the float 1.1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from tui.plan_import.markdown import Fence, Heading, MarkdownDocument, clean_inline, group_name
from tui.plan_import.model import ContextRef, DependencyText, Note, PlanTask
from tui.plan_import.paths import file_paths, line_ranges, looks_like_file, without_line_ranges
from tui.plan_import.task_kinds import kind_of

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ID_KEYS = ("task_id", "taskid", "task-id", "id")
NAME_KEYS = ("name", "title", "task_name", "task", "summary")
GROUP_KEYS = ("phase", "group", "milestone", "section", "epic")
DEPENDS_KEYS = ("depends_on", "dependencies", "depends", "deps", "requires", "prerequisites", "blocked_by")
BUDGET_KEYS = ("context_size", "context_budget", "context_window", "token_budget", "max_context")
INPUT_KEYS = ("input", "inputs", "context_files", "input_files", "files_to_read", "context")
OUTPUT_KEYS = ("output", "outputs", "output_artifact", "deliverable", "deliverables", "files_to_modify")
PROMPT_KEYS = ("structured_prompt", "prompt", "agent_prompt", "llm_prompt", "ai_prompt")
VALIDATION_KEYS = ("validation", "verification", "validation_command", "verify", "test_command", "tests")
REVIEW_KEYS = ("acceptance_criteria", "review_points", "checks", "criteria", "done_when")
DESCRIPTION_KEYS = ("description", "details", "goal", "objective", "notes", "summary")
TYPE_KEYS = ("type", "task_type", "kind", "executor", "mode")
COMMAND_KEYS = ("command", "script", "run", "cmd")
# A mapping with a task_id but none of these only mentions a task (an orchestration sketch, a
# schedule); it is not the task's spec.
_CONTENT_KEYS = (
    *PROMPT_KEYS, *NAME_KEYS, *DESCRIPTION_KEYS, *VALIDATION_KEYS, *INPUT_KEYS, *OUTPUT_KEYS, *REVIEW_KEYS, *COMMAND_KEYS,
)  # fmt: skip
# Lines of a structured prompt: `INPUT FILE: a.py`, `INPUT LINES (a.py:68-71)`, `VALIDATION: ...`
_INPUT_LINE = re.compile(
    r"^[\s*\-#>]*INPUT[ _](?:FILES?|LINES?)\b(?P<rest>.*)$", re.IGNORECASE | re.MULTILINE
)
_VALIDATION_LINE = re.compile(
    r"^[\s*\-#>]*VALIDATION\**\s*:\**\s*(?P<rest>\S.*)$", re.IGNORECASE | re.MULTILINE
)
_TITLE_SEPARATORS = " \t:.)-\u2010\u2011\u2012\u2013\u2014\u2212|"


@dataclass(frozen=True)
class Value:
    """A composed YAML value: text, list or mapping of Values, and the plan line it starts on."""

    data: object
    line: int

    def text(self) -> str:
        if isinstance(self.data, str):
            return self.data
        if isinstance(self.data, list):
            return ", ".join(item.text() for item in self.data)
        return ", ".join(f"{key}: {value.text()}" for key, value in self.data.items())

    def texts(self) -> list[Value]:
        return list(self.data) if isinstance(self.data, list) else [self]


def _value(node: yaml.Node, first_line: int) -> Value:
    line = first_line + node.start_mark.line
    if isinstance(node, yaml.MappingNode):
        return Value({str(_value(k, first_line).text()): _value(v, first_line) for k, v in node.value}, line)
    if isinstance(node, yaml.SequenceNode):
        return Value([_value(item, first_line) for item in node.value], line)
    return Value(str(node.value), line)


def read_yaml_specs(doc: MarkdownDocument, notes: list[Note]) -> list[PlanTask]:
    tasks: list[PlanTask] = []
    for fence in doc.fences:
        if fence.info not in ("yaml", "yml"):
            continue
        for spec in _specs_in(fence, notes):
            task = _spec_task(spec, fence, doc, notes)
            if task is not None:
                tasks.append(task)
    return tasks


def _specs_in(fence: Fence, notes: list[Note]) -> list[Value]:
    try:
        values = [
            _value(node, fence.line + 1) for node in yaml.compose_all(fence.text, Loader=_Loader) if node
        ]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = fence.line + 1 + mark.line if mark is not None else fence.line
        problem = getattr(exc, "problem", None) or "not valid YAML"
        notes.append(Note(line, f"skipped a YAML block that does not parse ({problem})"))
        return []
    except RecursionError:
        notes.append(Note(fence.line, "skipped a YAML block nested too deeply to read"))
        return []
    specs: list[Value] = []
    for value in values:
        if isinstance(value.data, dict) and isinstance(value.data.get("tasks"), Value):
            value = value.data["tasks"]
        for item in value.texts():
            if isinstance(item.data, dict):
                specs.append(item)
    return specs


def _first(spec: dict[str, Value], keys: tuple[str, ...]) -> Value | None:
    for key in keys:
        if key in spec:
            return spec[key]
    return None


def _spec_task(spec_value: Value, fence: Fence, doc: MarkdownDocument, notes: list[Note]) -> PlanTask | None:
    spec: dict[str, Value] = {key.lower(): value for key, value in spec_value.data.items()}
    id_value = _first(spec, ID_KEYS)
    if id_value is None or not isinstance(id_value.data, str) or not id_value.data.strip():
        if _first(spec, PROMPT_KEYS) is not None:
            notes.append(Note(spec_value.line, "skipped a YAML task spec without task_id"))
        return None
    if not any(key in spec for key in _CONTENT_KEYS):
        return None
    task_id = id_value.data.strip()
    prompt_value = _first(spec, PROMPT_KEYS)
    prompt = prompt_value.text().strip() if prompt_value is not None else ""
    heading = _task_heading(doc, fence, task_id)
    name_value = _first(spec, NAME_KEYS)
    name = _heading_title(heading, task_id) if heading is not None else ""
    if not name and name_value is not None:
        name = clean_inline(name_value.text())
    if not name or "\n" in name:
        first = clean_inline(prompt.split("\n", 1)[0]) if prompt else ""
        name = (first[:69] + "...") if len(first) > 72 else (first or f"Task {task_id}")
    group_value = _first(spec, GROUP_KEYS)
    if group_value is not None:
        group = group_name(clean_inline(group_value.text()))
    else:
        chain = doc.enclosing_headings(heading.line if heading is not None else fence.line)
        if heading is not None:
            chain = [outer for outer in chain if outer.level < heading.level]
        group = group_name(*(outer.text for outer in chain))
    task = PlanTask(
        id=task_id, name=name, line=id_value.line, group=group or None, prompt=prompt or None, source="yaml"
    )
    _read_prompt_lines(prompt, task)
    depends = _first(spec, DEPENDS_KEYS)
    if depends is not None:
        for item in depends.texts():
            if item.text().strip():
                task.dependency_texts.append(DependencyText(item.text(), item.line))
    _read_budget(spec, task, notes)
    _read_files(spec, task)
    validation = _first(spec, VALIDATION_KEYS)
    if validation is not None:
        commands = [_command(item) for item in validation.texts()]
        task.validation_command = " && ".join(command for command in commands if command) or None
    review = _first(spec, REVIEW_KEYS)
    if review is not None:
        task.review_points += [
            " ".join(item.text().split()) for item in review.texts() if item.text().strip()
        ]
    _read_kind(spec, task, notes)
    described = {*ID_KEYS, *PROMPT_KEYS, *DEPENDS_KEYS, *VALIDATION_KEYS, *REVIEW_KEYS, *GROUP_KEYS}
    described.update(BUDGET_KEYS)
    if task.kind is not None:
        described.update(TYPE_KEYS)
    if task.script_command is not None:
        described.update(COMMAND_KEYS)
    if name_value is not None:
        described.add(next(key for key in NAME_KEYS if key in spec))
    for key, value in spec.items():
        if key in DESCRIPTION_KEYS:
            task.description.insert(0, value.text().strip())
        elif (
            key not in described and key not in INPUT_KEYS and key not in OUTPUT_KEYS and value.text().strip()
        ):
            task.description.append(f"{key}: {value.text().strip()}")
    return task


def _read_kind(spec: dict[str, Value], task: PlanTask, notes: list[Note]) -> None:
    """A `type:` the spec writes keeps its task's type (a script runs its `command:`)."""
    written = _first(spec, TYPE_KEYS)
    if written is None or not isinstance(written.data, str):
        return
    kind = kind_of(written.data)
    if kind is None:
        return  # some other kind of "type" (a feature, a refactor): kept in the description
    if kind == "AUTOMATED_SCRIPT":
        command = _first(spec, COMMAND_KEYS)
        if command is None or not command.text().strip():
            notes.append(
                Note(
                    written.line,
                    f"task {task.id!r} is a script task but names no command; imported as MANUAL",
                )
            )
            task.kind = "MANUAL"
            return
        task.script_command = command.text().strip()
    elif kind == "AI_ASSISTED" and not task.prompt:
        task.prompt = task.name
    task.kind = kind


def _command(item: Value) -> str:
    if isinstance(item.data, dict):
        for key in ("command", "run", "cmd"):
            if key in item.data:
                return item.data[key].text().strip()
        return ""
    return item.text().strip().strip("`").strip()


def _read_budget(spec: dict[str, Value], task: PlanTask, notes: list[Note]) -> None:
    budget = _first(spec, BUDGET_KEYS)
    if budget is None:
        return
    match = re.search(r"(\d[\d,_]*)(\s*[kK])?", budget.text())
    if match is None:
        notes.append(Note(budget.line, f"ignored context size {budget.text()!r} (not a number)"))
        return
    number = int(re.sub(r"[,_]", "", match.group(1)))
    task.context_budget = number * 1000 if match.group(2) else number


def _task_heading(doc: MarkdownDocument, fence: Fence, task_id: str) -> Heading | None:
    """The heading just above the spec when it names the task (`##### P2.1.1: Fix the build`)."""
    heading = doc.heading_before(fence.line, min_level=2)
    if heading is None or _id_in(heading.text, task_id) is None:
        return None
    return heading


def _id_in(text: str, task_id: str) -> re.Match[str] | None:
    # the id as a whole token: "P2.1" is not in "P2.1.1"
    return re.search(rf"(?<![\w.]){re.escape(task_id)}(?![\w]|\.\w)", text)


def _heading_title(heading: Heading, task_id: str) -> str:
    """The heading's words after the id ("P2.1.1: Fix X" -> "Fix X"), else those before it."""
    match = _id_in(heading.text, task_id)
    assert match is not None
    after = heading.text[match.end() :].strip(_TITLE_SEPARATORS)
    if after:
        return after
    before = re.sub(r"(?i)\b(task|step|ticket)\s*#?$", "", heading.text[: match.start()].strip())
    return before.strip(_TITLE_SEPARATORS)


def _read_prompt_lines(prompt: str, task: PlanTask) -> None:
    """What a structured prompt says in its own labelled lines: input files and the validation."""
    for match in _INPUT_LINE.finditer(prompt):
        _add_files(match["rest"], task.context_files, task)
    for match in _VALIDATION_LINE.finditer(prompt):
        point = " ".join(match["rest"].split())
        if point not in task.review_points:
            task.review_points.append(point)


def _add_files(text: str, target: list, task: PlanTask) -> None:
    """Files named in `text`; into context_files with their lines, or into `target` (the outputs)."""
    if target is task.context_files:
        for path, lines in line_ranges(text):
            task.add_context_file(ContextRef(path, lines))
        text = without_line_ranges(text)
        paths = [text.strip()] if looks_like_file(text.strip()) else file_paths(text)
        for path in paths:
            task.add_context_file(ContextRef(path))
        return
    paths = [text.strip()] if looks_like_file(text.strip()) else file_paths(text)
    target.extend(path for path in paths if path not in target)


def _read_files(spec: dict[str, Value], task: PlanTask) -> None:
    for keys, target, label in (
        (INPUT_KEYS, task.context_files, "Input"),
        (OUTPUT_KEYS, task.output_paths, "Output"),
    ):
        value = _first(spec, keys)
        if value is None:
            continue
        for item in value.texts():
            text = item.text().strip()
            if isinstance(item.data, dict):
                path = next((item.data[key] for key in ("path", "file") if key in item.data), None)
                lines = next((item.data[key] for key in ("lines", "line_range") if key in item.data), None)
                if path is not None:
                    text = path.text().strip()
                    if lines is not None and target is task.context_files:
                        text = f"{text}:{lines.text().strip()}"
            _add_files(text, target, task)
        task.description.append(f"{label}: {value.text().strip()}")
