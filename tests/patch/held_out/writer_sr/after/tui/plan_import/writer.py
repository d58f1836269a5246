"""Writing the runbook folder: runbook.yaml, tasks/<id>.yaml, prompt_templates/*.j2 and logs/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tui.errors import PatchbayError
from tui.plan_import.model import Plan, PlanTask
from tui.plan_import.templates import literal_template, task_template
from tui.plan_import.yaml_out import FlowList, QuotedId, dump, dump_list_item
from tui.workspace.atomic import write_atomically
from tui.workspace.shell_syntax import shell_syntax

WRAPPER_NAME = "agent_wrapper.j2"
FALLBACK_TEMPLATE = "fix_failure.j2"  # shipped with Patchbay: a retry sees the failure


def command_spec(command: str) -> str | dict[str, Any]:
    """A command as the runbook writes it: the bare string, or `{command, shell: true}` when it uses
    shell syntax (`&&`, pipes, redirections, variables, wildcards), which `patchbay validate` refuses
    in a command that runs without a shell."""
    if shell_syntax(command):
        return {"command": command, "shell": True}
    return command


def safe_names(ids: list[str]) -> dict[str, str]:
    """A file-name stem per id, unique even on case-insensitive file systems."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for task_id in ids:
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", task_id).lstrip(".") or "task"
        candidate, number = stem, 2
        while candidate.lower() in taken:
            candidate, number = f"{stem}-{number}", number + 1
        taken.add(candidate.lower())
        names[task_id] = candidate
    return names


def planned_files(plan: Plan, output: Path) -> dict[Path, str]:
    """Every file the import writes, with its text; runbook.yaml last so it never points at nothing."""
    names = safe_names([task.id for task in plan.tasks])
    files: dict[Path, str] = {}
    if plan.wrapper is not None:
        files[output / "prompt_templates" / WRAPPER_NAME] = _with_newline(literal_template(plan.wrapper))
    entries = []
    for task in plan.tasks:
        entry = _entry(task)
        if task.task_type == "AI_ASSISTED":
            template = f"{names[task.id]}.j2"
            files[output / "prompt_templates" / template] = task_template(
                task.prompt or "", bool(task.context_files)
            )
            detail_file = f"tasks/{names[task.id]}.yaml"
            files[output / detail_file] = dump(_ai_details(task, template))
            entry["task_detail_file"] = detail_file
        elif task.task_type == "AUTOMATED_SCRIPT":
            entry.update(_script_details(task))
        else:
            entry.update(_manual_details(task))
        entries.append(entry)
    files[output / "runbook.yaml"] = _runbook_text(plan, entries)
    return files


def write_runbook(plan: Plan, output: Path, force: bool) -> None:
    if output.exists() and not output.is_dir():
        raise PatchbayError(f"{output} exists and is not a folder.")
    files = planned_files(plan, output)
    if not force:
        existing = [path for path in files if path.exists()]
        if existing:
            raise PatchbayError(f"{existing[-1]} already exists; use --force to overwrite it.")
    try:
        for folder in ("tasks", "prompt_templates", "logs"):
            (output / folder).mkdir(parents=True, exist_ok=True)
        for path, text in files.items():
            write_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        raise PatchbayError(f"cannot write the runbook into {output}: {exc.strerror or exc}.") from exc


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _entry(task: PlanTask) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": QuotedId(task.id), "name": task.name}
    if task.group:
        entry["group"] = task.group
    entry["status"] = "PENDING" if task.depends_on else "READY"
    entry["depends_on"] = FlowList(QuotedId(dep) for dep in task.depends_on)
    entry["type"] = task.task_type
    return entry


def _description(task: PlanTask) -> str:
    return "\n".join(part.strip() for part in task.description if part.strip())


def _ai_details(task: PlanTask, template: str) -> dict[str, Any]:
    details: dict[str, Any] = {
        "id": QuotedId(task.id),
        "name": task.name,
        "status": "PENDING" if task.depends_on else "READY",
        "type": "AI_ASSISTED",
    }
    if _description(task):
        details["description"] = _description(task)
    ai: dict[str, Any] = {"prompt_template": template, "fallback_prompt_template": FALLBACK_TEMPLATE}
    if task.context_budget:
        ai["context_budget"] = task.context_budget
    if task.context_files:
        ai["context_files"] = [
            {"path": ref.path, "lines": QuotedId(ref.lines)} if ref.lines else {"path": ref.path}
            for ref in task.context_files
        ]
    if task.output_paths:
        ai["files_to_modify"] = FlowList(task.output_paths)
        ai["output_artifact"] = task.output_paths[0]
    if task.review_points:
        ai["review_points"] = list(task.review_points)
    details["ai_details"] = ai
    if task.validation_command:
        details["validation_command"] = command_spec(task.validation_command)
    return details


def _manual_details(task: PlanTask) -> dict[str, Any]:
    # a MANUAL task the plan wrote a prompt for (a Type column said so) keeps it as its instructions
    parts = [part for part in ((task.prompt or "").strip(), _description(task)) if part]
    instructions = "\n\n".join(parts) or task.name
    if task.review_points:
        instructions += "\n\nDone when:\n" + "\n".join(f"- {point}" for point in task.review_points)
    details: dict[str, Any] = {"manual_instructions": instructions}
    if task.validation_command:
        details["validation_command"] = command_spec(task.validation_command)
    return details


def _script_details(task: PlanTask) -> dict[str, Any]:
    details: dict[str, Any] = {}
    described = "\n\n".join(part for part in ((task.prompt or "").strip(), _description(task)) if part)
    if described:
        details["description"] = described
    details["script_details"] = command_spec(task.script_command or "")
    if task.validation_command:
        details["validation_command"] = command_spec(task.validation_command)
    return details


def _runbook_text(plan: Plan, entries: list[dict[str, Any]]) -> str:
    header = f"# Imported from {plan.path.name} by `patchbay import`; edit freely.\n"
    top: dict[str, Any] = {"name": plan.name}
    if plan.wrapper is not None:
        top["defaults"] = {"system_template": WRAPPER_NAME}
    body = "\n".join(dump_list_item(entry) for entry in entries)
    return header + dump(top) + "\ntasks:\n" + body
