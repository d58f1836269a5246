"""What a task runs with: its settings with the runbook's defaults filled in, what its prompt is
made from, and a rendered prompt counted against its budget. Plain data, read from a loaded task."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui.engine.base import ChatMessage, TokenCount
from tui.errors import PatchbayError
from tui.prompts.budget import BudgetCheck
from tui.prompts.render import ContextFileSpec, PromptSource, RenderedPrompt

DEFAULT_MAX_NEW_TOKENS = 1024
DEFAULT_TEMPERATURE = 0.2


@dataclass(frozen=True)
class ScriptSpec:
    command: str
    timeout: float | None
    shell: bool


@dataclass(frozen=True)
class TaskSettings:
    """A task's settings with the runbook's defaults filled in: the one place that resolves them."""

    model: str | None
    context_budget: int | None
    max_new_tokens: int
    temperature: float
    validation_command: str | None
    validation_shell: bool
    validation_timeout: float | None
    commit: bool
    output_parser: str
    output_artifact: str | None
    files_to_modify: list[str]
    script: ScriptSpec | None


def task_settings(task) -> TaskSettings:
    """The task's settings with the runbook's defaults filled in."""
    validation = task.effective_validation_command
    script = task.script_details
    return TaskSettings(
        model=task.effective_model,
        context_budget=task.effective_context_budget,
        max_new_tokens=task.effective_max_new_tokens or DEFAULT_MAX_NEW_TOKENS,
        temperature=task.effective_temperature
        if task.effective_temperature is not None
        else DEFAULT_TEMPERATURE,
        validation_command=validation.command if validation else None,
        validation_shell=validation.shell if validation else False,
        validation_timeout=validation.timeout if validation else None,
        commit=task.effective_commit,
        output_parser=task.output_parser,
        output_artifact=task.output_artifact,
        files_to_modify=list(task.files_to_modify),
        script=ScriptSpec(script.command, script.timeout, script.shell)
        if script and script.command
        else None,
    )


def task_prompt_source(task) -> PromptSource:
    """What the prompt of an AI task is made from."""
    runbook = task.runbook
    details = task.ai_details
    if details is None or not details.prompt_template:
        raise PatchbayError(f"task {task.id} has no ai_details.prompt_template to render")
    return PromptSource(
        task_id=task.id,
        name=task.name,
        runbook_folder=runbook.folder,
        workdir=runbook.workdir,
        template=str(details.prompt_template_path or details.prompt_template),
        description=task.description or "",
        review_points=list(details.review_points),
        files_to_modify=list(details.files_to_modify),
        output_artifact=details.output_artifact,
        input_context=dict(details.input_context),
        context_files=[ContextFileSpec(f.path, f.lines) for f in details.context_files],
        system_template=_template_name(task.system_template_path, task.effective_system_template),
        fallback_template=_template_name(
            details.fallback_prompt_template_path, details.fallback_prompt_template
        ),
    )


def _template_name(path: Path | None, name: str | None) -> str | None:
    """The loader has already found the template; its absolute path is the name to render."""
    return str(path) if path is not None else name


@dataclass
class PreparedPrompt:
    """A rendered prompt, counted by the model's tokenizer and checked against the budget."""

    rendered: RenderedPrompt
    tokens: TokenCount
    budget: BudgetCheck
    model_name: str


def messages_for(rendered: RenderedPrompt) -> list[ChatMessage]:
    return [ChatMessage(role=role, content=content) for role, content in rendered.messages()]
