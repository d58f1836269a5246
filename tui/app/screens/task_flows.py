"""Running tasks from the main screen, all through the runner (tui.runner.TaskRun).

Blocking steps run in thread workers that only post messages; the handlers below own the state
(`run`, `busy`) and the widgets. AI task: begin → prepare → generate (streaming) → review → the
review screen → validate → DONE, or a choice after a failed validation (retry, roll back, keep,
error). MANUAL: done, skip, error. AUTOMATED_SCRIPT: run the command, exit 0 → DONE.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.message import Message

from tui.app import messages as m
from tui.errors import PatchbayError
from tui.runner import TaskRun

BUSY_RUNNING = {"preparing", "generating", "reviewing", "validating", "running the script", "working"}
AI, MANUAL, SCRIPT = "AI_ASSISTED", "MANUAL", "AUTOMATED_SCRIPT"


def task_type(task) -> str:
    return str(getattr(task.type, "value", task.type))


def phase_of(run) -> str:
    return str(getattr(run.phase, "value", run.phase)) if run is not None else ""


class ReviewReady(Message):
    def __init__(self, run) -> None:
        super().__init__()
        self.run = run


class ActionDone(Message):
    """A quick runner call (keep, roll back, mark done…) finished; `sentence` is shown."""

    def __init__(self, run, sentence: str | None) -> None:
        super().__init__()
        self.run = run
        self.sentence = sentence


class TaskFlows:
    """Mixed into MainScreen (it needs the screen's widgets and workers)."""

    sessions: list

    def _init_flows(self) -> None:
        self.run = None
        self.run_key = None
        self.busy: str | None = None
        self.prompt_overrides: dict = {}
        self.review_failed = False

    def is_active(self, index: int, task_id: str) -> bool:
        return self.run is not None and self.run_key == (index, task_id)

    # -- which keys apply now ------------------------------------------------------------------
    def awaiting_choice(self) -> bool:
        """The active run stopped and waits for the user: retry / roll back / keep / error."""
        if self.run is None or self.busy:
            return False
        phase = phase_of(self.run)
        return phase in ("validation_failed", "cancelled") or (
            phase in ("answered", "error") and self.review_failed
        )

    def check_action(self, action: str, parameters) -> bool | None:
        phase = phase_of(self.run)
        session, task = self.selected_task()
        kind = task_type(task) if task is not None else ""
        status = session.effective_status(task.id) if task is not None else ""
        idle = self.busy is None
        if action == "run":
            if self.run is not None and self.run_key == self.selected_key and phase == "reviewing":
                return False  # `v` goes back to the review instead
            return idle and not self.awaiting_choice() and kind in (AI, SCRIPT) and status == "READY"
        if action == "retry":
            return self.awaiting_choice()
        if action == "review":
            return idle and phase == "reviewing"
        if action == "cancel":
            return self.busy in ("generating", "validating", "running the script")
        if action == "clear_filter":
            return bool(self.query_one("#filter").display)
        if action in ("done", "skip"):
            return idle and kind == MANUAL and status == "READY"
        if action == "mark_error":
            return self.awaiting_choice() or (idle and kind == MANUAL and status == "READY")
        if action in ("rollback", "keep"):
            return idle and phase == "validation_failed"
        if action == "edit_prompt":
            return idle and kind == AI
        return True

    # -- starting --------------------------------------------------------------------------------
    def action_run(self) -> None:
        if self.selected_key is not None:
            self.run_task(self.selected_key)

    def run_task(self, key) -> None:
        if self.busy:
            self.notify(f"Wait: a task is {self.busy} (escape cancels).", severity="warning")
            return
        if self.awaiting_choice():
            self.notify("Choose first: r retry, b roll back, k keep, x error.", severity="warning")
            return
        if self.run is not None and self.run_key == key and phase_of(self.run) == "reviewing":
            self.open_review()
            return
        session = self.sessions[key[0]]
        task = session.task(key[1])
        kind = task_type(task)
        if kind == MANUAL:
            self.notify("A manual task: do it, then y done, s skip or x error.")
            return
        try:
            run = TaskRun.begin(session, key[1])
        except PatchbayError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.run, self.run_key, self.review_failed = run, key, False
        if kind == SCRIPT:
            self.busy = "running the script"
            command = getattr(getattr(task, "script_details", None), "command", "") or ""
            self.output.begin(f"Script: {task.id}", tokens=False)
            self.output.note(f"$ {command}")
            self.run_script_worker(run, self.output.feed)
        else:
            self.busy = "preparing"
            self.output.begin(f"Answer: {task.id}", tokens=True)
            self.prepare_worker(run, self.prompt_overrides.pop(key, None))
        self.refresh_tree()

    # -- workers (threads; they only post messages) ---------------------------------------------
    @work(thread=True, group="run", exit_on_error=False)
    def prepare_worker(self, run, override: str | None) -> None:
        self._step(
            run,
            "prepare",
            lambda: self.post_message(m.PromptPrepared(run, run.prepare(prompt_override=override))),
        )

    @work(thread=True, group="run", exit_on_error=False)
    def retry_worker(self, run) -> None:
        self._step(run, "prepare", lambda: self.post_message(m.PromptPrepared(run, run.retry())))

    @work(thread=True, group="run", exit_on_error=False)
    def generate_worker(self, run, feed) -> None:
        self._step(run, "generate", lambda: self.post_message(m.GenerationFinished(run, run.generate(feed))))

    @work(thread=True, group="run", exit_on_error=False)
    def review_worker(self, run) -> None:
        def review() -> None:
            run.review()
            self.post_message(ReviewReady(run))

        self._step(run, "review", review)

    @work(thread=True, group="run", exit_on_error=False)
    def validate_worker(self, run, feed) -> None:
        self._step(run, "validate", lambda: self.post_message(m.ValidationFinished(run, run.validate(feed))))

    @work(thread=True, group="run", exit_on_error=False)
    def run_script_worker(self, run, feed) -> None:
        self._step(run, "script", lambda: self.post_message(m.ScriptFinished(run, run.run_script(feed))))

    @work(thread=True, group="action", exit_on_error=False)
    def action_worker(self, run, call: Callable[[], str | None]) -> None:
        self._step(run, "action", lambda: self.post_message(ActionDone(run, call())))

    def _step(self, run, step: str, call: Callable[[], None]) -> None:
        try:
            call()
        except PatchbayError as exc:
            self.post_message(m.RunStepFailed(run, step, str(exc)))
        except Exception as exc:  # a bug: say it, and never leave the screen busy with nothing running
            self.post_message(m.RunStepFailed(run, step, f"internal error ({type(exc).__name__}: {exc})"))

    # -- handlers (UI thread; they own the state) -----------------------------------------------
    def on_prompt_prepared(self, message: m.PromptPrepared) -> None:
        if message.run is not self.run:
            return
        if self.selected_key == self.run_key:
            self.show_prepared(message.prompt)
        self.busy = "generating"
        # A retry keeps the previous attempt's output above a separator.
        title = f"Answer: {self.run.task_id} (attempt {self.run.attempt})"
        self.output.begin(title, tokens=True, clear=self.run.attempt == 1)
        self.generate_worker(self.run, self.output.feed)
        self.refresh_tree()

    def on_generation_finished(self, message: m.GenerationFinished) -> None:
        if message.run is not self.run:
            return
        answer = message.answer
        self.output.finish(final=answer.final)
        phase = phase_of(self.run)
        self.busy = None
        if phase == "cancelled":
            self.output.note("Cancelled; the partial answer stays here (c copies it).")
            self._quick(message.run, lambda: message.run.abandon("cancelled"))
        elif phase == "error":
            # The runner marked it ERROR with an issue naming the cause; the partial answer stays.
            self.output.note(f"Generation failed: {answer.error}. The task is ERROR; R resets it to READY.")
            self.finish_run(f"{message.run.task_id} is ERROR: {answer.error}", severity="error")
        else:
            self.busy = "reviewing"
            self.review_worker(self.run)
        self.refresh_tree()

    def on_review_ready(self, message: ReviewReady) -> None:
        if message.run is not self.run:
            return
        self.busy = None
        self.open_review()

    def open_review(self) -> None:
        from tui.app.screens.review import ReviewScreen

        run = self.run
        if run.user_edited:
            self.app.notify(
                f"{', '.join(run.user_edited)} holds uncommitted changes of yours; applying goes on top "
                "of them, and u (undo) puts your version back.",
                title="Your own edits",
                severity="warning",
                timeout=8,
            )
        self.app.push_screen(ReviewScreen(run), lambda result: self.after_review(run, result))

    def action_review(self) -> None:
        self.open_review()

    def after_review(self, run, result) -> None:
        """The review screen closed with an outcome; the run's phase confirms what happened there."""
        if run is not self.run:
            return
        phase = phase_of(run)
        if phase == "applied":
            self.start_validation()
        elif result == "retry":
            self.action_retry()
        elif result == "error":
            self.ask_error_note(run, self.run_key, on_cancel=self._back_from_review)
        elif result == "manual_done":
            self._quick(
                run, lambda: (run.mark_done("finished by hand during review"), f"{run.task_id} is DONE.")[1]
            )
        elif phase == "reviewing":
            self._back_from_review()
        else:
            self.finish_run(f"{run.task_id} is {phase}.")
        self.refresh_tree()

    def _back_from_review(self) -> None:
        self.output.note("Back from review: v reviews again (retry, error and done-by-hand are there).")
        self.refresh_bindings()

    def start_validation(self) -> None:
        from tui.session import task_settings

        settings_command = task_settings(self.run.task).validation_command or ""
        self.busy = "validating"
        self.output.begin(f"Validation: {self.run.task_id}", tokens=False, clear=False)
        self.output.note(f"── validation ── $ {settings_command}" if settings_command else "── validation ──")
        self.validate_worker(self.run, self.output.feed)
        self.refresh_tree()

    def on_validation_finished(self, message: m.ValidationFinished) -> None:
        if message.run is not self.run:
            return
        self.output.finish()
        self.busy = None
        run = self.run
        if phase_of(run) == "cancelled":
            self.output.note("✗ validation cancelled.")
            self._quick(run, lambda: run.abandon("cancelled"))
        elif phase_of(run) == "done":
            commit = f", committed {run.commit_sha[:8]}" if getattr(run, "commit_sha", None) else ""
            self.output.note(f"✓ validation passed: {run.task_id} is DONE{commit}.")
            self.finish_run(f"{run.task_id} is DONE{commit}.")
        else:
            result = message.result
            why = (
                "was cancelled"
                if getattr(result, "cancelled", False)
                else f"exited {getattr(result, 'exit_code', '?')}"
            )
            self.output.note(f"✗ validation {why}.")
            self.output.note("r retry · b roll back · k keep (DONE) · x error")
        self.refresh_tree()

    def on_script_finished(self, message: m.ScriptFinished) -> None:
        if message.run is not self.run:
            return
        self.output.finish()
        self.busy = None
        result = message.result
        run = self.run
        if phase_of(run) == "cancelled":
            self.output.note("✗ the script was cancelled.")
            self._quick(run, lambda: run.abandon("cancelled"))
        elif phase_of(run) == "done":
            self.output.note("✓ the script exited 0: DONE.")
            self.finish_run(f"{self.run.task_id} is DONE.")
        else:
            self.output.note(f"✗ the script exited {result.exit_code}: ERROR.")
            self.finish_run(f"{self.run.task_id} is ERROR (exit {result.exit_code}).", severity="error")

    def on_run_step_failed(self, message: m.RunStepFailed) -> None:
        if message.step == "action":  # a quick action (often on a run of its own): never stay busy
            self.busy = None
            self.notify(message.sentence, severity="error")
            self.refresh_tree()
            return
        if message.run is not self.run and message.run is not None:
            return
        self.busy = None
        self.output.finish()
        if message.step == "review":
            self.review_failed = True
            self.output.note(f"{message.sentence} r retries · x marks it ERROR.")
        elif phase_of(message.run) == "error":
            # Nothing was generated (a template error, a prompt over budget): the runner marked
            # the task ERROR with an issue naming the cause.
            self.output.note(f"The {message.step} step failed: {message.sentence}")
            self.output.note("The task is ERROR; fix the cause, then R resets it to READY.")
            self.finish_run(message.sentence, severity="error")
        else:
            self.review_failed = True  # offer retry / error
            self.output.note(f"The {message.step} step failed: {message.sentence}")
            self.notify(message.sentence, severity="error")
        self.refresh_tree()

    def on_action_done(self, message: ActionDone) -> None:
        self.busy = None
        if message.sentence:
            self.notify(message.sentence)
        run = message.run
        if run is not None and run is self.run and phase_of(run) in ("done", "error", "skipped", "ready"):
            self.finish_run(None)
        self.refresh_tree()

    def finish_run(self, sentence: str | None, severity: str = "information") -> None:
        self.run = None
        self.run_key = None
        self.review_failed = False
        if sentence:
            self.notify(sentence, severity=severity)
        self.refresh_tree()
