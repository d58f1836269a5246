"""`patchbay run --auto`: take READY tasks in order, apply only what places cleanly, validate, commit.

A failure is retried with the fallback template (fed the previous answer and the failure) up to
`max_retries` times; then the change is rolled back, the task marked ERROR with an issue, and the
autopilot stops — or, with `keep_going`, carries on with tasks that do not depend on it.
Ctrl-C never interrupts an apply: it cancels generation or validation, rolls back what was
applied for the current task, and stops.

With `parallel` > 1, independent READY AI tasks (tui.parallel) generate at the same time; their
answers are then placed, applied and validated one at a time in runbook order, and a retry
generates alone. Scripts and MANUAL tasks are handled exactly as in the sequential loop.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from tui.errors import PatchbayError
from tui.plural import counted
from tui.runner import AUTOPILOT_GAVE_UP, Answer, Phase, TaskRun


@dataclass(frozen=True)
class AutopilotOptions:
    task_id: str | None = None  # only this task
    max_retries: int = 1
    min_fuzzy_score: float = 0.8
    keep_going: bool = False
    parallel: int = 1


@dataclass
class AutopilotSummary:
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    passed_over: list[str] = field(default_factory=list)  # MANUAL tasks, and those waiting on failures
    retries: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    generation_seconds: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def lines(self) -> list[str]:
        elapsed = time.monotonic() - self.started
        rate = self.tokens_out / self.generation_seconds if self.generation_seconds else 0.0
        lines = [
            f"autopilot: {len(self.done)} done, {len(self.failed)} failed, {counted(self.retries, 'retry')}, "
            f"{len(self.passed_over)} passed over",
            f"autopilot: {self.tokens_in:,} tokens in, {self.tokens_out:,} out, {rate:.1f} tokens/s, "
            f"{elapsed:.1f} s in all",
        ]
        if self.failed:
            lines.append(f"autopilot: failed: {', '.join(self.failed)}")
        return lines


class _Stop(Exception):
    """Ctrl-C was pressed: finish or undo the current step, then stop."""


class Autopilot:
    def __init__(
        self, session, options: AutopilotOptions, *, say: Callable[[str], None], out: TextIO
    ) -> None:
        self.session = session
        self.options = options
        self.say = say
        self.out = out
        self.summary = AutopilotSummary()
        self._stop = threading.Event()
        # Every run begun and not yet over: Ctrl-C cancels them all, and a run begun after Ctrl-C
        # is cancelled at once, so the interrupt wins wherever it lands.
        self._live: list[TaskRun] = []

    # -- the loop ------------------------------------------------------------------------------------------
    def run(self) -> int:
        previous = signal.getsignal(signal.SIGINT)
        in_main = threading.current_thread() is threading.main_thread()
        if in_main:
            signal.signal(signal.SIGINT, self._on_interrupt)
        try:
            self._loop()
        finally:
            if in_main:
                signal.signal(signal.SIGINT, previous)
        for line in self.summary.lines():
            self.say(line)
        if self._stop.is_set():
            self.say("autopilot: stopped by Ctrl-C; nothing was left half-applied")
            return 130
        return 1 if self.summary.failed else 0

    def stop(self) -> None:
        """What Ctrl-C does, for a caller driving this autopilot from another thread."""
        self._on_interrupt(signal.SIGINT, None)

    def _on_interrupt(self, _signum, _frame) -> None:
        if self._stop.is_set():
            return  # a second Ctrl-C changes nothing: the current step is being finished or undone
        self._stop.set()
        for run in list(self._live):
            run.cancel()

    def _loop(self) -> None:
        blocked: set[str] = set()  # failed tasks and those that (transitively) wait on them
        parallel = self.options.parallel > 1 and self.options.task_id is None
        while not self._stop.is_set():
            task = self._next_task(blocked)
            if task is None:
                return
            if parallel and task.type == "AI_ASSISTED":
                if not self._run_parallel(blocked):
                    return
                continue
            if task.type == "MANUAL":
                if not self.options.keep_going:
                    self.say(
                        f"autopilot: task {task.id} is MANUAL; stopping here (--keep-going passes over it)"
                    )
                    return
                self.say(f"autopilot: passing over MANUAL task {task.id}")
                self.summary.passed_over.append(task.id)
                self._block(blocked, task.id)
                continue
            ok = self._run_task(task)
            if self.options.task_id is not None:
                return
            if not ok:
                if self._stop.is_set() or not self.options.keep_going:
                    return
                self._block(blocked, task.id)

    def _begin(self, task_id: str) -> TaskRun:
        run = TaskRun.begin(self.session, task_id)
        self._live.append(run)
        if self._stop.is_set():  # Ctrl-C came before this run existed: it must still win
            run.cancel()
        return run

    def _block(self, blocked: set[str], task_id: str) -> None:
        """Set `task_id` aside with every task that waits on it, directly or not."""
        from tui.runbook.graph import dependents

        waiting_on = dependents(self.session.runbook)
        stack = [task_id]
        while stack:
            current = stack.pop()
            if current in blocked:
                continue
            blocked.add(current)
            if current != task_id and current not in self.summary.passed_over:
                self.summary.passed_over.append(current)
            stack.extend(waiting_on.get(current, []))

    def _next_task(self, blocked: set[str]):
        if self.options.task_id is not None:
            task = self.session.task(self.options.task_id)
            if self.session.effective_status(task.id) != "READY":
                raise PatchbayError(f"task {task.id} is {self.session.effective_status(task.id)}, not READY")
            return task
        for task in self.session.runbook.tasks:
            if task.id in blocked or self.session.effective_status(task.id) != "READY":
                continue
            return task
        return None

    # -- one task ------------------------------------------------------------------------------------------
    def _run_task(self, task) -> bool:
        run = self._begin(task.id)
        try:
            if task.type == "AUTOMATED_SCRIPT":
                self.say(f"autopilot: {task.id}: running the script")
                result = run.run_script(self._print)
                if self._stop.is_set():
                    run.abandon("stopped by Ctrl-C")
                    return False
                return self._finish(run, result.passed, f"script exited {result.exit_code}")
            return self._run_ai(run)
        except _Stop:
            self._undo_current(run)
            return False
        except PatchbayError as exc:  # the runner has marked it ERROR (or _finish does)
            return self._finish(run, False, str(exc))
        finally:
            self._live.remove(run)

    def _run_ai(self, run: TaskRun, first: Answer | None = None) -> bool:
        """Attempts until one validates; `first` is an answer already generated (a parallel batch)."""
        attempts = 1 + max(self.options.max_retries, 0)
        failure = ""
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                self.summary.retries += 1
                self.say(f"autopilot: {run.task_id}: retry {attempt - 1} of {attempts - 1}")
                run.retry()
            if attempt == 1 and first is not None:
                answer = first
            else:
                prepared = run.prepare() if run.phase is not Phase.PROMPTED else run.prompt
                self.say(f"autopilot: {run.task_id}: attempt {attempt}, prompt {prepared.budget.label()}")
                started = time.monotonic()
                answer = run.generate(self._print)
                self._print("\n")
                self.summary.generation_seconds += time.monotonic() - started
                self._count(answer)
            self._check_stop()
            if answer.error:
                return self._finish(run, False, answer.error)
            failure = self._place(run)
            if failure:
                run.failure = failure
                self.say(f"autopilot: {run.task_id}: not applied: {failure}")
                continue
            self._check_stop()
            run.apply()
            self.say(f"autopilot: {run.task_id}: applied {', '.join(run.applied.files)}; validating")
            result = run.validate(self._print)
            if run.phase is Phase.DONE:
                where = f" (commit {run.commit_sha[:8]})" if run.commit_sha else ""
                return self._finish(run, True, f"validation passed{where}")
            self._check_stop()
            failure = f"validation failed (exit {result.exit_code})" if result else "validation failed"
            self.say(f"autopilot: {run.task_id}: {failure}")
        said = run.mark_error(
            f"autopilot gave up after {attempts} attempt(s): {failure}", issue_type=AUTOPILOT_GAVE_UP
        )
        return self._finish(run, False, said)

    def _count(self, answer: Answer) -> None:
        if answer.final is not None:
            self.summary.tokens_in += answer.final.prompt_tokens
            self.summary.tokens_out += answer.final.new_tokens

    # -- a parallel batch ----------------------------------------------------------------------------------
    def _run_parallel(self, blocked: set[str]) -> bool:
        """Generate a batch of independent tasks together, then finish them one at a time in runbook
        order. False when the autopilot should stop (Ctrl-C, or a failure without keep_going)."""
        from tui.parallel import ParallelGeneration, independent_ready

        batch = independent_ready(self.session.runbook, self.options.parallel, exclude=blocked)
        runs: list[TaskRun] = []
        for task in batch:
            run = self._begin(task.id)
            try:
                prepared = run.prepare()
            except PatchbayError as exc:
                self._finish(run, False, str(exc))
                if not self.options.keep_going:
                    self._set_aside(runs, "the autopilot stopped")
                    return False
                self._block(blocked, task.id)
                continue
            self.say(f"autopilot: {run.task_id}: attempt 1, prompt {prepared.budget.label()}")
            runs.append(run)
        if not runs:
            return True
        if len(runs) > 1:
            self.say(f"autopilot: generating {', '.join(r.task_id for r in runs)} in parallel")
        answers: dict[str, list[str]] = {run.task_id: [] for run in runs}
        generation = ParallelGeneration(runs, on_chunk=lambda task_id, text: answers[task_id].append(text))
        started = time.monotonic()
        outcomes = generation.run()
        self.summary.generation_seconds += time.monotonic() - started
        for index, outcome in enumerate(outcomes):
            run = outcome.run
            if self._stop.is_set():
                self._set_aside([o.run for o in outcomes[index:]], "stopped by Ctrl-C")
                return False
            if len(runs) > 1:
                self.say(f"autopilot: {run.task_id}: the answer")
            self._print("".join(answers[run.task_id]) + "\n")
            if outcome.answer is not None:
                self._count(outcome.answer)
            ok = self._finish_generated(run, outcome.answer, outcome.error)
            if not ok:
                if self._stop.is_set() or not self.options.keep_going:
                    self._set_aside([o.run for o in outcomes[index + 1 :]], "the autopilot stopped")
                    return False
                self._block(blocked, run.task_id)
        return True

    def _finish_generated(self, run: TaskRun, answer: Answer | None, error: str | None) -> bool:
        """Place, apply and validate one answer of a batch, holding the working tree meanwhile."""
        if answer is None:
            return self._finish(run, False, error or "generation failed")
        try:
            with self.session.tree_lock:
                return self._run_ai(run, first=answer)
        except _Stop:
            self._undo_current(run)
            return False
        except PatchbayError as exc:
            return self._finish(run, False, str(exc))
        finally:
            if run in self._live:
                self._live.remove(run)

    def _set_aside(self, runs: list[TaskRun], reason: str) -> None:
        """Answered but never applied: READY again (the answers stay under outputs/)."""
        for run in runs:
            if run.phase not in (Phase.DONE, Phase.ERROR, Phase.READY):
                run.set_aside(reason)

    def _place(self, run: TaskRun) -> str:
        """Build the change set; '' when every hunk placed well enough to apply unattended."""
        try:
            change_set = run.review()
        except PatchbayError as exc:
            return str(exc)
        problems = []
        for hunk in change_set.hunks:
            placement = hunk.placement
            if not placement.placed:
                problems.append(f"{hunk.id} {placement.describe()}")
            elif placement.status == "fuzzy" and (placement.score or 0) < self.options.min_fuzzy_score:
                problems.append(
                    f"{hunk.id} placed only {placement.describe()} (below {self.options.min_fuzzy_score})"
                )
        for change in change_set.files:
            if change.error:
                problems.append(f"{change.path}: {change.error}")
            elif change.outside_scope:
                problems.append(f"{change.path} is not among the task's files_to_modify")
        return "; ".join(problems)

    def _finish(self, run: TaskRun, ok: bool, note: str) -> bool:
        self.say(f"autopilot: {run.task_id}: {'DONE' if ok else 'ERROR'} — {note}")
        (self.summary.done if ok else self.summary.failed).append(run.task_id)
        if not ok and run.phase not in (Phase.ERROR, Phase.READY):
            run.mark_error(note, issue_type=AUTOPILOT_GAVE_UP)
        return ok

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise _Stop

    def _undo_current(self, run: TaskRun) -> None:
        """After Ctrl-C: roll back whatever this task applied, and leave it READY (ERROR, with the
        change left in place, when the files changed after the apply and rolling back would lose that)."""
        said = run.abandon("stopped by Ctrl-C")
        if run.phase is Phase.ERROR:
            self.say(f"autopilot: {run.task_id}: ERROR — {said}")
            self.summary.failed.append(run.task_id)

    def _print(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
