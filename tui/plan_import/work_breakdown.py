"""Work-breakdown tables: one pipe table per phase with ID, task, depends-on, output and prompt columns."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.plan_import.markdown import MarkdownDocument, Table, cell_text, clean_inline, group_name
from tui.plan_import.model import DependencyText, Note, PlanTask
from tui.plan_import.paths import file_paths
from tui.plan_import.task_kinds import kind_of

_ID_VALUE = re.compile(r"^[A-Za-z]{0,12}[-_]?\d+(?:[.\-_]\d+)*[a-z]?$")
_QUOTES = (('"', '"'), ("“", "”"), ("'", "'"), ("‘", "’"), ("«", "»"))


@dataclass
class Columns:
    id: int
    name: int | None = None
    depends: int | None = None
    prompt: int | None = None
    output: int | None = None
    validation: int | None = None
    review: int | None = None
    group: int | None = None
    kind: int | None = None
    description: list[int] | None = None


def _words(header: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", clean_inline(header).lower()).split())


def _role(header: str) -> str | None:
    words = _words(header)
    if "prompt" in words:
        return "prompt"
    if any(key in words for key in ("depend", "prereq", "require", "blocked by", "deps")) or words in (
        "after",
        "needs",
        "upstream",
    ):
        return "depends"
    if words in ("id", "task id", "taskid", "no", "nr", "num", "number", "ref", "key", "step", "wbs") or (
        header.strip().strip("*") == "#"
    ):
        return "id"
    if any(key in words for key in ("output", "deliverable", "artifact", "produces", "files")):
        return "output"
    if any(key in words for key in ("validation", "verif", "check", "test command", "command")):
        return "validation"
    if any(key in words for key in ("acceptance", "done when", "criteria", "definition of done")):
        return "review"
    if words in ("phase", "milestone", "epic", "stage", "group", "section"):
        return "group"
    if words in (
        "type",
        "task type",
        "kind",
        "mode",
        "executor",
        "execution",
        "method",
        "how",
        "by",
        "done by",
    ):
        return "kind"
    if words in ("tasks", "title", "name", "summary", "work item", "item", "what") or words.startswith(
        "task"
    ):
        return "name"
    if words in ("description", "details", "detail", "notes", "scope", "context", "goal", "purpose"):
        return "description"
    if not words:
        return "symbol"  # an emoji or an arrow, like ⬆: decided by what the cells hold
    return None


def find_columns(table: Table) -> Columns | None:
    roles: dict[str, int] = {}
    description: list[int] = []
    symbols: list[int] = []
    for position, header in enumerate(table.header):
        role = _role(header)
        if role == "symbol":
            symbols.append(position)
        elif role is None or role == "description" or role in roles:
            description.append(position)
        elif role is not None:
            roles[role] = position
    for position in symbols:
        if "depends" not in roles and _mostly(table, position, _looks_like_dependency):
            roles["depends"] = position
        else:
            description.append(position)
    description.sort()
    if "id" not in roles and table.header and _mostly(table, 0, lambda text: bool(_ID_VALUE.match(text))):
        roles["id"] = 0
    if "id" not in roles or not ({"name", "prompt"} & roles.keys()):
        return None
    description = [position for position in description if position != roles["id"]]
    return Columns(
        id=roles["id"],
        name=roles.get("name"),
        depends=roles.get("depends"),
        prompt=roles.get("prompt"),
        output=roles.get("output"),
        validation=roles.get("validation"),
        review=roles.get("review"),
        group=roles.get("group"),
        kind=roles.get("kind"),
        description=description,
    )


def _mostly(table: Table, position: int, test) -> bool:
    values = [task_id_text(row.cells[position]) for row in table.rows if position < len(row.cells)]
    values = [value for value in values if value]
    return bool(values) and sum(1 for value in values if test(value)) * 5 >= len(values) * 4


def _looks_like_dependency(text: str) -> bool:
    return any(char.isdigit() for char in text) or text.strip() in ("-", "–", "—", "none", "None", "")


def task_id_text(cell: str) -> str:
    """An id cell as written, without the bold or code marks around it (`**1.1**` -> `1.1`)."""
    text = cell.replace("**", "").replace("__", "").strip()
    return text.strip("`").strip()


def unquote(text: str) -> str:
    text = text.strip()
    for opening, closing in _QUOTES:
        if len(text) >= 2 and text.startswith(opening) and text.endswith(closing):
            return text[len(opening) : -len(closing)].strip()
    return text


def read_tables(doc: MarkdownDocument, notes: list[Note]) -> list[PlanTask]:
    tasks: list[PlanTask] = []
    for table in doc.tables:
        columns = find_columns(table)
        if columns is None:
            notes.append(Note(table.line, "skipped a table without task ID and task or prompt columns"))
            continue
        heading = doc.heading_before(table.line, min_level=2)
        group = group_name(heading.text) if heading else None
        for row in table.rows:
            task = _row_task(table, columns, row.cells, row.line, group, notes)
            if task is not None:
                tasks.append(task)
    return tasks


def _fit(cells: list[str], width: int, absorb: int | None) -> list[str]:
    """Cells padded or trimmed to the header's width; an unescaped `|` in a prompt is put back."""
    if len(cells) > width and absorb is not None and absorb < width:
        extra = len(cells) - width
        cells = [
            *cells[:absorb],
            " | ".join(cells[absorb : absorb + extra + 1]),
            *cells[absorb + extra + 1 :],
        ]
    return (cells + [""] * width)[:width]


def _row_task(
    table: Table, columns: Columns, raw: list[str], line: int, group: str | None, notes: list[Note]
) -> PlanTask | None:
    cells = _fit(raw, len(table.header), columns.prompt)
    task_id = task_id_text(cells[columns.id])
    if not task_id:
        if any(cell.strip() for cell in cells):
            notes.append(Note(line, "skipped a table row without a task ID"))
        return None
    if "\n" in task_id or len(task_id) > 80:
        notes.append(Note(line, f"skipped a row whose ID {task_id[:40]!r} is not a usable task id"))
        return None
    prompt = unquote(cell_text(cells[columns.prompt])) if columns.prompt is not None else ""
    if _is_blank(prompt):
        prompt = ""
    name = clean_inline(cell_text(cells[columns.name])) if columns.name is not None else ""
    if not name:
        name = _name_from_prompt(prompt) or f"Task {task_id}"
    if columns.group is not None and clean_inline(cell_text(cells[columns.group])):
        group = group_name(clean_inline(cell_text(cells[columns.group])))  # a Phase column beats the heading
    task = PlanTask(id=task_id, name=name, line=line, group=group, prompt=prompt or None)
    if columns.depends is not None and cells[columns.depends].strip():
        task.dependency_texts.append(DependencyText(cells[columns.depends], line))
    if columns.output is not None:
        output = cell_text(cells[columns.output])
        if not _is_blank(output):
            task.output_paths = file_paths(output)
            task.description.append(f"Output: {output}")
    if columns.validation is not None:
        command = cell_text(cells[columns.validation]).strip()
        if command:
            task.validation_command = command.strip("`").strip() if command.count("`") == 2 else command
    if columns.review is not None and cell_text(cells[columns.review]):
        task.review_points.append(clean_inline(cell_text(cells[columns.review])))
    for position in columns.description or []:
        text = cell_text(cells[position])
        if text:
            label = clean_inline(table.header[position])
            task.description.append(
                f"{label}: {text}" if _role(table.header[position]) != "description" else text
            )
    if columns.kind is not None:
        _read_kind(task, cell_text(cells[columns.kind]), cells, columns, line, notes)
    return task


_CODE = re.compile(r"`+([^`]+?)`+")


def _read_kind(
    task: PlanTask, text: str, cells: list[str], columns: Columns, line: int, notes: list[Note]
) -> None:
    if _is_blank(text):
        return
    kind = kind_of(text)
    if kind is None:
        notes.append(
            Note(line, f"task {task.id!r}: type {text!r} is not MANUAL, AI or script; typed by its prompt")
        )
        return
    if kind == "AUTOMATED_SCRIPT":
        command = _script_command(cells, columns)
        if command is None:
            notes.append(
                Note(line, f"task {task.id!r} is a script task but names no command; imported as MANUAL")
            )
            task.kind = "MANUAL"
            return
        task.script_command = command
        if (
            columns.validation is not None
            and command == cell_text(cells[columns.validation]).strip("`").strip()
        ):
            task.validation_command = None
    elif kind == "AI_ASSISTED" and not task.prompt:
        task.prompt = task.name  # an AI task the plan gave no prompt column: its title is the request
    task.kind = kind


def _script_command(cells: list[str], columns: Columns) -> str | None:
    """What a script task runs: its command column, else the one code span in its prompt or name."""
    if columns.validation is not None:
        command = cell_text(cells[columns.validation]).strip()
        if command:
            return command.strip("`").strip() if command.count("`") == 2 else command
    for position in (columns.prompt, columns.name):
        if position is None:
            continue
        spans = _CODE.findall(cells[position])
        if len(spans) == 1 and spans[0].strip():
            return spans[0].strip()
    return None


def _is_blank(text: str) -> bool:
    """An empty cell, or one that only says so: `–`, `-`, `—`, `n/a`, `none`."""
    return text.strip(" -–—‑").lower() in ("", "n/a", "na", "none", "tbd")


def _name_from_prompt(prompt: str) -> str:
    first = clean_inline(prompt.split("\n", 1)[0]).replace("`", "")
    return first if len(first) <= 72 else first[:69].rstrip() + "..."
