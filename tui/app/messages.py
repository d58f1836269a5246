"""App-wide messages. Workers post these; handlers on the main screen and its panels own every
state change. Payloads are typed (the runner's and the session's own classes).

Messages that belong to one widget are nested in that widget (e.g. `RunbookTree.TaskHighlighted`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui.engine.pool import PoolBackend
    from tui.parallel import GenerationOutcome, ParallelGeneration
    from tui.runner import Answer, PreparedPrompt, TaskRun
    from tui.session import Session
    from tui.workspace.commands import CommandResult


@dataclass
class TaskChanged(Message):
    """A session announced a change of a task's status, or of its run's phase or step."""

    session_index: int
    task_id: str


@dataclass
class RunStepFailed(Message):
    """A step of a run raised; `sentence` is what the user reads."""

    run: TaskRun | None
    step: str  # "prepare" | "generate" | "review" | "validate" | "script" | "action"
    sentence: str


@dataclass
class PromptPrepared(Message):
    run: TaskRun
    prompt: PreparedPrompt


@dataclass
class GenerationFinished(Message):
    run: TaskRun
    answer: Answer


@dataclass
class ReviewReady(Message):
    run: TaskRun


@dataclass
class ValidationFinished(Message):
    run: TaskRun
    result: CommandResult | None  # None: the task has no validation command


@dataclass
class ScriptFinished(Message):
    run: TaskRun
    result: CommandResult


@dataclass
class ActionDone(Message):
    """A quick call (keep, roll back, mark done, undo…) finished; `sentence` is shown."""

    run: TaskRun | None
    sentence: str | None


@dataclass
class BatchAnswer(Message):
    """One task of a parallel batch stopped generating (answered, failed or cancelled)."""

    outcome: GenerationOutcome


@dataclass
class BatchOver(Message):
    batch: ParallelGeneration


@dataclass
class PromptPreviewReady(Message):
    """The rendered prompt of the selected task (None with `error` when it cannot be rendered)."""

    task_key: tuple[int, str]
    prompt: PreparedPrompt | None
    error: str | None


@dataclass
class PromptForEditing(Message):
    """The rendered prompt the user asked to edit (`e`), rendered off the event loop."""

    task_key: tuple[int, str]
    prompt: PreparedPrompt | None
    error: str | None


@dataclass
class SessionsLoaded(Message):
    sessions: list[Session]
    error: str | None


@dataclass
class TreeInfo(Message):
    workdir: str
    branch: str | None


@dataclass
class ModelLoadProgress(Message):
    model: str
    step: int
    total: int
    text: str


@dataclass
class ModelLoaded(Message):
    model: str
    error: str | None
    pool: PoolBackend | None = None  # a pool of servers, whose figures the status line follows


@dataclass
class RunbookFilesChanged(Message):
    """The watcher saw an external change to a runbook's files (Patchbay's own writes are filtered)."""

    session_index: int
    paths: list[str]


@dataclass
class RunbookReloaded(Message):
    session_index: int
    error: str | None  # the sentence (file:line: ...) when the YAML is invalid; None when it loaded
