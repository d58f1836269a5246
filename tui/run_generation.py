"""The generation step of a task run (TaskRun.generate): load the model, stream the answer with
cancel relayed to this stream alone, keep the answer under outputs/ and log it. A pool's failover
restarts the answer; what the failed server sent is kept apart and never reviewed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.engine.base import (
    Backend,
    Chunk,
    EngineError,
    FinalRecord,
    GenerationRequest,
    GenerationSettings,
    Restart,
)
from tui.errors import PatchbayError
from tui.run_issues import GENERATION_FAIL
from tui.run_phase import Phase
from tui.runbook.event_log import EventType
from tui.session import messages_for, task_settings

if TYPE_CHECKING:
    from tui.runner import TaskRun


@dataclass
class Answer:
    """What one generation produced: the text (partial when it broke off), how it finished, the
    error that stopped it, and the file under outputs/ that keeps it."""

    text: str
    final: FinalRecord | None
    error: str | None
    output_path: Path | None


def generate_answer(run: TaskRun, on_chunk: Callable[[str], None], progress=None) -> Answer:
    """TaskRun.generate once the prompt is prepared: the answer, kept in `run.answer`. A model that
    cannot be used or a failed stream marks the task ERROR (with an issue); a partial answer is kept."""
    assert run.prompt is not None and run._backend is not None
    try:
        run.session.load_model(run.prompt.model_name, progress)
    except PatchbayError as exc:
        run._fail(f"the model {run.prompt.model_name} cannot be used: {exc}", issue_type=GENERATION_FAIL)
        run.answer = Answer(text="", final=None, error=str(exc), output_path=None)
        return run.answer
    run.phase = Phase.GENERATING
    settings = task_settings(run.task)
    request = GenerationRequest(
        messages=messages_for(run.prompt.rendered),
        settings=GenerationSettings(max_new_tokens=settings.max_new_tokens, temperature=settings.temperature),
        task_id=run.task_id,
        attempt=run.attempt,
    )
    log = run.session.log
    log.append(
        run.task_id,
        EventType.AI_PROMPT_SENT,
        details={
            "model": run.prompt.model_name,
            "prompt_sha256": run.prompt.rendered.sha256,
            "tokens_in": run.prompt.tokens.count,
            "tokens_estimated": not run.prompt.tokens.exact,
            "attempt": run.attempt,
        },
    )
    parts: list[str] = []
    final: FinalRecord | None = None
    error: str | None = None
    started = time.monotonic()
    backend = run._backend
    stream_cancel = threading.Event()  # this stream's own flag: parallel tasks share the backend
    over = threading.Event()
    threading.Thread(
        target=_forward_cancel, args=(run._cancel, backend, stream_cancel, over), daemon=True
    ).start()
    slots = run.session.stream_slots(run.prompt.model_name)
    try:
        if _wait_for_slot(run._cancel, slots):
            try:
                for item in backend.stream(request, stream_cancel):
                    if isinstance(item, Chunk):
                        parts.append(item.text)
                        on_chunk(item.text)
                    elif isinstance(item, Restart):  # a pool's failover: start the answer again
                        _keep_abandoned(run, item)
                        parts.clear()
                        on_chunk(f"\n[{item.reason}; starting the answer again on another server]\n")
                    else:
                        final = item
            finally:
                slots.release()
        else:  # cancelled while waiting for its turn
            final = FinalRecord("cancelled", run.prompt.tokens.count, 0, None, None, False)
    except EngineError as exc:
        error = str(exc)
    finally:
        over.set()
    text = "".join(parts)
    output_path = run.session.keep_answer(run.task_id, run.attempt, text)
    run.answer = Answer(text=text, final=final, error=error, output_path=output_path)
    details = {
        "model": run.prompt.model_name,
        "prompt_sha256": run.prompt.rendered.sha256,
        "tokens_in": final.prompt_tokens if final else run.prompt.tokens.count,
        "tokens_out": final.new_tokens if final else None,
        "time_to_first_token": final.time_to_first_token if final else None,
        "tokens_per_second": final.tokens_per_second if final else None,
        "finish_reason": final.finish_reason if final else "error",
        "seconds": round(time.monotonic() - started, 3),
        "output": str(output_path) if output_path else None,
        "attempt": run.attempt,
    }
    if error:
        details["error"] = error
    if final is not None and final.finish_reason == "cancelled":
        log.append(run.task_id, EventType.AI_GENERATION_CANCELLED, details=details)
        run.phase = Phase.CANCELLED
        return run.answer
    log.append(run.task_id, EventType.AI_RESPONSE_RECEIVED, details=details)
    run.session.write_last_run(run.task_id, run.prompt, text, final, success=error is None)
    if error:
        run._fail(f"generation failed: {error}", issue_type=GENERATION_FAIL)
    else:
        run.phase = Phase.ANSWERED
    return run.answer


def _keep_abandoned(run: TaskRun, restart: Restart) -> None:
    """Keep what a failed server had sent, in outputs/ and the log; it is never reviewed."""
    kept = run.session.keep_answer(run.task_id, run.attempt, restart.partial)
    run.session.log.append(
        run.task_id,
        EventType.AI_GENERATION_RESTARTED,
        details={
            "server": restart.failed_server,
            "error": restart.reason,
            "partial_output": str(kept) if kept else None,
            "attempt": run.attempt,
        },
    )


def _wait_for_slot(cancel: threading.Event, slots: threading.BoundedSemaphore) -> bool:
    """Wait for the model to take one more stream; False when cancelled meanwhile."""
    while not cancel.is_set():  # a cancel that came before the stream wins too
        if slots.acquire(timeout=0.05):
            return True
    return False


def _forward_cancel(
    cancel: threading.Event, backend: Backend, stream_cancel: threading.Event, over: threading.Event
) -> None:
    """Relay the run's cancel to its stream alone, so cancel is safe from any thread."""
    while not over.wait(0.02):
        if cancel.is_set():
            backend.cancel_stream(stream_cancel)
            return
