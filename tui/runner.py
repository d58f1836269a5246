"""The task state machine: one task from READY to DONE (or ERROR), for the TUI and `patchbay run` alike.

Steps: prepare (render + count) → generate (stream) → review (extract + place) → apply → validate →
commit → DONE; retry with the fallback template; roll back; manual and script tasks. Every step is
logged to logs/run_log.jsonl and written to the YAML the careful way (tui.runbook.writer).
Methods are synchronous; the TUI calls the blocking ones from thread workers.

TaskRun owns the state and the policy; its longer steps live beside it and take the run: generation
(tui.run_generation), the validation and script commands (tui.run_checks), rolling back and ending
short of DONE (tui.run_endings) and the review held as a conversation (tui.conversation_steps).
What may be asked when is tui.run_choices; the issue types and failure texts are tui.run_issues.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path

from tui.conversation_steps import (
    add_note,
    answer_change_set,
    fit_follow_up,
    merge_follow_up,
    preview_follow_up,
    regenerate,
    retry_context,
    review_kept_answer,
)
from tui.engine.base import Backend
from tui.errors import PatchbayError
from tui.patch.conversation import Conversation, Note
from tui.patch.hunk_choice import HunkChoice, hunk_report
from tui.run_checks import run_script, validate_applied
from tui.run_choices import RUN_CHOICES, task_actions
from tui.run_endings import abandon_run, end_in_error, roll_back_applied, start_next_attempt
from tui.run_generation import Answer, generate_answer
from tui.run_issues import (
    AUTOPILOT_GAVE_UP,
    MANUAL_ERROR,
    PATCH_FAIL,
    PROMPT_FAIL,
    REVIEW_NOTES,
    RunnerError,
    placement_failure,
)
from tui.run_phase import CANCELLABLE_STEPS, Action, Phase
from tui.runbook.event_log import EventType
from tui.session import PreparedPrompt, Session, task_settings
from tui.workspace.commands import CommandResult
from tui.workspace.journal import AppliedChange

__all__ = [
    "AUTOPILOT_GAVE_UP",
    "Action",
    "Answer",
    "Phase",
    "PreparedPrompt",
    "RunnerError",
    "Session",
    "TaskRun",
    "task_actions",
]


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
        return RUN_CHOICES.get(self._phase, frozenset())

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
        retry = retry_context(self)
        self._start()
        try:
            if retry is not None and retry.focused:
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
        return generate_answer(self, on_chunk, progress)

    def cancel(self) -> None:
        """Stop generation, validation or a script (thread-safe)."""
        self._cancel.set()

    # -- review and apply ------------------------------------------------------------------------------
    @_doing("reviewing")
    def review(self):
        """Extract the changes from the answer and place every hunk."""
        self._expect(Phase.ANSWERED, Phase.REVIEWING)
        assert self.answer is not None
        self.change_set = answer_change_set(self, self.answer.text)
        merge_follow_up(self)
        # A refused file (an unsafe path, say) is shown with its reason; git is never asked about it.
        files = self.change_set.files
        self.user_edited = self.session.user_edited(c.path for c in files if c.error is None)
        self.phase = Phase.REVIEWING
        unplaced = placement_failure(self.change_set, default="")
        if unplaced:  # recorded once per answer, whoever then decides (the user, the autopilot)
            self.session.append_issue(self.task_id, PATCH_FAIL, unplaced[-500:])
        return self.change_set

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
        report = hunk_report(self.change_set, chosen)
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
        return abandon_run(self, reason)

    # -- validation ------------------------------------------------------------------------------------
    @_doing("validating")
    def validate(self, on_output: Callable[[str], None] = lambda _text: None) -> CommandResult | None:
        """Run the task's validation command; pass → commit (if on) and DONE, fail → VALIDATION_FAILED."""
        self._expect(Phase.APPLIED)
        return validate_applied(self, on_output)

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

    @_doing("working")
    def rollback(self) -> None:
        """Undo the applied change (files exactly as before) and make the task READY again."""
        self._expect(Phase.APPLIED, Phase.VALIDATION_FAILED, Phase.VALIDATING, Phase.CANCELLED)
        roll_back_applied(self)
        self.session.write_status(
            self.task_id, "READY", event=EventType.RESET_TASK, details={"reason": "rolled back"}
        )
        self.phase = Phase.READY

    @_doing("preparing")
    def retry(self) -> PreparedPrompt:
        """Roll back what was applied, then prepare the next attempt with the fallback template."""
        self._expect(Phase.VALIDATION_FAILED, Phase.REVIEWING, Phase.ANSWERED, Phase.ERROR, Phase.CANCELLED)
        override = start_next_attempt(self)
        return self.prepare(prompt_override=override)

    # -- review as a conversation (tui.patch.conversation, tui.conversation_steps) ---------------------
    def note(self, hunk_id: str | None, text: str, decision: str | None = None) -> Note:
        """A reviewer's note on a hunk (None: the whole answer); logged as REVIEW_NOTE."""
        self._expect(Phase.REVIEWING)
        return add_note(self, hunk_id, text, decision)

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
        return preview_follow_up(self, decisions, prompt_override)

    @_doing("generating")
    def regenerate_hunk(
        self, hunk_id: str, on_chunk: Callable[[str], None] = lambda _text: None
    ) -> list[str]:
        """Ask the model for one hunk again (its surrounding lines and note in a small prompt); the
        new version replaces it in the review. Returns the new hunk ids; logs HUNK_REGENERATED."""
        self._expect(Phase.REVIEWING)
        self._cancel.clear()
        try:
            return regenerate(self, hunk_id, on_chunk, self._cancel)
        finally:
            self._cancel.clear()

    def rerun_with_note(self, answer_path: Path, note: str) -> PreparedPrompt:
        """`patchbay run --note`: the kept answer is reviewed as a whole, rejected with the note, and
        the follow-up prepared (the next attempt). Nothing was applied from it."""
        self._expect(Phase.READY)
        review_kept_answer(self, answer_path, note)
        return self.retry()

    # -- endings ---------------------------------------------------------------------------------------
    @_doing("working")
    def mark_error(self, note: str, *, issue_type: str = MANUAL_ERROR) -> str:
        """ERROR with `note` as its issue. An applied change is rolled back first when it can be
        (the note says so); one edited since its apply stays in place (the note says that too).
        Returns the sentence that says what happened."""
        return end_in_error(self, note, issue_type)

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
        return run_script(self, on_output)
