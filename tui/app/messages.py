"""App-wide messages. Workers post these; handlers on the main screen own every state change.

Messages that belong to one widget are nested in that widget (e.g. `RunbookTree.TaskHighlighted`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class RunStepFailed(Message):
    """A step of a run raised a PatchbayError; `sentence` is what the user reads."""

    run: Any
    step: str  # "prepare" | "generate" | "review" | "validate" | "script" | "action"
    sentence: str


@dataclass
class PromptPrepared(Message):
    run: Any
    prompt: Any  # runner.PreparedPrompt


@dataclass
class GenerationFinished(Message):
    run: Any
    answer: Any  # runner.Answer


@dataclass
class ValidationFinished(Message):
    run: Any
    result: Any  # workspace.commands.CommandResult


@dataclass
class ScriptFinished(Message):
    run: Any
    result: Any


@dataclass
class PromptPreviewReady(Message):
    """The rendered prompt of the selected task (None with `error` when it cannot be rendered)."""

    task_key: tuple[int, str]
    prompt: Any
    error: str | None


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


@dataclass
class RunbookFilesChanged(Message):
    """The watcher saw an external change to a runbook's files (Patchbay's own writes are filtered)."""

    session_index: int
    paths: list[str]


@dataclass
class RunbookReloaded(Message):
    session_index: int
    error: str | None  # the sentence (file:line: ...) when the YAML is invalid; None when it loaded
