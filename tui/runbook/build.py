"""Making the runbook's models from drafts the loader has read and checked.

Apart from the loader so that checking a runbook (`patchbay validate`) imports no pydantic: the
readers hand over plain checked values, and only a load that keeps the runbook makes models.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.runbook.models import (
    AiDetails,
    CommandSpec,
    ContextFile,
    Defaults,
    Issue,
    LastRun,
    Runbook,
    Task,
    TaskOrigin,
)
from tui.runbook.problems import Problem

if TYPE_CHECKING:
    from collections.abc import Callable

    from tui.runbook.loader import TaskDraft
    from tui.runbook.task_fields import Written


def build_runbook(
    head: dict[str, Any],
    defaults: dict[str, Written],
    drafts: list[TaskDraft],
    warnings: list[Problem],
    template: Callable[[str], Path | None],
) -> Runbook:
    """The Runbook of `head` (path, folder, name, description, workdir) and its tasks."""
    defaults_model = _defaults(defaults, template)
    runbook = Runbook.checked({**head, "defaults": defaults_model, "tasks": [], "warnings": warnings})
    by_id = runbook._by_id
    # The tasks share one dict of private links (set here only): a dict per task was a tenth
    # of a loaded runbook's memory.
    links = {"_defaults": defaults_model, "_runbook": runbook}
    for draft in drafts:
        task = _task(draft, template, links)
        runbook.tasks.append(task)
        by_id[task.id] = task
    return runbook


def _defaults(defaults: dict[str, Written], template: Callable[[str], Path | None]) -> Defaults:
    values = {key: written.value for key, written in defaults.items()}
    if values.get("system_template"):
        values["system_template_path"] = template(values["system_template"])
    if values.get("validation_command") is not None:
        values["validation_command"] = CommandSpec.checked(values["validation_command"])
    return Defaults.checked(values)


def _task(draft: TaskDraft, template: Callable[[str], Path | None], links: dict[str, Any]) -> Task:
    values = {key: written.value for key, written in draft.fields.items()}
    values["depends_on"] = [text for text, _ in values.get("depends_on", [])]
    for key in ("script_details", "validation_command"):
        if values.get(key) is not None:
            values[key] = CommandSpec.checked(values[key])
    if values.get("last_run") is not None:
        values["last_run"] = LastRun.checked(values["last_run"])
    if values.get("issues"):
        values["issues"] = [Issue.checked(issue) for issue in values["issues"]]
    ai_values = {key: written.value for key, written in draft.ai.items()}
    artifact = values.pop("output_artifact", None)
    if artifact and not ai_values.get("output_artifact"):
        ai_values["output_artifact"] = artifact
    if ai_values:
        for key in ("prompt_template", "fallback_prompt_template", "system_template"):
            if ai_values.get(key):
                ai_values[f"{key}_path"] = template(ai_values[key])
        if ai_values.get("context_files"):
            ai_values["context_files"] = [ContextFile.checked(item) for item in ai_values["context_files"]]
        values["ai_details"] = AiDetails.checked(ai_values)
    values.setdefault("type", _inferred_type(values))
    values.setdefault("status", "PENDING")
    values["interrupted"] = values["status"] == "RUNNING"
    values["task_detail_file"] = draft.detail_path
    values["origin"] = _origin(draft)
    return Task.checked(values, links)


def _origin(draft: TaskDraft) -> TaskOrigin:
    entry = draft.entry.start_mark
    status = draft.fields.get("status")
    at = status.node.start_mark if status is not None and status.reader is draft.reader else None
    detail = draft.detail_status.node.start_mark if draft.detail_status is not None else None
    return TaskOrigin(
        draft.reader.path,
        entry.line + 1,
        entry.column + 1,
        draft.detail_path,
        at.line - entry.line if at else 0,
        at.column + 1 if at else 0,
        detail.line + 1 if detail else 0,
        detail.column + 1 if detail else 0,
    )


def _inferred_type(values: dict[str, Any]) -> str:
    if values.get("ai_details") is not None:
        return "AI_ASSISTED"
    if values.get("script_details") is not None:
        return "AUTOMATED_SCRIPT"
    return "MANUAL"
