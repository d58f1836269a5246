"""Replay backend: plays scripted answers from a transcript at a set token rate (the demo, tests).

A transcript (PRODUCT.md §5):

    rate: 60                  # tokens per second; 0 = instant
    answers:
      - task: add_type_hints
        attempt: 1            # optional; without it the answer matches any attempt
        text: |
          ...

A token is a run of non-space characters with the spaces before it.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from tui.engine.base import (
    Backend,
    ChatMessage,
    Chunk,
    EngineError,
    FinalRecord,
    GenerationRequest,
    StreamItem,
    TokenCount,
)
from tui.errors import LocatedError, Location

DEFAULT_RATE = 60.0
_TOKEN = re.compile(r"\s*\S+")
# Never wake more often than this while pacing; at high rates tokens go out in batches instead.
_MIN_WAIT_SECONDS = 0.002


def split_tokens(text: str) -> list[str]:
    """Split text into replay tokens; joining them gives `text` back exactly."""
    tokens = _TOKEN.findall(text)
    consumed = sum(len(t) for t in tokens)
    trailing = text[consumed:]
    if trailing:  # whitespace after the last word belongs to the last token
        if tokens:
            tokens[-1] += trailing
        else:
            tokens.append(trailing)
    return tokens


@dataclass(frozen=True)
class ReplayAnswer:
    task: str
    attempt: int | None
    text: str
    line: int


@dataclass(frozen=True)
class Transcript:
    path: Path
    rate: float | None
    answers: list[ReplayAnswer]

    def find(self, task_id: str, attempt: int) -> ReplayAnswer | None:
        """The answer for this task and attempt; an exact attempt beats one without an attempt."""
        fallback = None
        for answer in self.answers:
            if answer.task != task_id:
                continue
            if answer.attempt == attempt:
                return answer
            if answer.attempt is None and fallback is None:
                fallback = answer
        return fallback


def _fail(path: Path, node: yaml.Node | None, sentence: str) -> LocatedError:
    if node is None:
        return LocatedError(Location(path), sentence)
    mark = node.start_mark
    return LocatedError(Location(path, mark.line + 1, mark.column + 1), sentence)


def _mapping_items(path: Path, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise _fail(path, node, f"{what} must be a mapping")
    items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _fail(path, key_node, f"{what} has a key that is not a plain name")
        if key_node.value in items:
            raise _fail(path, key_node, f"{what} has '{key_node.value}' twice")
        items[key_node.value] = (key_node, value_node)
    return items


def _construct(node: yaml.Node) -> object:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_transcript(path: Path) -> Transcript:
    """Read and check a transcript; every problem is one sentence with file:line."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EngineError(f"the replay transcript {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EngineError(f"cannot read the replay transcript {path}: {exc}") from None
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        location = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        raise LocatedError(location, f"the replay transcript is not valid YAML ({exc.problem})") from None
    if root is None:
        raise LocatedError(Location(path), "the replay transcript is empty; it needs an 'answers' list")
    top = _mapping_items(path, root, "the replay transcript")
    for key, (key_node, _) in top.items():
        if key not in ("rate", "answers"):
            raise _fail(
                path, key_node, f"unknown key '{key}' in the replay transcript (expected rate, answers)"
            )
    rate = None
    if "rate" in top:
        rate_node = top["rate"][1]
        value = _construct(rate_node)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise _fail(path, rate_node, "rate must be a number of tokens per second, 0 or more")
        rate = float(value)
    if "answers" not in top:
        raise _fail(path, root, "the replay transcript needs an 'answers' list")
    answers_node = top["answers"][1]
    if not isinstance(answers_node, yaml.SequenceNode):
        raise _fail(path, answers_node, "answers must be a list")
    answers = [_read_answer(path, node) for node in answers_node.value]
    return Transcript(path=path, rate=rate, answers=answers)


def _read_answer(path: Path, node: yaml.Node) -> ReplayAnswer:
    items = _mapping_items(path, node, "an answer")
    for key, (key_node, _) in items.items():
        if key not in ("task", "attempt", "text"):
            raise _fail(path, key_node, f"unknown key '{key}' in an answer (expected task, attempt, text)")
    for needed in ("task", "text"):
        if needed not in items:
            raise _fail(path, node, f"an answer needs '{needed}'")
    task_node = items["task"][1]
    task = _construct(task_node)
    if not isinstance(task_node, yaml.ScalarNode) or task is None or isinstance(task, bool):
        raise _fail(path, task_node, "task must be a task id")
    text_node = items["text"][1]
    text = _construct(text_node)
    if not isinstance(text, str):
        raise _fail(path, text_node, "text must be a string (use a '|' block for multi-line answers)")
    attempt = None
    if "attempt" in items:
        attempt_node = items["attempt"][1]
        attempt = _construct(attempt_node)
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
            raise _fail(path, attempt_node, "attempt must be a whole number, 1 or more")
    return ReplayAnswer(task=str(task), attempt=attempt, text=text, line=node.start_mark.line + 1)


def _cut_at_stop(text: str, stops: list[str]) -> str:
    """Like a real model, the answer ends before the first stop string (finish_reason "stop")."""
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    return text[:cut] if cut >= 0 else text


class ReplayBackend(Backend):
    name = "replay"

    def __init__(self, transcript_path: Path, rate: float | None = None) -> None:
        super().__init__()
        self.transcript_path = Path(transcript_path)
        self._rate_override = rate
        self._transcript: Transcript | None = None

    def describe(self) -> str:
        rate = self.rate()
        pace = "instant" if rate == 0 else f"{rate:g} tok/s"
        return f"replay @ {self.transcript_path.name} ({pace})"

    def rate(self) -> float:
        """Tokens per second: the override (--replay-rate, config), else the transcript's."""
        if self._rate_override is not None:
            return self._rate_override
        if self._transcript is not None and self._transcript.rate is not None:
            return self._transcript.rate
        return DEFAULT_RATE

    def max_concurrent_streams(self) -> int:
        # Streams share nothing but the transcript, which is only read once loaded.
        return 64

    def load(self, progress=None) -> None:
        self._transcript = load_transcript(self.transcript_path)

    def count_tokens(self, messages: list[ChatMessage]) -> TokenCount:
        # The replay model's own tokenizer is the whitespace rule, so this count is exact for it.
        return TokenCount(sum(len(split_tokens(m.content)) for m in messages), exact=True)

    def _generate(self, request: GenerationRequest, cancel: threading.Event) -> Iterator[StreamItem]:
        transcript = self._transcript or load_transcript(self.transcript_path)
        self._transcript = transcript
        answer = transcript.find(request.task_id, request.attempt)
        if answer is None:
            raise EngineError(
                f"the replay transcript {self.transcript_path} has no answer for task "
                f"{request.task_id} (attempt {request.attempt})"
            )
        text = _cut_at_stop(answer.text, request.settings.stop)
        tokens = split_tokens(text)
        finish = "stop"
        if len(tokens) > request.settings.max_new_tokens:
            tokens = tokens[: max(0, request.settings.max_new_tokens)]
            finish = "length"
        prompt_tokens = self.count_tokens(request.messages).count
        rate = self.rate()
        start = time.monotonic()
        first_at: float | None = None
        sent = 0
        while sent < len(tokens):
            if cancel.is_set():
                finish = "cancelled"
                break
            if rate == 0:
                due = len(tokens)
            else:
                # Schedule against the start clock so waits never accumulate drift.
                due = min(len(tokens), math.floor((time.monotonic() - start) * rate))
            if due > sent:
                if first_at is None:
                    first_at = time.monotonic()
                yield Chunk("".join(tokens[sent:due]))
                sent = due
                continue
            wake_at = start + (sent + 1) / rate
            cancel.wait(max(_MIN_WAIT_SECONDS, wake_at - time.monotonic()))
        end = time.monotonic()
        yield FinalRecord(
            finish_reason=finish,  # type: ignore[arg-type]
            prompt_tokens=prompt_tokens,
            new_tokens=sent,
            time_to_first_token=None if first_at is None else first_at - start,
            tokens_per_second=(sent / (end - start)) if sent and end > start else None,
            tokens_estimated=False,
        )
