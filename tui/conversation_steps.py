"""The steps of a review held as a conversation, for TaskRun (tui/runner.py): notes, the retry's
context and the focused follow-up fitted to its budget, a follow-up answer merged into the review,
and one hunk regenerated in place. Plain Python, no Textual."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.engine.base import Chunk, EngineError, FinalRecord, GenerationRequest, GenerationSettings, Restart
from tui.errors import PatchbayError
from tui.patch.conversation import Note, hunk_region, hunk_text, hunk_where
from tui.patch.model import ChangeSet, FileChange, Hunk
from tui.prompts.follow_up import FollowUp
from tui.prompts.render import RetryContext
from tui.run_issues import placement_failure
from tui.run_phase import Phase
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


def answer_change_set(run: TaskRun, text: str) -> ChangeSet:
    """The changes an answer holds, each hunk placed against the files as they are."""
    from tui.patch.extract import build_change_set

    settings = task_settings(run.task)
    return build_change_set(
        text,
        run.session.workdir,
        output_parser=run.session.output_parser_for(run.task),
        output_artifact=settings.output_artifact,
        files_to_modify=settings.files_to_modify or None,
    )


def parse_for_file(run: TaskRun, text: str, path: str) -> FileChange:
    """The answer's change to `path` alone, placed against the file as it is."""
    change = answer_change_set(run, text).file(path)
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
    try:
        run.change_set = answer_change_set(run, text)
    except PatchbayError:
        run.change_set = ChangeSet([])
    run.conversation.record_attempt(run.attempt, run.change_set)
    run._reviewed = run.change_set


def add_note(run: TaskRun, hunk_id: str | None, text: str, decision: str | None) -> Note:
    """TaskRun.note: the note joins the conversation and is logged as REVIEW_NOTE."""
    where = "the whole answer"
    if hunk_id is not None:
        change = next(c for c in run.change_set.files if hunk_id in c.hunk_ids)
        where = hunk_where(change.path, next(h for h in change.hunks if h.id == hunk_id))
    note = Note(text.strip(), run.attempt, hunk_id, where, decision)
    run.conversation.add_note(note)
    run.session.log.append(
        run.task_id,
        EventType.REVIEW_NOTE,
        details={
            "attempt": run.attempt,
            "hunk": hunk_id,
            "where": where,
            "decision": decision,
            "note": note.text,
        },
    )
    return note


def held_follow_up(run: TaskRun) -> FollowUp:
    """The follow-up the decisions `r` sent make of the change set under review."""
    from tui.patch.follow_up import follow_up_for

    assert run._held is not None and run.change_set is not None
    return follow_up_for(run.change_set, run._held, run.conversation)


def retry_context(run: TaskRun, *, force: bool = False) -> RetryContext | None:
    """What the next attempt's template is told: the last answer, why it failed and the follow-up;
    None on a first attempt (unless `force`)."""
    if not force and (run.attempt <= 1 or run.answer is None):
        return None
    answer = run.answer.text if run.answer is not None else ""
    failure = run.failure or ""
    if run._held is not None and run.change_set is not None:
        if not failure:
            failure = placement_failure(run.change_set)
        return RetryContext(answer, failure, held_follow_up(run))
    note = run.conversation.note_for(None)  # a note on the whole answer goes with any retry
    return RetryContext(answer, failure, FollowUp(answer_note=note) if note else None)


def merge_follow_up(run: TaskRun) -> None:
    """After a focused follow-up, the new answer joins the same review; otherwise the answer
    starts a review of its own."""
    from tui.patch.conversation import merge_answer

    held, previous = run._held, run._reviewed
    run._held = None
    if held is None or previous is None:
        run.conversation.record_attempt(run.attempt, run.change_set)
        run.decisions = {}
    else:
        run.change_set, run.decisions = merge_answer(
            run.conversation, previous, held, run.change_set, run.attempt, run.session.workdir
        )
        log_replacements(run)
    run._reviewed = run.change_set


def preview_follow_up(run: TaskRun, decisions: dict[str, str], prompt_override: str | None) -> PreparedPrompt:
    """TaskRun.preview_follow_up: the prompt `r` would send for these decisions, with nothing kept."""
    held, run._held = run._held, dict(decisions)
    try:
        retry = retry_context(run, force=True)
        assert retry is not None
        if retry.focused:
            return fit_follow_up(run, retry, prompt_override)
        return run.session.preview_prompt(run.task_id, retry=retry, prompt_override=prompt_override)
    finally:
        run._held = held


def review_kept_answer(run: TaskRun, answer_path: Path, note: str) -> None:
    """TaskRun.rerun_with_note up to its retry: the kept answer under review, rejected with the note."""
    from tui.run_generation import Answer

    text = answer_path.read_text(encoding="utf-8")
    run.answer = Answer(text=text, final=None, error=None, output_path=answer_path)
    run.attempt = kept_attempt(answer_path)
    take_kept_answer(run, text)
    run.phase = Phase.REVIEWING
    run.note(None, note)
    run.hold_review({hunk.id: "rejected" for hunk in run.change_set.hunks if hunk.placement.placed})
