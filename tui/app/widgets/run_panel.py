"""The run panel: one task run's output and decisions, driven through the runner (tui.runner.TaskRun).

Blocking steps run in thread workers that only post messages; the handlers here show what
happened and start the next step. What the user may do at any moment is the runner's answer
(`TaskRun.allowed()`); the panel keeps no state machine of its own. AI task: prepare → generate
(streaming) → review (the review screen) → validate → DONE, or a choice after a failed
validation. AUTOMATED_SCRIPT: the command's exit code decides. A cancel anywhere abandons the run
(rolled back, READY again), the same as Ctrl-C in `patchbay run`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.containers import Vertical
from textual.message import Message

from tui.app import messages as m
from tui.app.widgets.output_pane import OutputPane
from tui.errors import PatchbayError
from tui.plural import counted
from tui.run_phase import CANCELLABLE_STEPS, Action, Phase

if TYPE_CHECKING:
    from tui.runner import TaskRun  # imported when a run starts, not for the first frame
    from tui.session import PreparedPrompt, Session

TaskKey = tuple[int, str]
# Answered but nothing applied yet: quitting sets the answer aside (kept under outputs/, READY).
UNAPPLIED = (Phase.ANSWERED, Phase.REVIEWING)


class RunPanel(Vertical):
    DEFAULT_CSS = "RunPanel { height: 1fr; }"

    class Finished(Message):
        """The run is over (DONE, ERROR, SKIPPED or READY again)."""

        def __init__(self, run: TaskRun) -> None:
            super().__init__()
            self.run = run

    class PromptShown(Message):
        """The run's prompt is prepared: the prompt pane shows it while its task is selected."""

        def __init__(self, key: TaskKey | None, prompt: PreparedPrompt) -> None:
            super().__init__()
            self.key = key
            self.prompt = prompt

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run: TaskRun | None = None
        self.quitting = False  # the user chose to quit: steps that end start nothing new
        self.run_key: TaskKey | None = None
        self.borrowed: OutputPane | None = None  # a parallel batch's tab, while its run is here

    def compose(self):
        yield OutputPane(id="output")

    # -- what is going on ----------------------------------------------------------------------------
    @property
    def output(self) -> OutputPane:
        """Where the active run streams: its batch tab when it came from a parallel run."""
        return self.borrowed if self.borrowed is not None else self.query_one("#output", OutputPane)

    @property
    def busy(self) -> str | None:
        """What runs now (the runner's step), "working" while a quick call finishes, else None."""
        if self.run is not None and self.run.step is not None:
            return self.run.step
        if any(not worker.is_finished for worker in self.workers if worker.group in ("run", "action")):
            return "working"
        return None

    def allowed(self) -> frozenset[Action]:
        """The active run's choices (the runner's), nothing while a quick call finishes."""
        if self.run is None:
            return frozenset()
        if self.busy == "working":
            return frozenset()
        return self.run.allowed()

    # -- starting ------------------------------------------------------------------------------------
    def start(self, key: TaskKey, session: Session, override: str | None) -> None:
        from tui.runner import TaskRun

        task = session.task(key[1])
        try:
            run = TaskRun.begin(session, key[1])
        except PatchbayError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.run, self.run_key, self.borrowed = run, key, None
        if task.type == "AUTOMATED_SCRIPT":
            command = task.script_details.command if task.script_details else ""
            self.output.begin(f"Script: {task.id}", tokens=False)
            self.output.note(f"$ {command}")
            self.script_worker(run, self.output.feed)
        else:
            self.output.begin(f"Answer: {task.id}", tokens=True)
            self.prepare_worker(run, override)

    def adopt(self, run: TaskRun, key: TaskKey, pane: OutputPane) -> None:
        """Take over an answered run of a parallel batch for review (it streamed into `pane`)."""
        self.run, self.run_key, self.borrowed = run, key, pane
        self.review_worker(run)

    # -- workers (threads; they only post messages) ------------------------------------------------
    @work(thread=True, group="run", exit_on_error=False)
    def prepare_worker(self, run: TaskRun, override: str | None) -> None:
        self._step(
            run,
            "prepare",
            lambda: self.post_message(m.PromptPrepared(run, run.prepare(prompt_override=override))),
        )

    @work(thread=True, group="run", exit_on_error=False)
    def retry_worker(self, run: TaskRun) -> None:
        self._step(run, "prepare", lambda: self.post_message(m.PromptPrepared(run, run.retry())))

    @work(thread=True, group="run", exit_on_error=False)
    def generate_worker(self, run: TaskRun, feed: Callable[[str], None]) -> None:
        self._step(run, "generate", lambda: self.post_message(m.GenerationFinished(run, run.generate(feed))))

    @work(thread=True, group="run", exit_on_error=False)
    def review_worker(self, run: TaskRun) -> None:
        def review() -> None:
            run.review()
            self.post_message(m.ReviewReady(run))

        self._step(run, "review", review)

    @work(thread=True, group="run", exit_on_error=False)
    def validate_worker(self, run: TaskRun, feed: Callable[[str], None]) -> None:
        self._step(run, "validate", lambda: self.post_message(m.ValidationFinished(run, run.validate(feed))))

    @work(thread=True, group="run", exit_on_error=False)
    def script_worker(self, run: TaskRun, feed: Callable[[str], None]) -> None:
        self._step(run, "script", lambda: self.post_message(m.ScriptFinished(run, run.run_script(feed))))

    @work(thread=True, group="action", exit_on_error=False)
    def action_worker(self, run: TaskRun | None, call: Callable[[], str | None]) -> None:
        self._step(run, "action", lambda: self.post_message(m.ActionDone(run, call())))

    def _step(self, run: TaskRun | None, step: str, call: Callable[[], None]) -> None:
        try:
            call()
        except PatchbayError as exc:
            self.post_message(m.RunStepFailed(run, step, str(exc)))
        except Exception as exc:  # a bug: say it, and never leave the panel busy with nothing running
            self.post_message(m.RunStepFailed(run, step, f"internal error ({type(exc).__name__}: {exc})"))

    def quick(self, run: TaskRun | None, call: Callable[[], str | None]) -> None:
        """A short runner or session call off the event loop (it writes files)."""
        self.action_worker(run, call)

    # -- handlers (UI thread) -----------------------------------------------------------------------
    def on_worker_state_changed(self) -> None:
        # A worker started or ended: what the footer offers may have changed even where no task
        # status did (a quick call that failed, a step that ended where it began).
        self.screen.refresh_bindings()

    def on_prompt_prepared(self, message: m.PromptPrepared) -> None:
        if self.quitting:
            return  # the unmount sets the run aside
        if message.run is not self.run:
            return
        self.post_message(self.PromptShown(self.run_key, message.prompt))
        # A retry keeps the previous attempt's output above a separator.
        title = f"Answer: {message.run.task_id} (attempt {message.run.attempt})"
        self.output.begin(title, tokens=True, clear=message.run.attempt == 1)
        self.generate_worker(message.run, self.output.feed)

    def on_generation_finished(self, message: m.GenerationFinished) -> None:
        if self.quitting:
            return  # the unmount sets the run aside
        run = message.run
        if run is not self.run:
            return
        answer = message.answer
        self.output.finish(final=answer.final)
        if run.phase is Phase.CANCELLED:
            self.output.note("Cancelled; the partial answer stays here (c copies it).")
            self.quick(run, lambda: run.abandon("cancelled"))
        elif run.phase is Phase.ERROR:
            self.output.note(f"Generation failed: {answer.error}. The task is ERROR; R resets it to READY.")
            self.finish(f"{run.task_id} is ERROR: {answer.error}", severity="error")
        else:
            self.review_worker(run)

    def on_review_ready(self, message: m.ReviewReady) -> None:
        if self.quitting:
            return  # the unmount sets the run aside
        if message.run is not self.run:
            return
        if self.app.screen is not self.screen:
            # A question is up (quit, an error note): the review must not cover it and take its keys.
            self.output.note("The answer is ready: v reviews it.")
            return
        self.open_review()

    def open_review(self) -> None:
        from tui.app.screens.review import ReviewScreen

        run = self.run
        if run is None:
            return
        if run.user_edited:
            self.app.notify(
                f"{', '.join(run.user_edited)} holds uncommitted changes of yours; applying goes on top "
                "of them, and u (undo) puts your version back.",
                title="Your own edits",
                severity="warning",
                timeout=8,
            )
        self.app.push_screen(ReviewScreen(run), lambda result: self.after_review(run, result))

    def after_review(self, run: TaskRun, result: str | None) -> None:
        """The review screen closed with an outcome; the run's phase confirms what happened there."""
        if run is not self.run:
            return
        if run.phase is Phase.APPLIED:
            self.start_validation()
        elif result == "retry":
            self.retry()
        elif result == "error":
            self.ask_error_note(run.task_id, self.mark_error, on_cancel=self.back_from_review)
        elif result == "manual_done":
            self.quick(
                run, lambda: (run.mark_done("finished by hand during review"), f"{run.task_id} is DONE.")[1]
            )
        elif run.phase is Phase.REVIEWING:
            self.back_from_review()
        else:
            self.finish(f"{run.task_id} is {run.phase}.")

    def back_from_review(self) -> None:
        self.output.note("Back from review: v reviews again (retry, error and done-by-hand are there).")

    def start_validation(self) -> None:
        from tui.session import task_settings

        run = self.run
        command = task_settings(run.task).validation_command or ""
        self.output.begin(f"Validation: {run.task_id}", tokens=False, clear=False)
        self.output.note(f"── validation ── $ {command}" if command else "── validation ──")
        self.validate_worker(run, self.output.feed)

    def on_validation_finished(self, message: m.ValidationFinished) -> None:
        if self.quitting:
            return  # the unmount sets the run aside
        run = message.run
        if run is not self.run:
            return
        self.output.finish()
        if run.phase is Phase.CANCELLED:
            self.output.note("✗ validation cancelled.")
            self.quick(run, lambda: run.abandon("cancelled"))
        elif run.phase is Phase.DONE:
            commit = f", committed {run.commit_sha[:8]}" if run.commit_sha else ""
            self.output.note(f"✓ validation passed: {run.task_id} is DONE{commit}.")
            self.finish(f"{run.task_id} is DONE{commit}.")
        else:
            result = message.result
            self.output.note(f"✗ validation exited {result.exit_code if result else '?'}.")
            self.output.note("r retry · b roll back · k keep (DONE) · x error")

    def on_script_finished(self, message: m.ScriptFinished) -> None:
        if self.quitting:
            return  # the unmount sets the run aside
        run = message.run
        if run is not self.run:
            return
        self.output.finish()
        if run.phase is Phase.CANCELLED:
            self.output.note("✗ the script was cancelled.")
            self.quick(run, lambda: run.abandon("cancelled"))
        elif run.phase is Phase.DONE:
            self.output.note("✓ the script exited 0: DONE.")
            self.finish(f"{run.task_id} is DONE.")
        else:
            code = message.result.exit_code
            self.output.note(f"✗ the script exited {code}: ERROR.")
            self.finish(f"{run.task_id} is ERROR (exit {code}).", severity="error")

    def on_run_step_failed(self, message: m.RunStepFailed) -> None:
        if message.step == "action":  # a quick call (often on a run of its own): say why
            self.notify(message.sentence, severity="error")
            return
        run = message.run
        if run is not self.run:
            return
        self.output.finish()
        if message.step == "review":
            self.output.note(f"{message.sentence} r retries · x marks it ERROR.")
        elif run.phase is Phase.ERROR:
            # Nothing was generated (a template error, a prompt over budget): the runner marked the
            # task ERROR with an issue naming the cause.
            self.output.note(f"The {message.step} step failed: {message.sentence}")
            self.output.note("The task is ERROR; fix the cause, then R resets it to READY.")
            self.finish(message.sentence, severity="error")
        else:
            self.output.note(f"The {message.step} step failed: {message.sentence}")
            self.notify(message.sentence, severity="error")

    def on_action_done(self, message: m.ActionDone) -> None:
        if message.sentence:
            self.notify(message.sentence)
        run = message.run
        if run is not None and run is self.run and run.finished:
            self.finish(None)

    def finish(self, sentence: str | None, severity: str = "information") -> None:
        run = self.run
        self.run, self.run_key, self.borrowed = None, None, None
        if sentence:
            self.notify(sentence, severity=severity)
        if run is not None:
            self.post_message(self.Finished(run))

    # -- the user's choices -------------------------------------------------------------------------
    def retry(self) -> None:
        run = self.run
        if run is None:
            return
        self.output.note(f"── retry (attempt {run.attempt + 1}) ──")
        self.retry_worker(run)

    def cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()

    def rollback(self) -> None:
        run = self.run
        if run is not None:
            self.quick(run, lambda: (run.rollback(), f"Rolled back {run.task_id}; it is READY again.")[1])

    def keep(self) -> None:
        run = self.run
        if run is not None:
            self.quick(run, lambda: (run.keep(), f"Kept the change: {run.task_id} is DONE.")[1])

    def mark_error(self, note: str) -> None:
        run = self.run
        if run is not None:
            self.quick(run, lambda: run.mark_error(note))

    def ask_error_note(
        self, task_id: str, on_note: Callable[[str], None], on_cancel: Callable[[], None] | None = None
    ) -> None:
        from tui.app.screens.modals import NoteScreen

        def noted(note: str | None) -> None:
            if note is not None:
                on_note(note)
            elif on_cancel is not None:
                on_cancel()

        self.app.push_screen(NoteScreen(f"Why is {task_id} an error?", "a short note for the runbook"), noted)

    def mark_error_asking(self, session: Session, task_id: str) -> None:
        """`x`: the active run, else the selected (manual) task, becomes ERROR with the user's note."""
        if self.run is not None:
            self.ask_error_note(self.run.task_id, self.mark_error)
        else:
            self.ask_error_note(
                task_id, lambda note: self.manual(session, task_id, lambda run: run.mark_error(note))
            )

    def mark_done(self, session: Session, task_id: str) -> None:
        self.manual(session, task_id, lambda run: (run.mark_done(), f"{run.task_id} is DONE.")[1])

    def skip(self, session: Session, task_id: str) -> None:
        self.manual(session, task_id, lambda run: (run.skip(), f"{run.task_id} is SKIPPED.")[1])

    def manual(self, session: Session, task_id: str, call: Callable[[TaskRun], str | None]) -> None:
        """A MANUAL task's done / skip / error: a run of its own, over in one call."""
        from tui.runner import TaskRun

        try:
            run = TaskRun.begin(session, task_id)
        except PatchbayError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.quick(run, lambda: call(run))

    # -- what to tell the user ----------------------------------------------------------------------
    def why_not_run(self, session: Session, task_id: str, batch_pending: bool) -> str:
        if self.busy:
            return f"Wait: a task is {self.busy} (escape cancels)."
        if self.run is not None:
            return "Choose first: the running task waits for you (see the footer)."
        if batch_pending:
            return "Finish the parallel tasks first: v reviews the next answer, escape cancels."
        if session.task(task_id).type == "MANUAL":
            return "A manual task: do it, then y done, s skip or x error."
        waits = session.blocked_by(task_id)
        status = session.effective_status(task_id)
        return f"{task_id} is {status}" + (f"; it waits for {', '.join(waits)}." if waits else ".")

    def quit_question(self) -> str | None:
        """What quitting now would leave behind, as a question; None when nothing would be lost."""
        run = self.run
        if run is None:
            return None
        if run.step in CANCELLABLE_STEPS:
            return f"A task is {run.step}. Stop it and quit?"
        if run.phase in (Phase.APPLIED, Phase.VALIDATING, Phase.VALIDATION_FAILED):
            return (
                f"The change of {run.task_id} is applied and waits for your decision. Quit anyway? "
                "It stays in the tree uncommitted; after a restart u undoes it."
            )
        if run.phase in UNAPPLIED:
            return (
                f"The answer of {run.task_id} waits for your review. Quit anyway? "
                f"It stays under outputs/ and {run.task_id} is READY again."
            )
        return None

    def on_unmount(self) -> None:
        # However the app ends (q, ctrl+q from the review, the palette), an answer not applied yet
        # is set aside as `patchbay run` leaves it: kept under outputs/, READY, logged; never RUNNING.
        set_aside_unapplied(self.run, "the app quit before the answer was applied")

    def copy_answer(self) -> None:
        text = self.output.answer_text or self.output.text
        if not text:
            self.notify("There is no answer to copy yet.")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {counted(len(text), 'character')}.")


def set_aside_unapplied(run: TaskRun | None, reason: str) -> None:
    """READY again with a log event, for a run that is not over and has nothing applied: an answer
    waiting for review, or a stream the quit cancelled. An applied change stays for `u`."""
    if run is None or run.step is not None or run.finished or run.applied is not None:
        return
    try:
        run.abandon(reason)
    except PatchbayError:
        pass  # the app is closing: the task then shows as interrupted, with R offered
