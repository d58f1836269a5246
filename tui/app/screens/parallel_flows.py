"""Several independent tasks generating at once, each in its own output tab.

`p` (or the palette) picks up to N READY AI tasks that cannot conflict (`tui.parallel.independent_ready`)
and streams them together with `ParallelGeneration` in one thread worker. Finished answers queue
for review; `v` takes the next one through the ordinary review → apply → validate flow of
`TaskFlows`, one at a time, so the working tree sees one change at a time. escape cancels every
generation still running. With one task (or one independent task) nothing here is used: the
single-task flow and its output pane are exactly as before.
"""

from __future__ import annotations

from textual import work
from textual.message import Message
from textual.widgets import Static, TabbedContent, TabPane

from tui.app.widgets.output_pane import OutputPane
from tui.errors import PatchbayError
from tui.parallel import GenerationOutcome, ParallelGeneration, independent_ready
from tui.runner import TaskRun

PARALLEL_DEFAULT = 2  # streams at once unless the app was given a --parallel value


class BatchAnswer(Message):
    """One task of the batch stopped generating (answered, failed or cancelled)."""

    def __init__(self, outcome: GenerationOutcome) -> None:
        super().__init__()
        self.outcome = outcome


class BatchOver(Message):
    def __init__(self, batch: ParallelGeneration) -> None:
        super().__init__()
        self.batch = batch


class BatchSettled(Message):
    """A task of the batch went back to READY on disk (it produced no answer)."""


class ParallelFlows:
    """Mixed into MainScreen before TaskChoices and TaskFlows (it extends some of their methods)."""

    def _init_parallel(self) -> None:
        self.batch: ParallelGeneration | None = None  # generating now
        self.batch_runs: dict = {}  # task id -> TaskRun, for the tabs on screen
        self.batch_keys: dict = {}  # task id -> TaskKey
        self.batch_panes: dict[str, OutputPane] = {}
        self.batch_pending: set[str] = set()  # generating, waiting for review, or under review
        self.review_queue: list = []

    def parallel_limit(self) -> int:
        return max(1, self.app.parallel)

    def batch_pane_for(self, run) -> OutputPane | None:
        if run is None or self.batch_runs.get(run.task_id) is not run:
            return None
        return self.batch_panes.get(run.task_id)

    def is_active(self, index: int, task_id: str) -> bool:
        if task_id in self.batch_pending and self.batch_keys.get(task_id) == (index, task_id):
            return True
        return super().is_active(index, task_id)

    def _parallel_candidates(self) -> tuple[int, list]:
        index = self.selected_key[0] if self.selected_key else 0
        if not self.sessions:
            return index, []
        return index, independent_ready(self.sessions[index].runbook, self.parallel_limit())

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "run_parallel":
            if self.busy is not None or self.run is not None or self.batch_pending:
                return False
            return len(self._parallel_candidates()[1]) >= 2
        if action == "review_next":
            return self.busy is None and self.run is None and bool(self.review_queue)
        if action == "cancel" and self.batch is not None:
            return True
        if action == "run" and self.batch_pending:
            return False  # one change at a time: the batch's answers are reviewed first
        return super().check_action(action, parameters)

    # -- starting ------------------------------------------------------------------------------------
    async def action_run_parallel(self) -> None:
        if self.busy or self.run is not None or self.batch_pending:
            self.notify("Finish the running task first (escape cancels).", severity="warning")
            return
        index, tasks = self._parallel_candidates()
        if len(tasks) < 2:
            if tasks:
                self.run_task((index, tasks[0].id))  # nothing to run beside it: the usual flow
            else:
                self.notify("No AI task is READY.")
            return
        session = self.sessions[index]
        runs = []
        for task in tasks:
            try:
                runs.append(TaskRun.begin(session, task.id))
            except PatchbayError as exc:
                self.notify(str(exc), severity="warning")
        if runs:
            await self._start_batch(index, runs)

    async def _start_batch(self, index: int, runs: list) -> None:
        tabs = self.query_one("#batch-tabs", TabbedContent)
        await tabs.clear_panes()
        self.batch_runs = {run.task_id: run for run in runs}
        self.batch_keys = {run.task_id: (index, run.task_id) for run in runs}
        self.batch_pending = set(self.batch_runs)
        self.batch_panes = {}
        self.review_queue = []
        for number, run in enumerate(runs):
            pane = OutputPane()
            await tabs.add_pane(TabPane(run.task_id, pane, id=f"batch-{number}"))
            self.batch_panes[run.task_id] = pane
        self._show_batch(True)
        for run in runs:
            self.batch_panes[run.task_id].begin(f"Answer: {run.task_id}", tokens=True)
        panes = dict(self.batch_panes)  # the worker threads read this copy only
        self.batch = ParallelGeneration(
            runs,
            on_chunk=lambda task_id, text: panes[task_id].feed(text),
            on_done=lambda outcome: self.post_message(BatchAnswer(outcome)),
        )
        self.batch_worker(self.batch)
        self._show_queue()
        self.refresh_tree()

    @work(thread=True, group="batch", exit_on_error=False)
    def batch_worker(self, batch: ParallelGeneration) -> None:
        batch.run()
        self.post_message(BatchOver(batch))

    @work(thread=True, group="batch", exit_on_error=False)
    def batch_reset_worker(self, run) -> None:
        try:
            run.session.reset(run.task_id, "READY")
        except PatchbayError as exc:
            self.notify(str(exc), severity="error")  # notify is thread-safe
        self.post_message(BatchSettled())

    # -- answers arriving (UI thread) -------------------------------------------------------------------
    def on_batch_answer(self, message: BatchAnswer) -> None:
        outcome = message.outcome
        run = outcome.run
        pane = self.batch_pane_for(run)
        if pane is None:
            return
        answer = outcome.answer
        pane.finish(final=answer.final if answer is not None else None)
        phase = str(getattr(run.phase, "value", run.phase))
        if outcome.error is None and phase == "answered":
            self.review_queue.append(run)
            pane.note("✓ answered: waiting for review (v reviews the next answer).")
        elif phase == "error":
            # The runner marked it ERROR with an issue: a template error, a prompt over budget, a
            # model that cannot be reached, or a broken stream.
            self.batch_pending.discard(run.task_id)
            why = outcome.error or (answer.error if answer is not None else "")
            pane.note(f"Failed: {why}. The task is ERROR; R resets it.")
        else:
            # Cancelled: nothing to review, so the task goes back to READY.
            self.batch_pending.discard(run.task_id)
            pane.note(f"Stopped: {outcome.error}" if outcome.error else "Cancelled.")
            pane.note("The task is READY again.")
            self.batch_reset_worker(run)
        self._show_queue()
        self.refresh_tree()

    def on_batch_over(self, message: BatchOver) -> None:
        if message.batch is self.batch:
            self.batch = None
        self._show_queue()
        self.refresh_tree()

    def on_batch_settled(self, message: BatchSettled) -> None:
        self.refresh_tree()

    # -- the review queue ----------------------------------------------------------------------------
    def action_review_next(self) -> None:
        if self.busy or self.run is not None or not self.review_queue:
            return
        run = self.review_queue.pop(0)
        self.run, self.run_key, self.review_failed = run, self.batch_keys[run.task_id], False
        tabs = self.query_one("#batch-tabs", TabbedContent)
        for number, task_id in enumerate(self.batch_panes):
            if task_id == run.task_id:
                tabs.active = f"batch-{number}"
        self.busy = "reviewing"
        self.review_worker(run)
        self._show_queue()
        self.refresh_tree()

    def finish_run(self, sentence: str | None, severity: str = "information") -> None:
        run = self.run
        super().finish_run(sentence, severity)
        if self.batch_pane_for(run) is not None:
            self.batch_pending.discard(run.task_id)
            self._show_queue()
            self.refresh_bindings()

    def run_task(self, key) -> None:
        if self.batch_pending:
            self.notify(
                "Finish the parallel tasks first: v reviews the next answer, escape cancels.",
                severity="warning",
            )
            return
        if self.batch_panes and not self.busy:
            self._show_batch(False)  # back to the single output pane
        super().run_task(key)

    def action_cancel(self) -> None:
        if self.batch is not None:
            self.batch.cancel()
        super().action_cancel()

    # -- what is on screen ---------------------------------------------------------------------------
    def _show_batch(self, shown: bool) -> None:
        self.query_one("#output").display = not shown
        self.query_one("#batch").display = shown

    def _show_queue(self) -> None:
        waiting = len(self.review_queue)
        generating = sum(
            1
            for task_id, run in self.batch_runs.items()
            if task_id in self.batch_pending and run not in self.review_queue and run is not self.run
        )
        parts = []
        if generating:
            parts.append(f"{generating} generating · escape cancels")
        if waiting:
            noun = "answer" if waiting == 1 else "answers"
            parts.append(f"{waiting} {noun} waiting for review · v to review")
        if not parts and self.batch_runs:
            parts.append("parallel tasks finished")
        self.query_one("#batch-status", Static).update("  |  ".join(parts))
        self.refresh_bindings()
