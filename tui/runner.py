"""The task state machine: one task from READY to DONE (or ERROR), for the TUI and `patchbay run` alike.

Steps: prepare (render + count) → generate (stream) → review (extract + place) → apply → validate →
commit → DONE; retry with the fallback template; roll back; manual and script tasks. Every step is
logged to logs/run_log.jsonl and written to the YAML the careful way (tui.runbook.writer).
Methods are synchronous; the TUI calls the blocking ones from thread workers.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
from tui.patch.conversation import Conversation, Note, hunk_where
from tui.patch.hunk_choice import HunkChoice
from tui.prompts.follow_up import FollowUp
from tui.prompts.render import RetryContext
from tui.run_phase import CANCELLABLE_STEPS, Action, Phase
from tui.runbook.event_log import EventType
from tui.session import PreparedPrompt, Session, messages_for, task_settings
from tui.workspace.commands import CommandResult, run_command
from tui.workspace.journal import AppliedChange

__all__ = ["Action", "Answer", "Phase", "PreparedPrompt", "RunnerError", "Session", "TaskRun", "task_actions"]


# The `type` of the issue each kind of failure writes under the task's `issues`.
PROMPT_FAIL = "PROMPT_FAIL"  # the template cannot be rendered, or the prompt is over its budget
GENERATION_FAIL = "GENERATION_FAIL"  # the model cannot be loaded or reached, or the stream broke
PATCH_FAIL = "PATCH_FAIL"  # a hunk of the answer does not place (or a file cannot be changed)
VALIDATION_FAIL = "VALIDATION_FAIL"
SCRIPT_FAIL = "SCRIPT_FAIL"
MANUAL_ERROR = "MANUAL_ERROR"  # the user marked it ERROR, with a note
AUTOPILOT_GAVE_UP = "AUTOPILOT_GAVE_UP"  # `--auto` ran out of attempts
REVIEW_NOTES = "REVIEW_NOTES"  # the notes and attempts of a review, when its task ends in ERROR


class RunnerError(PatchbayError):
    """A step asked for at the wrong moment, or a task that cannot run."""


@dataclass
class Answer:
    text: str
    final: FinalRecord | None
    error: str | None
    output_path: Path | None


_CHOICES = {
    # Retry, error and done-by-hand are in the review, with notes and regenerating a hunk.
    Phase.REVIEWING: frozenset({Action.REVIEW, Action.NOTE, Action.REGENERATE}),
    Phase.ANSWERED: frozenset({Action.RETRY, Action.MARK_ERROR}),  # the answer could not be read
    Phase.VALIDATION_FAILED: frozenset({Action.RETRY, Action.ROLLBACK, Action.KEEP, Action.MARK_ERROR}),
}
AI, MANUAL, SCRIPT = "AI_ASSISTED", "MANUAL", "AUTOMATED_SCRIPT"


def task_actions(session: Session, task_id: str) -> frozenset[Action]:
    """What may be done to a task that has no run going: by its type and its status."""
    task = session.task(task_id)
    status = session.effective_status(task_id)
    allowed: set[Action] = set()
    if status not in ("READY", "PENDING"):  # DONE, SKIPPED, ERROR, or RUNNING when interrupted
        allowed.add(Action.RESET)
    if task.type == AI:
        allowed.add(Action.EDIT_PROMPT)
    if status == "READY":
        if task.type in (AI, SCRIPT):
            allowed.add(Action.RUN)
        elif task.type == MANUAL:
            allowed |= {Action.DONE, Action.SKIP, Action.MARK_ERROR}
    return frozenset(allowed)


def _doing(step: str):
    """Mark a TaskRun method as a step: `run.step` says what runs while it does (announced)."""

    def wrap(method):
        @functools.wraps(method)
        def stepped(self: TaskRun, *args, **kwargs):
            previous = self.step
            self.step = step
            self.session.announce_run(self.task_id)
            try:
                return method(self, *args, **kwargs)
            finally:
                self.step = previous
                self.session.announce_run(self.task_id)

        return stepped

    return wrap


class TaskRun:
    """One run of one task. Create it with `TaskRun.begin(session, task_id)`.

    The one owner of task policy: `allowed()` says what the user may do now, the steps say what
    happens, and the session announces every change of status, phase or step to its listeners.
    """

    @classmethod
    def begin(cls, session: Session, task_id: str) -> TaskRun:
        """A run of a READY task; anything else is refused with the reason (what it waits for)."""
        session.check_can_begin(task_id)
        return cls(session, task_id)

    def __init__(self, session: Session, task_id: str) -> None:
        self.session = session
        self.task_id = task_id
        self.step: str | None = None  # the step running now (set while a method works)
        self._phase = Phase.READY
        self.attempt = 1
        self.prompt: PreparedPrompt | None = None
        self.answer: Answer | None = None
        self.change_set = None
        self.applied: AppliedChange | None = None
        self.hunk_choice: HunkChoice | None = None  # which hunks the last apply took
        self.validation: CommandResult | None = None
        self.failure: str | None = None  # what the retry template is told
        self.commit_sha: str | None = None
        self.user_edited: list[str] = []  # target files holding the user's own uncommitted changes
        # The review as a conversation: notes, attempts, earlier versions (tui.patch.conversation).
        self.conversation = Conversation()
        self.decisions: dict[str, str] = {}  # what the review starts with (kept hunks stay accepted)
        self._held: dict[str, str] | None = None  # the decisions `r` sent: the next answer merges in
        self._held_override: str | None = None  # the follow-up as the user edited it (`e`)
        self._reviewed = None  # the change set those decisions were made on
        self._cancel = threading.Event()
        self._backend: Backend | None = None
        self._started = False

    @property
    def phase(self) -> Phase:
        return self._phase

    @phase.setter
    def phase(self, value: Phase) -> None:
        self._phase = value
        self.session.announce_run(self.task_id)

    @property
    def finished(self) -> bool:
        """Over: nothing more to decide about this run (DONE, ERROR, SKIPPED, or READY again)."""
        return self.step is None and (
            self._phase in (Phase.DONE, Phase.ERROR, Phase.SKIPPED)
            or (self._phase is Phase.READY and self._started)
        )

    def allowed(self) -> frozenset[Action]:
        """What the user may ask of this run now."""
        if self.step is not None:
            return frozenset({Action.CANCEL}) if self.step in CANCELLABLE_STEPS else frozenset()
        return _CHOICES.get(self._phase, frozenset())

    # -- the task, always the current model from the session (it may have been reloaded) --------------
    @property
    def task(self):
        return self.session.task(self.task_id)

    def _expect(self, *phases: Phase) -> None:
        if self.phase not in phases:
            wanted = " or ".join(str(p) for p in phases)
            raise RunnerError(f"task {self.task_id} is {self.phase}, not {wanted}")

    def _start(self) -> None:
        if self._started:
            return
        self._started = True
        self.session.write_status(self.task_id, "RUNNING", event=EventType.START_TASK)

    # -- prompt and generation -------------------------------------------------------------------------
    @_doing("preparing")
    def prepare(self, *, prompt_override: str | None = None) -> PreparedPrompt:
        """Render the prompt (the fallback template on a retry) and count it against the budget."""
        self._expect(Phase.READY, Phase.PROMPTED, Phase.CANCELLED, Phase.ANSWERED, Phase.ERROR)
        if self.phase is Phase.CANCELLED:
            self._cancel.clear()  # the user starts it again: the old cancel is spent
        retry = self._retry_context()
        self._start()
        try:
            if retry is not None and retry.focused:
                from tui.conversation_steps import fit_follow_up

                prompt = fit_follow_up(self, retry, prompt_override)
            else:
                prompt = self.session.preview_prompt(
                    self.task_id, prompt_override=prompt_override, retry=retry
                )
            self._backend = self.session.backend(prompt.model_name)
        except PatchbayError as exc:
            self._fail(f"the prompt could not be prepared: {exc}", issue_type=PROMPT_FAIL)
            raise RunnerError(f"task {self.task_id}: the prompt could not be prepared: {exc}") from None
        self.prompt = prompt
        if prompt.budget.over:
            why = prompt.budget.explain()
            self._fail(f"the prompt is over budget: {why}", issue_type=PROMPT_FAIL)
            raise RunnerError(f"task {self.task_id}: the prompt is over budget: {why}")
        self.phase = Phase.PROMPTED
        return self.prompt

    @_doing("generating")
    def generate(self, on_chunk: Callable[[str], None] = lambda _text: None, progress=None) -> Answer:
        """Load the model if needed, then stream the answer (blocking). A model that cannot be used or
        a failed stream marks the task ERROR (with an issue); a partial answer is kept."""
        if self.phase is not Phase.PROMPTED:
            self.prepare()
        assert self.prompt is not None and self._backend is not None
        try:
            self.session.load_model(self.prompt.model_name, progress)
        except PatchbayError as exc:
            self._fail(
                f"the model {self.prompt.model_name} cannot be used: {exc}", issue_type=GENERATION_FAIL
            )
            self.answer = Answer(text="", final=None, error=str(exc), output_path=None)
            return self.answer
        self.phase = Phase.GENERATING
        settings = task_settings(self.task)
        request = GenerationRequest(
            messages=messages_for(self.prompt.rendered),
            settings=GenerationSettings(
                max_new_tokens=settings.max_new_tokens, temperature=settings.temperature
            ),
            task_id=self.task_id,
            attempt=self.attempt,
        )
        log = self.session.log
        log.append(
            self.task_id,
            EventType.AI_PROMPT_SENT,
            details={
                "model": self.prompt.model_name,
                "prompt_sha256": self.prompt.rendered.sha256,
                "tokens_in": self.prompt.tokens.count,
                "tokens_estimated": not self.prompt.tokens.exact,
                "attempt": self.attempt,
            },
        )
        parts: list[str] = []
        final: FinalRecord | None = None
        error: str | None = None
        started = time.monotonic()
        backend = self._backend
        stream_cancel = threading.Event()  # this stream's own flag: parallel tasks share the backend
        over = threading.Event()
        threading.Thread(
            target=self._forward_cancel, args=(backend, stream_cancel, over), daemon=True
        ).start()
        slots = self.session.stream_slots(self.prompt.model_name)
        try:
            if self._wait_for_slot(slots):
                try:
                    for item in backend.stream(request, stream_cancel):
                        if isinstance(item, Chunk):
                            parts.append(item.text)
                            on_chunk(item.text)
                        elif isinstance(item, Restart):  # a pool's failover: start the answer again
                            self._keep_abandoned(item)
                            parts.clear()
                            on_chunk(f"\n[{item.reason}; starting the answer again on another server]\n")
                        else:
                            final = item
                finally:
                    slots.release()
            else:  # cancelled while waiting for its turn
                final = FinalRecord("cancelled", self.prompt.tokens.count, 0, None, None, False)
        except EngineError as exc:
            error = str(exc)
        finally:
            over.set()
        text = "".join(parts)
        output_path = self.session.keep_answer(self.task_id, self.attempt, text)
        self.answer = Answer(text=text, final=final, error=error, output_path=output_path)
        details = {
            "model": self.prompt.model_name,
            "prompt_sha256": self.prompt.rendered.sha256,
            "tokens_in": final.prompt_tokens if final else self.prompt.tokens.count,
            "tokens_out": final.new_tokens if final else None,
            "time_to_first_token": final.time_to_first_token if final else None,
            "tokens_per_second": final.tokens_per_second if final else None,
            "finish_reason": final.finish_reason if final else "error",
            "seconds": round(time.monotonic() - started, 3),
            "output": str(output_path) if output_path else None,
            "attempt": self.attempt,
        }
        if error:
            details["error"] = error
        if final is not None and final.finish_reason == "cancelled":
            log.append(self.task_id, EventType.AI_GENERATION_CANCELLED, details=details)
            self.phase = Phase.CANCELLED
            return self.answer
        log.append(self.task_id, EventType.AI_RESPONSE_RECEIVED, details=details)
        self.session.write_last_run(self.task_id, self.prompt, text, final, success=error is None)
        if error:
            self._fail(f"generation failed: {error}", issue_type=GENERATION_FAIL)
        else:
            self.phase = Phase.ANSWERED
        return self.answer

    def _keep_abandoned(self, restart: Restart) -> None:
        """Keep what a failed server had sent, in outputs/ and the log; it is never reviewed."""
        kept = self.session.keep_answer(self.task_id, self.attempt, restart.partial)
        self.session.log.append(
            self.task_id,
            EventType.AI_GENERATION_RESTARTED,
            details={
                "server": restart.failed_server,
                "error": restart.reason,
                "partial_output": str(kept) if kept else None,
                "attempt": self.attempt,
            },
        )

    def _wait_for_slot(self, slots: threading.BoundedSemaphore) -> bool:
        """Wait for the model to take one more stream; False when cancelled meanwhile."""
        while not self._cancel.is_set():  # a cancel that came before the stream wins too
            if slots.acquire(timeout=0.05):
                return True
        return False

    def _forward_cancel(
        self, backend: Backend, stream_cancel: threading.Event, over: threading.Event
    ) -> None:
        """Relay `cancel()` to this run's stream alone, so cancel is safe from any thread."""
        while not over.wait(0.02):
            if self._cancel.is_set():
                backend.cancel_stream(stream_cancel)
                return

    def cancel(self) -> None:
        """Stop generation, validation or a script (thread-safe)."""
        self._cancel.set()

    # -- review and apply ------------------------------------------------------------------------------
    @_doing("reviewing")
    def review(self):
        """Extract the changes from the answer and place every hunk."""
        self._expect(Phase.ANSWERED, Phase.REVIEWING)
        assert self.answer is not None
        self.change_set = self._build_change_set(self.answer.text)
        self._merge_follow_up()
        self.user_edited = self.session.user_edited(change.path for change in self.change_set.files)
        self.phase = Phase.REVIEWING
        unplaced = _placement_failure(self.change_set, default="")
        if unplaced:  # recorded once per answer, whoever then decides (the user, the autopilot)
            self.session.append_issue(self.task_id, PATCH_FAIL, unplaced[-500:])
        return self.change_set

    def _build_change_set(self, text: str):
        from tui.patch.extract import build_change_set

        settings = task_settings(self.task)
        return build_change_set(
            text,
            self.session.workdir,
            output_parser=self.session.output_parser_for(self.task),
            output_artifact=settings.output_artifact,
            files_to_modify=settings.files_to_modify or None,
        )

    @_doing("applying")
    def apply(self, accepted: set[str] | None = None, *, confirm_outside: bool = False) -> AppliedChange:
        """Write the accepted hunks to the working tree, all or nothing."""
        self._expect(Phase.REVIEWING)
        from tui.patch.apply_change import apply_change_set

        chosen = None if accepted is None else set(accepted)
        try:
            applied = apply_change_set(
                self.session.workdir, self.change_set, chosen, allow_outside=confirm_outside
            )
        except PatchbayError as exc:
            self.session.log.append(self.task_id, EventType.PATCH_REJECTED, details={"reason": str(exc)})
            raise
        report = _hunk_report(self.change_set, chosen)
        self.hunk_choice = HunkChoice.of(self.change_set, chosen)  # for the commit and last_run
        self.session.record_hunks(self.task_id, self.hunk_choice)
        self.applied = applied
        self.session.remember_applied(self.task_id, applied)
        details: dict = {"change_id": applied.id, "files": report}
        if len(self.conversation.produced) > 1:  # the hunks each attempt of the review produced
            details["attempts"] = {str(n): ids for n, ids in self.conversation.produced.items()}
        self.session.log.append(self.task_id, EventType.PATCH_APPLIED, details=details)
        self.phase = Phase.APPLIED
        return applied

    @_doing("working")
    def reject(self, reason: str = "rejected in review") -> None:
        """Nothing was applied: the answer is set aside and the task is READY again."""
        self._expect(Phase.REVIEWING, Phase.ANSWERED)
        self.session.log.append(self.task_id, EventType.PATCH_REJECTED, details={"reason": reason})
        self.session.write_status(self.task_id, "READY", event=None)
        self.phase = Phase.READY

    @_doing("working")
    def set_aside(self, reason: str) -> None:
        """Stop here without applying anything (a headless run, a cancel): the task is READY again."""
        self.session.write_status(
            self.task_id, "READY", event=EventType.RESET_TASK, details={"reason": reason}
        )
        self.phase = Phase.READY

    @_doing("working")
    def abandon(self, reason: str) -> str:
        """Stop this run wherever it is (a cancel, Ctrl-C, quitting): what was applied is rolled back
        and the task is READY again; a change edited since its apply stays, and the task is ERROR.
        The same in the TUI, `patchbay run` and `--auto`. Returns the sentence saying what happened."""
        if self.phase in (Phase.DONE, Phase.ERROR, Phase.SKIPPED):
            return f"{self.task_id} is {self.phase.value.upper()}."
        if self.applied is not None:
            if self.rollback_blockers():
                return self.mark_error(reason)
            files = ", ".join(self.applied.files)
            self._roll_back_applied()
            self.set_aside(reason)
            return f"{self.task_id} is READY again; the change to {files} was rolled back."
        if self.phase is Phase.READY and not self._started:
            return f"{self.task_id} is READY."
        self.set_aside(reason)
        return f"{self.task_id} is READY again."

    # -- validation ------------------------------------------------------------------------------------
    @_doing("validating")
    def validate(self, on_output: Callable[[str], None] = lambda _text: None) -> CommandResult | None:
        """Run the task's validation command; pass → commit (if on) and DONE, fail → VALIDATION_FAILED."""
        self._expect(Phase.APPLIED)
        settings = task_settings(self.task)
        command = settings.validation_command
        if not command:
            self._complete()
            return None
        self.phase = Phase.VALIDATING
        result = self._run_command(
            command,
            shell=settings.validation_shell,
            timeout=settings.validation_timeout,
            on_output=on_output,
        )
        self.validation = result
        self.session.log.append(
            self.task_id,
            EventType.VALIDATION_RUN,
            details={
                "command": command,
                "exit_code": result.exit_code,
                "timed_out": result.timed_out,
                "cancelled": result.cancelled,
                "seconds": round(result.duration, 3),
            },
        )
        if result.passed:
            self._complete()
        elif result.cancelled:  # a stopped check says nothing about the change; abandon() ends it
            self.phase = Phase.CANCELLED
        else:
            self.failure = _failure_text(command, result)
            self.phase = Phase.VALIDATION_FAILED
            self.session.append_issue(self.task_id, VALIDATION_FAIL, self.failure[-500:])
            self.session.set_last_run_outcome(self.task_id, "FAILURE")
        return result

    def _run_command(self, command: str, **options) -> CommandResult:
        """Run a validation or script command; a cancel that came before it means it never starts."""
        if self._cancel.is_set():
            return CommandResult(exit_code=-2, output="", timed_out=False, cancelled=True, duration=0.0)
        return run_command(command, self.session.workdir, cancel_event=self._cancel, **options)

    def _complete(self) -> None:
        if task_settings(self.task).commit and self.applied is not None:
            assert self.prompt is not None
            notes = self.conversation.commit_lines()
            self.commit_sha = self.session.commit(
                self.task, self.applied, self.prompt, self.hunk_choice, notes=notes
            )
        self.session.write_status(self.task_id, "DONE", event=EventType.COMPLETE_TASK)
        self.phase = Phase.DONE

    @_doing("working")
    def keep(self) -> None:
        """Validation failed, but the user keeps the change: DONE."""
        self._expect(Phase.VALIDATION_FAILED)
        self.failure = None
        self._complete()

    def rollback_blockers(self) -> list[str]:
        """Files of the applied change edited since it was applied (by the validation command or
        by hand): rolling back would discard those edits, so it is refused while there are any."""
        if self.applied is None:
            return []
        return self.session.restore_blockers(self.applied)

    def _roll_back_applied(self) -> None:
        """Put the files back exactly as before the apply, and log it; refuse over later edits."""
        assert self.applied is not None
        changed = self.rollback_blockers()
        if changed:
            raise RunnerError(
                f"task {self.task_id}: {', '.join(changed)} changed after the change was applied; rolling "
                "back would discard those edits, so the change is left in place"
            )
        self.session.restore(self.applied)
        self.session.log.append(
            self.task_id,
            EventType.ROLLBACK,
            details={"change_id": self.applied.id, "files": list(self.applied.files)},
        )
        self.applied = None

    @_doing("working")
    def rollback(self) -> None:
        """Undo the applied change (files exactly as before) and make the task READY again."""
        self._expect(Phase.APPLIED, Phase.VALIDATION_FAILED, Phase.VALIDATING, Phase.CANCELLED)
        self._roll_back_applied()
        self.session.write_status(
            self.task_id, "READY", event=EventType.RESET_TASK, details={"reason": "rolled back"}
        )
        self.phase = Phase.READY

    @_doing("preparing")
    def retry(self) -> PreparedPrompt:
        """Roll back what was applied, then prepare the next attempt with the fallback template."""
        self._expect(Phase.VALIDATION_FAILED, Phase.REVIEWING, Phase.ANSWERED, Phase.ERROR, Phase.CANCELLED)
        if self.applied is not None:
            self._roll_back_applied()
        if self.failure is None and self.change_set is not None:
            self.failure = _placement_failure(self.change_set)
        self._cancel.clear()  # the user asked for another attempt: an earlier cancel is spent
        self.attempt += 1
        details: dict = {"attempt": self.attempt}
        override = None
        if self._held is not None and self.change_set is not None:
            follow_up = self._follow_up()
            override = self._held_override
            details.update(
                focused=follow_up.focused,
                kept=len(follow_up.kept),
                rejected=len(follow_up.rejected),
                failed=len(follow_up.failed),
            )
            if not follow_up.focused:
                self._held = None  # nothing singled out: the whole change is asked again
        self.session.log.append(self.task_id, EventType.RETRY, details=details)
        self.phase = Phase.READY
        return self.prepare(prompt_override=override)

    # -- review as a conversation (tui.patch.conversation, tui.conversation_steps) ---------------------
    def note(self, hunk_id: str | None, text: str, decision: str | None = None) -> Note:
        """A reviewer's note on a hunk (None: the whole answer); logged as REVIEW_NOTE."""
        self._expect(Phase.REVIEWING)
        where = "the whole answer"
        if hunk_id is not None:
            change = next(c for c in self.change_set.files if hunk_id in c.hunk_ids)
            where = hunk_where(change.path, next(h for h in change.hunks if h.id == hunk_id))
        note = Note(text.strip(), self.attempt, hunk_id, where, decision)
        self.conversation.add_note(note)
        self.session.log.append(
            self.task_id,
            EventType.REVIEW_NOTE,
            details={
                "attempt": self.attempt,
                "hunk": hunk_id,
                "where": where,
                "decision": decision,
                "note": note.text,
            },
        )
        return note

    def hold_review(self, decisions: dict[str, str], prompt_override: str | None = None) -> None:
        """What `r` in the review sends: these decisions shape the follow-up (accepted hunks are
        kept, rejected and failed ones asked again), and the next answer merges into them."""
        self._expect(Phase.REVIEWING)
        self._held = dict(decisions)
        self._held_override = prompt_override

    def preview_follow_up(
        self, decisions: dict[str, str], prompt_override: str | None = None
    ) -> PreparedPrompt:
        """The prompt `r` would send for these decisions, or `prompt_override` (the user's edit)
        counted against the same budget; nothing is written or logged."""
        self._expect(Phase.REVIEWING)
        from tui.conversation_steps import fit_follow_up

        held, self._held = self._held, dict(decisions)
        try:
            retry = self._retry_context(force=True)
            assert retry is not None
            if retry.focused:
                return fit_follow_up(self, retry, prompt_override)
            return self.session.preview_prompt(self.task_id, retry=retry, prompt_override=prompt_override)
        finally:
            self._held = held

    @_doing("generating")
    def regenerate_hunk(
        self, hunk_id: str, on_chunk: Callable[[str], None] = lambda _text: None
    ) -> list[str]:
        """Ask the model for one hunk again (its surrounding lines and note in a small prompt); the
        new version replaces it in the review. Returns the new hunk ids; logs HUNK_REGENERATED."""
        self._expect(Phase.REVIEWING)
        from tui.conversation_steps import regenerate

        self._cancel.clear()
        try:
            return regenerate(self, hunk_id, on_chunk, self._cancel)
        finally:
            self._cancel.clear()

    def rerun_with_note(self, answer_path: Path, note: str) -> PreparedPrompt:
        """`patchbay run --note`: the kept answer is reviewed as a whole, rejected with the note, and
        the follow-up prepared (the next attempt). Nothing was applied from it."""
        self._expect(Phase.READY)
        from tui.conversation_steps import kept_attempt, take_kept_answer

        text = answer_path.read_text(encoding="utf-8")
        self.answer = Answer(text=text, final=None, error=None, output_path=answer_path)
        self.attempt = kept_attempt(answer_path)
        take_kept_answer(self, text)
        self.phase = Phase.REVIEWING
        self.note(None, note)
        self.hold_review({hunk.id: "rejected" for hunk in self.change_set.hunks if hunk.placement.placed})
        return self.retry()

    def _follow_up(self):
        from tui.patch.follow_up import follow_up_for

        assert self._held is not None and self.change_set is not None
        return follow_up_for(self.change_set, self._held, self.conversation)

    def _retry_context(self, *, force: bool = False) -> RetryContext | None:
        if not force and (self.attempt <= 1 or self.answer is None):
            return None
        answer = self.answer.text if self.answer is not None else ""
        failure = self.failure or ""
        if self._held is not None and self.change_set is not None:
            if not failure:
                failure = _placement_failure(self.change_set)
            return RetryContext(answer, failure, self._follow_up())
        note = self.conversation.note_for(None)  # a note on the whole answer goes with any retry
        return RetryContext(answer, failure, FollowUp(answer_note=note) if note else None)

    def _merge_follow_up(self) -> None:
        """After a focused follow-up, the new answer joins the same review; otherwise the answer
        starts a review of its own."""
        from tui.patch.conversation import merge_answer

        held, previous = self._held, self._reviewed
        self._held = None
        if held is None or previous is None:
            self.conversation.record_attempt(self.attempt, self.change_set)
            self.decisions = {}
        else:
            self.change_set, self.decisions = merge_answer(
                self.conversation, previous, held, self.change_set, self.attempt, self.session.workdir
            )
            from tui.conversation_steps import log_replacements

            log_replacements(self)
        self._reviewed = self.change_set

    # -- endings ---------------------------------------------------------------------------------------
    @_doing("working")
    def mark_error(self, note: str, *, issue_type: str = MANUAL_ERROR) -> str:
        """ERROR with `note` as its issue. An applied change is rolled back first when it can be
        (the note says so); one edited since its apply stays in place (the note says that too).
        Returns the sentence that says what happened."""
        note = note or "marked as an error"
        said = f"{self.task_id} is ERROR"
        if self.applied is not None:
            files = ", ".join(self.applied.files)
            changed = self.rollback_blockers()
            if changed:
                kept = (
                    f"the change to {files} was left in place (uncommitted): {', '.join(changed)} "
                    "changed after it was applied"
                )
                note = f"{note}; {kept}"
                said += f"; {kept}"
            else:
                self._roll_back_applied()
                note = f"{note}; the change to {files} was rolled back"
                said += f"; the change to {files} was rolled back"
        self._fail(note, issue_type=issue_type)
        return said + "."

    def _fail(self, note: str, *, issue_type: str) -> None:
        self._start()
        self.session.append_issue(self.task_id, issue_type, note)
        if self.conversation.history or len(self.conversation.produced) > 1:
            self.session.append_issue(self.task_id, REVIEW_NOTES, self.conversation.summary()[-1500:])
        if self.answer is not None:
            self.session.set_last_run_outcome(self.task_id, "FAILURE")
        self.session.write_status(self.task_id, "ERROR", event=EventType.ERROR_TASK, details={"note": note})
        self.phase = Phase.ERROR

    @_doing("working")
    def mark_done(self, note: str | None = None) -> None:
        """A MANUAL task done, or an AI task the user finished by hand."""
        self._start()
        self.session.log.append(
            self.task_id, EventType.MANUAL_ACTION, details={"action": "done", "note": note}
        )
        self.session.write_status(self.task_id, "DONE", event=EventType.COMPLETE_TASK)
        self.phase = Phase.DONE

    @_doing("working")
    def skip(self) -> None:
        self.session.write_status(self.task_id, "SKIPPED", event=EventType.SKIP_TASK)
        self.phase = Phase.SKIPPED

    @_doing("running the script")
    def run_script(self, on_output: Callable[[str], None] = lambda _text: None) -> CommandResult:
        """AUTOMATED_SCRIPT: run the command; exit 0 → DONE, anything else → ERROR."""
        script = task_settings(self.task).script
        if script is None:
            raise RunnerError(f"task {self.task_id} has no script_details.command to run")
        self._start()
        result = self._run_command(
            script.command, shell=script.shell, timeout=script.timeout, on_output=on_output
        )
        self.session.log.append(
            self.task_id,
            EventType.SCRIPT_RUN,
            details={
                "command": script.command,
                "exit_code": result.exit_code,
                "seconds": round(result.duration, 3),
            },
        )
        if result.passed:
            self.session.write_status(self.task_id, "DONE", event=EventType.COMPLETE_TASK)
            self.phase = Phase.DONE
        elif result.cancelled:
            self.phase = Phase.CANCELLED  # abandon() makes it READY again
        else:
            self._fail(_failure_text(script.command, result)[-500:], issue_type=SCRIPT_FAIL)
        return result


def _failure_text(command: str, result: CommandResult) -> str:
    if result.error:
        return f"$ {command}\n{result.error}"
    why = (
        "timed out"
        if result.timed_out
        else ("was cancelled" if result.cancelled else f"exited {result.exit_code}")
    )
    return f"$ {command}\n{result.output.rstrip()}\n[{why}]"


def _hunk_report(change_set, accepted: set[str] | None) -> list[dict]:
    """Per file, per hunk: how it placed and whether it was accepted (for the run log)."""
    files = []
    for change in change_set.files:
        hunks = [
            {
                "id": hunk.id,
                "placement": hunk.placement.describe(),
                "accepted": accepted is None or hunk.id in accepted,
            }
            for hunk in change.hunks
        ]
        files.append({"path": change.path, "hunks": hunks})
    return files


def _placement_failure(change_set, default: str = "the change was rejected in review") -> str:
    """Each refused file and unplaced hunk, with the closest region's actual lines (the retry's
    `failure`)."""
    from tui.patch.failure_text import failure_text

    return failure_text(change_set) or default
