"""The runbook as typed objects (PRODUCT.md section 2). Built by tui.runbook.loader, never by hand-parsing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import PrivateAttr

from tui.errors import Location
from tui.runbook.model_base import _Model
from tui.runbook.problems import Problem
from tui.runbook.vocabulary import DEFAULT_MODEL as DEFAULT_MODEL
from tui.runbook.vocabulary import DEFAULT_OUTPUT_PARSER as DEFAULT_OUTPUT_PARSER
from tui.runbook.vocabulary import FINISHED_STATUSES as FINISHED_STATUSES
from tui.runbook.vocabulary import OUTPUT_PARSERS as OUTPUT_PARSERS
from tui.runbook.vocabulary import STATUSES as STATUSES
from tui.runbook.vocabulary import TASK_TYPES as TASK_TYPES
from tui.runbook.vocabulary import Status as Status
from tui.runbook.vocabulary import TaskType as TaskType
from tui.runbook.vocabulary import is_output_parser as is_output_parser


class ContextFile(_Model):
    """A slice of the working tree put in the prompt; `lines` is "45-80", "45" or None (whole file)."""

    path: str
    lines: str | None = None

    def line_range(self) -> tuple[int, int | None] | None:
        """(first, last) 1-based inclusive; last None means to the end of the file; None = whole file."""
        if self.lines is None:
            return None
        first, dash, last = self.lines.partition("-")
        start = int(first)
        if not dash:
            return start, start
        return start, int(last) if last.strip() else None


class AiDetails(_Model):
    model: str | None = None
    prompt_template: str | None = None
    input_context: dict[str, Any] = {}
    context_files: list[ContextFile] = []
    files_to_modify: list[str] = []
    output_parser: str | None = None
    output_artifact: str | None = None
    review_points: list[str] = []
    fallback_prompt_template: str | None = None
    context_budget: int | None = None
    max_new_tokens: int | None = None
    temperature: float | None = None
    system_template: str | None = None
    # Where the templates were found (see tui.runbook.templates.resolve_template).
    prompt_template_path: Path | None = None
    fallback_prompt_template_path: Path | None = None
    system_template_path: Path | None = None


class CommandSpec(_Model):
    """A command to run: `script_details` and `validation_command`. A bare string means {command: ...}."""

    command: str
    shell: bool = False
    timeout: float | None = None


class LastRun(_Model):
    timestamp: str | None = None
    outcome: str | None = None
    llm_response: str | None = None
    cost_estimate: float | None = None
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    tokens_per_second: float | None = None
    extra: dict[str, Any] = {}  # other keys, kept as read


class Issue(_Model):
    timestamp: str | None = None
    type: str | None = None
    detail: str | None = None
    resolution: str | None = None
    extra: dict[str, Any] = {}


class Defaults(_Model):
    model: str | None = None
    system_template: str | None = None
    system_template_path: Path | None = None
    context_budget: int | None = None
    max_new_tokens: int | None = None
    temperature: float | None = None
    validation_command: CommandSpec | None = None
    commit: bool | None = None


@dataclass(frozen=True, slots=True)
class TaskOrigin:
    """Where a task was written, so screens and messages can point at it.

    Kept as numbers and made into Locations when asked: two Location objects per task weighed
    more than the task's own fields on a 10,000-task runbook. A column of 0 means "not written";
    the status's line counts from the entry's (a small number, which Python does not allocate).
    """

    runbook_file: Path
    entry_line: int
    entry_column: int
    detail_file: Path | None = None
    status_lines_below: int = 0
    status_column: int = 0
    detail_status_line: int = 0
    detail_status_column: int = 0

    @property
    def entry(self) -> Location:
        """The task's entry in runbook.yaml."""
        return Location(self.runbook_file, self.entry_line, self.entry_column)

    @property
    def status(self) -> Location | None:
        """The `status:` value in runbook.yaml, if written."""
        if not self.status_column:
            return None
        return Location(self.runbook_file, self.entry_line + self.status_lines_below, self.status_column)

    @property
    def detail_status(self) -> Location | None:
        """The top-level `status:` value in the detail file, if any."""
        if not self.detail_status_column or self.detail_file is None:
            return None
        return Location(self.detail_file, self.detail_status_line, self.detail_status_column)


class Task(_Model):
    id: str
    name: str
    group: str | None = None
    status: Status = "PENDING"  # as stored; see tui.runbook.graph.effective_status for READY
    depends_on: list[str] = []
    type: TaskType = "MANUAL"
    task_detail_file: Path | None = None  # absolute
    description: str | None = None
    ai_details: AiDetails | None = None
    manual_instructions: str | None = None
    script_details: CommandSpec | None = None
    validation_command: CommandSpec | None = None
    commit: bool | None = None
    last_run: LastRun | None = None
    issues: list[Issue] = []
    interrupted: bool = False  # stored RUNNING when the runbook was loaded
    origin: TaskOrigin

    _defaults: Defaults | None = PrivateAttr(default=None)
    _runbook: Runbook | None = PrivateAttr(default=None)

    @property
    def runbook(self) -> Runbook:
        # Read from the private slot: `self._runbook` goes through two __getattr__ layers, 4 µs a
        # time, and the graph asks every task for its runbook after each status change.
        runbook = (self.__pydantic_private__ or {}).get("_runbook")
        if runbook is None:
            raise LookupError(f"task {self.id!r} does not belong to a loaded runbook")
        return runbook

    @property
    def group_path(self) -> tuple[str, ...]:
        """The group split on "/" for the tree ("Phase 1/Adapters" -> ("Phase 1", "Adapters"))."""
        if not self.group:
            return ()
        return tuple(part.strip() for part in self.group.split("/") if part.strip())

    @property
    def _inherited(self) -> Defaults:
        return self._defaults if self._defaults is not None else _NO_DEFAULTS

    def _ai(self, name: str) -> Any:
        return getattr(self.ai_details, name) if self.ai_details is not None else None

    @property
    def effective_model(self) -> str:
        return self._ai("model") or self._inherited.model or DEFAULT_MODEL

    @property
    def effective_context_budget(self) -> int | None:
        value = self._ai("context_budget")
        return value if value is not None else self._inherited.context_budget

    @property
    def effective_max_new_tokens(self) -> int | None:
        value = self._ai("max_new_tokens")
        return value if value is not None else self._inherited.max_new_tokens

    @property
    def effective_temperature(self) -> float | None:
        value = self._ai("temperature")
        return value if value is not None else self._inherited.temperature

    @property
    def effective_system_template(self) -> str | None:
        return self._ai("system_template") or self._inherited.system_template

    @property
    def system_template_path(self) -> Path | None:
        if self._ai("system_template"):
            return self._ai("system_template_path")
        return self._inherited.system_template_path

    @property
    def prompt_template_path(self) -> Path | None:
        return self._ai("prompt_template_path")

    @property
    def fallback_prompt_template_path(self) -> Path | None:
        return self._ai("fallback_prompt_template_path")

    @property
    def effective_validation_command(self) -> CommandSpec | None:
        return self.validation_command or self._inherited.validation_command

    @property
    def effective_commit(self) -> bool:
        """Commit accepted changes? Off unless the task or the defaults say so."""
        if self.commit is not None:
            return self.commit
        return bool(self._inherited.commit)

    @property
    def output_parser(self) -> str:
        return self._ai("output_parser") or DEFAULT_OUTPUT_PARSER

    @property
    def stated_output_parser(self) -> str | None:
        """The task's own output_parser (it wins over its model's edit_format), None if unset."""
        return self._ai("output_parser")

    @property
    def output_artifact(self) -> str | None:
        return self._ai("output_artifact")

    @property
    def files_to_modify(self) -> list[str]:
        return self._ai("files_to_modify") or []


_NO_DEFAULTS = Defaults()


class Runbook(_Model):
    path: Path  # absolute path of runbook.yaml
    folder: Path  # absolute
    name: str
    description: str | None = None
    workdir: Path  # absolute
    defaults: Defaults = Defaults()
    tasks: list[Task] = []
    warnings: list[Problem] = []

    _by_id: dict[str, Task] = PrivateAttr(default_factory=dict)

    def task(self, task_id: str) -> Task:
        """The task with this id; KeyError if there is none."""
        return self.by_id[task_id]

    def get(self, task_id: str) -> Task | None:
        return self.by_id.get(task_id)

    @property
    def by_id(self) -> dict[str, Task]:
        # From the private slot, past pydantic's __getattr__ (see Task.runbook).
        return self.__pydantic_private__["_by_id"]

    @property
    def logs_folder(self) -> Path:
        return self.folder / "logs"
