"""The steps of a review held as a conversation, for TaskRun (tui/runner.py): the focused follow-up
fitted to its budget, and one hunk regenerated in place. Plain Python, no Textual."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.engine.base import Chunk, EngineError, FinalRecord, GenerationRequest, GenerationSettings, Restart
from tui.errors import PatchbayError
from tui.patch.conversation import hunk_region, hunk_text, hunk_where
from tui.patch.model import FileChange, Hunk
from tui.prompts.follow_up import FollowUp
from tui.prompts.render import RetryContext
from tui.runbook.event_log import EventType
from tui.session import PreparedPrompt, messages_for, task_settings

if TYPE_CHECKING:
    from tui.runner import TaskRun

REGENERATE_TEMPLATE = "regenerate_hunk.j2"
# Lines of the file shown either side of a hunk that is regenerated.
SURROUNDING_LINES = 8


def fit_follow_up(run: TaskRun, retry: RetryContext, prompt_override: str | None = None) -> PreparedPrompt:
    """The follow-up prompt; over its budget, the oldest kept hunks are named by file and line range
    instead of quoted, one more at a time, until it fits (or none is left to shorten)."""
    follow_up = retry.follow_up or FollowUp()
    shortened = 0
    while True:
        attempt = RetryContext(retry.previous_answer, retry.failure, follow_up.summarising(shortened))
        prompt = run.session.preview_prompt(run.task_id, prompt_override=prompt_override, retry=attempt)
        if not prompt.budget.over or prompt_override is not None or shortened >= len(follow_up.kept):
            return prompt
        shortened += 1


def surrounding(change: FileChange, hunk: Hunk) -> str:
    """The file's lines around the hunk (numbered), where it placed or was aimed."""
    if change.old is None or not change.old.lines:
        return "(the file is new)"
    region = hunk_region(hunk) or (1, 1)
    first = max(1, region[0] - SURROUNDING_LINES)
    last = min(len(change.old.lines), region[1] + SURROUNDING_LINES)
    return "\n".join(f"{n:>4} | {change.old.lines[n - 1]}" for n in range(first, last + 1))


def regenerate_prompt(run: TaskRun, change: FileChange, hunk: Hunk, note: str) -> PreparedPrompt:
    variables = {
        "path": change.path,
        "where": hunk_where(change.path, hunk),
        "text": hunk_text(hunk),
        "note": note,
        "reason": "" if hunk.placement.placed else hunk.placement.describe().removeprefix("failed: "),
        "surrounding": surrounding(change, hunk),
    }
    return run.session.preview_prompt(run.task_id, template=REGENERATE_TEMPLATE, extra={"hunk": variables})


def stream_answer(
    run: TaskRun, prompt: PreparedPrompt, cancel: threading.Event, on_chunk: Callable[[str], None], **details
) -> str:
    """Stream one answer for `prompt` as the run's current attempt, keep it under outputs/ and log
    it (AI_PROMPT_SENT, AI_RESPONSE_RECEIVED with `details`). Raises PatchbayError when it fails."""
    session = run.session
    session.load_model(prompt.model_name)
    backend = session.backend(prompt.model_name)
    settings = task_settings(run.task)
    request = GenerationRequest(
        messages=messages_for(prompt.rendered),
        settings=GenerationSettings(max_new_tokens=settings.max_new_tokens, temperature=settings.temperature),
        task_id=run.task_id,
        attempt=run.attempt,
    )
    base = {"model": prompt.model_name, "prompt_sha256": prompt.rendered.sha256, "attempt": run.attempt}
    session.log.append(
        run.task_id, EventType.AI_PROMPT_SENT, details={**base, "tokens_in": prompt.tokens.count, **details}
    )
    parts: list[str] = []
    final: FinalRecord | None = None
    started = time.monotonic()
    slots = session.stream_slots(prompt.model_name)
    slots.acquire()
    try:
        for item in backend.stream(request, cancel):
            if isinstance(item, Chunk):
                parts.append(item.text)
                on_chunk(item.text)
            elif isinstance(item, Restart):
                parts.clear()
            else:
                final = item
    except EngineError as exc:
        raise PatchbayError(f"the model could not answer: {exc}") from None
    finally:
        slots.release()
    text = "".join(parts)
    output = session.keep_answer(run.task_id, run.attempt, text)
    session.log.append(
        run.task_id,
        EventType.AI_RESPONSE_RECEIVED,
        details={
            **base,
            "tokens_out": final.new_tokens if final else None,
            "finish_reason": final.finish_reason if final else "error",
            "seconds": round(time.monotonic() - started, 3),
            "output": str(output) if output else None,
            **details,
        },
    )
    if final is not None and final.finish_reason == "cancelled":
        raise PatchbayError("the regeneration was cancelled; the hunk is unchanged")
    return text


def parse_for_file(run: TaskRun, text: str, path: str) -> FileChange:
    """The answer's change to `path` alone, placed against the file as it is."""
    from tui.patch.extract import build_change_set

    settings = task_settings(run.task)
    change_set = build_change_set(
        text,
        run.session.workdir,
        output_parser=run.session.output_parser_for(run.task),
        output_artifact=settings.output_artifact,
        files_to_modify=settings.files_to_modify or None,
    )
    change = change_set.file(path)
    if change is None or not change.hunks:
        raise PatchbayError(f"the answer has no change to {path}; the hunk is unchanged")
    if change.error is not None:
        raise PatchbayError(f"{path}: {change.error}; the hunk is unchanged")
    return change


def regenerate(
    run: TaskRun, hunk_id: str, on_chunk: Callable[[str], None], cancel: threading.Event
) -> list[str]:
    """TaskRun.regenerate_hunk: the prompt, the answer (a new attempt of the task), the new hunks in
    the old one's place, HUNK_REGENERATED logged. Returns the new hunk ids."""
    from tui.patch.conversation import replace_hunk

    change = next((c for c in run.change_set.files if hunk_id in c.hunk_ids), None)
    if change is None:
        raise PatchbayError(f"task {run.task_id} has no hunk {hunk_id} to regenerate")
    hunk = next(h for h in change.hunks if h.id == hunk_id)
    note = run.conversation.note_for(hunk_id)
    prompt = regenerate_prompt(run, change, hunk, note)
    if prompt.budget.over:
        raise PatchbayError(f"the prompt for {hunk_id} is over budget: {prompt.budget.explain()}")
    run.attempt += 1  # every answer is an attempt: its own file under outputs/, its own replay entry
    text = stream_answer(run, prompt, cancel, on_chunk, purpose="regenerate", hunk=hunk_id)
    fresh = parse_for_file(run, text, change.path)
    try:
        new_ids = replace_hunk(run.conversation, run.change_set, hunk_id, fresh, run.attempt)
    except ValueError as exc:
        raise PatchbayError(f"{exc}; the hunk is unchanged") from None
    run.session.log.append(
        run.task_id,
        EventType.HUNK_REGENERATED,
        details={
            "attempt": run.attempt,
            "hunk": hunk_id,
            "new_hunks": new_ids,
            "hunk_attempt": max((run.conversation.attempt_of(i) for i in new_ids), default=None),
            "note": note or None,
            "by": "regenerate",
        },
    )
    return new_ids


_KEPT = re.compile(r"\.attempt(\d+)\.(.+)\.md$")


def last_answer(session, task_id: str) -> Path | None:
    """The newest answer kept for the task under outputs/ (the files `Session.keep_answer` writes)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", task_id) or "task"
    found = []
    for path in (session.runbook.folder / "outputs").glob(f"{safe}.attempt*.md"):
        match = _KEPT.search(path.name)
        if match and path.name[: match.start()] == safe:
            found.append((match.group(2), int(match.group(1)), path))
    return max(found)[2] if found else None


def kept_attempt(path: Path) -> int:
    match = _KEPT.search(path.name)
    return int(match.group(1)) if match else 1


def log_replacements(run: TaskRun) -> None:
    """HUNK_REGENERATED for each hunk a follow-up answered anew (under its earlier version's id)."""
    conversation = run.conversation
    replaced: dict[str, list[str]] = {}
    for hunk_id in conversation.produced.get(run.attempt, []):
        earlier = conversation.previous.get(hunk_id)
        if earlier is not None:
            replaced.setdefault(earlier.id, []).append(hunk_id)
    for old_id, new_ids in replaced.items():
        run.session.log.append(
            run.task_id,
            EventType.HUNK_REGENERATED,
            details={
                "attempt": run.attempt,
                "hunk": old_id,
                "new_hunks": new_ids,
                "hunk_attempt": max(conversation.attempt_of(i) for i in new_ids),
                "note": conversation.note_for(old_id) or None,
                "by": "follow-up",
            },
        )


def take_kept_answer(run: TaskRun, text: str) -> None:
    """A kept answer's change set, placed against the files as they are, starts the review (an
    answer with no change in it has an empty one: the note is all the model is told)."""
    from tui.patch.model import ChangeSet

    try:
        run.change_set = run._build_change_set(text)
    except PatchbayError:
        run.change_set = ChangeSet([])
    run.conversation.record_attempt(run.attempt, run.change_set)
    run._reviewed = run.change_set
