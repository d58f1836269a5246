"""Render a task's prompt: Jinja2 in a sandbox, strict about variables nobody provides."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tui.errors import PatchbayError
from tui.prompts.context import ContextFile, read_context_file
from tui.prompts.follow_up import FollowUp
from tui.resources import shipped


class PromptError(PatchbayError):
    """A template that is missing, broken, or uses a variable nothing provides."""


@dataclass(frozen=True)
class ContextFileSpec:
    path: str
    lines: str | None = None


@dataclass(frozen=True)
class PromptSource:
    """Everything a prompt is made from; the runner builds it from a runbook task."""

    task_id: str
    name: str
    runbook_folder: Path
    workdir: Path
    template: str
    description: str = ""
    review_points: Sequence[str] = ()
    files_to_modify: Sequence[str] = ()
    output_artifact: str | None = None
    input_context: dict[str, Any] = field(default_factory=dict)
    context_files: Sequence[ContextFileSpec] = ()
    system_template: str | None = None
    fallback_template: str | None = None
    # The edit format the answer is asked for (templates `{% include "formats/" ~ edit_format ~ ".j2" %}`).
    edit_format: str = "unified_diff"


@dataclass(frozen=True)
class RetryContext:
    """What the fallback template gets on a retry; a focused follow-up adds what is kept and what
    is asked for again (`kept`, `rejected`, `failed`, `answer_note`, empty on a plain retry)."""

    previous_answer: str
    failure: str
    follow_up: FollowUp | None = None

    @property
    def focused(self) -> bool:
        return self.follow_up is not None and self.follow_up.focused


@dataclass(frozen=True)
class RenderedPrompt:
    system: str | None
    user: str
    template_path: Path
    context_files: tuple[ContextFile, ...]

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        digest.update((self.system or "").encode("utf-8"))
        digest.update(b"\0")
        digest.update(self.user.encode("utf-8"))
        return digest.hexdigest()

    @property
    def text(self) -> str:
        """System and user parts together, as the prompt pane shows them."""
        return f"{self.system}\n\n{self.user}" if self.system else self.user

    def messages(self) -> list[tuple[str, str]]:
        """(role, content) pairs for a chat model."""
        pairs = [("system", self.system)] if self.system else []
        return [*pairs, ("user", self.user)]


def find_template(runbook_folder: Path, name: str) -> Path | None:
    """Look `name` up: the runbook's prompt_templates/, the shipped ones, then a path from the runbook."""
    for folder in (runbook_folder / "prompt_templates", shipped("prompt_templates")):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    candidate = runbook_folder / name
    return candidate if candidate.is_file() else None


# A focused follow-up of a task that names no fallback template uses the shipped one: the task's
# own template knows nothing of kept and rejected hunks.
FOLLOW_UP_TEMPLATE = "fix_failure.j2"


def render_prompt(
    source: PromptSource,
    retry: RetryContext | None = None,
    *,
    template: str | None = None,
    extra: dict[str, Any] | None = None,
) -> RenderedPrompt:
    """Render the task's template (its fallback on a retry, if it has one) and the system wrapper.
    `template` and `extra` render another template with more variables (a regenerated hunk)."""
    context_files = tuple(
        read_context_file(source.workdir, spec.path, spec.lines) for spec in source.context_files
    )
    variables = _variables(source, context_files, retry)
    variables.update(extra or {})
    name = source.fallback_template if retry and source.fallback_template else source.template
    if retry is not None and retry.follow_up is not None and retry.follow_up.says_something:
        name = source.fallback_template or FOLLOW_UP_TEMPLATE
    if template is not None:
        name = template
    template_path = _require(source.runbook_folder, name)
    user = _render_file(source.runbook_folder, template_path, variables)
    system = None
    if source.system_template:
        system = _render_file(
            source.runbook_folder, _require(source.runbook_folder, source.system_template), variables
        )
    return RenderedPrompt(system=system, user=user, template_path=template_path, context_files=context_files)


def _variables(
    source: PromptSource, context_files: tuple[ContextFile, ...], retry: RetryContext | None
) -> dict[str, Any]:
    variables: dict[str, Any] = dict(source.input_context)
    variables["input_context"] = dict(source.input_context)
    variables["task"] = {
        "id": source.task_id,
        "name": source.name,
        "description": source.description,
        "review_points": list(source.review_points),
        "files_to_modify": list(source.files_to_modify),
        "output_artifact": source.output_artifact,
        "edit_format": source.edit_format,
    }
    variables["edit_format"] = source.edit_format
    variables["context_files"] = [
        {
            "path": f.path,
            "lines": f.lines,
            "text": f.text,
            "first_line": f.first_line,
            "last_line": f.last_line,
        }
        for f in context_files
    ]
    if retry is not None:
        variables["previous_answer"] = retry.previous_answer
        variables["failure"] = retry.failure
        variables.update((retry.follow_up or FollowUp()).variables())
    return variables


def _require(runbook_folder: Path, name: str) -> Path:
    path = find_template(runbook_folder, name)
    if path is None:
        raise PromptError(
            f"prompt template {name} was found neither in {runbook_folder / 'prompt_templates'} "
            "nor among the shipped templates"
        )
    return path


def _environment(runbook_folder: Path, template_path: Path) -> ImmutableSandboxedEnvironment:
    search = [template_path.parent, runbook_folder / "prompt_templates", shipped("prompt_templates")]
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader([str(p) for p in search]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def _render_file(runbook_folder: Path, template_path: Path, variables: dict[str, Any]) -> str:
    env = _environment(runbook_folder, template_path)
    try:
        template = env.get_template(template_path.name)
        return template.render(**variables).strip() + "\n"
    except TemplateSyntaxError as exc:
        where = f"{exc.filename or template_path}:{exc.lineno}"
        raise PromptError(f"{where}: the template has a syntax error: {exc.message}") from None
    except UndefinedError as exc:
        line = _template_line(exc, template_path)
        where = f"{template_path}:{line}" if line else str(template_path)
        match = re.match(r"'(\w+)' is undefined", str(exc.message or exc))
        if not match:
            raise PromptError(f"{where}: {exc.message or exc}") from None
        name = match.group(1)
        provided = ", ".join(
            sorted(k for k in variables if k not in ("task", "context_files", "input_context"))
        )
        hint = f" (input_context provides: {provided})" if provided else " (the task has no input_context)"
        raise PromptError(f"{where}: the template uses `{name}`, which nothing provides{hint}") from None
    except UnicodeDecodeError:
        raise PromptError(f"{template_path}: the template is not UTF-8 text") from None
    except TemplateError as exc:
        raise PromptError(f"{template_path}: {exc.message or exc}") from None


def _template_line(exc: BaseException, template_path: Path) -> int | None:
    """The line of the template being rendered when it failed (Jinja keeps it in the traceback)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2") or tb.tb_frame.f_code.co_filename == str(
            template_path
        ):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
