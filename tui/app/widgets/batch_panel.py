"""The parallel-batch panel: several independent tasks generating at once, each in its own tab.

`p` picks up to N READY AI tasks that cannot conflict (`tui.parallel.independent_ready`) and streams
them together with `ParallelGeneration` in one thread worker. Finished answers queue for review;
`v` hands the next one to the run panel for the ordinary review → apply → validate flow, one at a
time, so the working tree sees one change at a time. escape cancels every generation still running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.containers import Vertical
from textual.widgets import Static

from tui.app import messages as m
from tui.app.widgets.output_pane import OutputPane
from tui.errors import PatchbayError
from tui.run_phase import Phase

if TYPE_CHECKING:  # imported when a batch starts, not for the first frame
    from tui.parallel import ParallelGeneration
    from tui.runbook.models import Task
    from tui.runner import TaskRun
    from tui.session import Session

TaskKey = tuple[int, str]


class BatchPanel(Vertical):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.batch: ParallelGeneration | None = None  # generating now
        self.runs: dict[str, TaskRun] = {}  # task id -> run, for the tabs on screen
        self.quitting = False  # the user chose to quit: answers that end start nothing new
        self.keys: dict[str, TaskKey] = {}
        self.panes: dict[str, OutputPane] = {}
        self.pending: set[str] = set()  # generating, waiting for review, or under review
        self.review_queue: list[TaskRun] = []
        self._counted: dict[tuple[int, int], int] = {}  # _candidate_count, until a task changes

    def compose(self):
        yield Static("", id="batch-status")  # the tabs are mounted by the first batch (start)

    def is_active(self, key: TaskKey) -> bool:
        return key[1] in self.pending and self.keys.get(key[1]) == key

    def pane_for(self, run: TaskRun | None) -> OutputPane | None:
        if run is None or self.runs.get(run.task_id) is not run:
            return None
        return self.panes.get(run.task_id)

    def restrict(
        self, allowed: set[str], key: TaskKey | None, session: Session | None, limit: int
    ) -> set[str]:
        """What the batch changes in the keys offered for the selected task when no run is active."""
        if key is not None and self.is_active(key):
            allowed -= {"reset", "edit_prompt"}
        if self.pending:
            allowed -= {"run", "undo"}  # one change at a time: the batch's answers are reviewed first
        elif self._candidate_count(session, limit) >= 2:
            allowed.add("run_parallel")
        if self.batch is not None:
            allowed.add("cancel")
        if self.review_queue:
            allowed.add("review_next")
        return allowed

    def _candidate_count(self, session: Session | None, limit: int) -> int:
        # Asked once per key in the footer on every redraw of the bindings: on 10,000 tasks the
        # search is ~10 ms, so it is kept until a task changes (forget_candidates).
        key = (id(session), limit)
        if key not in self._counted:
            self._counted[key] = len(self.candidates(session, limit))
        return self._counted[key]

    def forget_candidates(self) -> None:
        self._counted.clear()

    def quit_question(self) -> str | None:
        if self.batch is not None:
            return "A task is generating. Stop it and quit?"
        if self.review_queue:
            waiting = len(self.review_queue)
            noun = "answer waits" if waiting == 1 else "answers wait"
            return f"{waiting} {noun} for review. Quit anyway? They stay under outputs/ and their tasks are READY again."
        return None

    def on_unmount(self) -> None:
        from tui.app.widgets.run_panel import set_aside_unapplied

        # The same as a single run's answer when the app quits: answers waiting and streams the
        # quit cancelled are READY again; a run the run panel adopted is the run panel's.
        for run in self.runs.values():
            set_aside_unapplied(run, "the app quit before the answer was applied")

    # -- starting ------------------------------------------------------------------------------------
    @staticmethod
    def candidates(session: Session | None, requested: int | None) -> list[Task]:
        """READY AI tasks of the session that cannot conflict with each other: up to `--parallel N`,
        else up to what the model's servers serve at once."""
        from tui.parallel import independent_ready, parallel_limit

        return (
            [] if session is None else independent_ready(session.runbook, parallel_limit(session, requested))
        )

    async def launch(self, session: Session, index: int, tasks: list[Task]) -> bool:
        """Begin a run per task and stream them together; False when none could begin."""
        from tui.runner import TaskRun

        runs = []
        for task in tasks:
            try:
                runs.append(TaskRun.begin(session, task.id))
            except PatchbayError as exc:
                self.notify(str(exc), severity="warning")
        if runs:
            await self.start(index, runs)
        return bool(runs)

    async def start(self, index: int, runs: list[TaskRun]) -> None:
        from textual.widgets import TabbedContent, TabPane

        found = self.query("#batch-tabs")
        if found:
            tabs = found.only_one(TabbedContent)
            await tabs.clear_panes()
        else:
            tabs = TabbedContent(id="batch-tabs")
            await self.mount(tabs)
        self.runs = {run.task_id: run for run in runs}
        self.keys = {run.task_id: (index, run.task_id) for run in runs}
        self.pending = set(self.runs)
        self.panes = {}
        self.review_queue = []
        for number, run in enumerate(runs):
            pane = OutputPane()
            await tabs.add_pane(TabPane(run.task_id, pane, id=f"batch-{number}"))
            self.panes[run.task_id] = pane
        for run in runs:
            self.panes[run.task_id].begin(f"Answer: {run.task_id}", tokens=True)
        from tui.parallel import ParallelGeneration

        panes = dict(self.panes)  # the worker threads read this copy only
        self.batch = ParallelGeneration(
            runs,
            on_chunk=lambda task_id, text: panes[task_id].feed(text),
            on_done=lambda outcome: self.post_message(m.BatchAnswer(outcome)),
        )
        self.generate(self.batch)
        self.show_queue()

    @work(thread=True, group="batch", exit_on_error=False)
    def generate(self, batch: ParallelGeneration) -> None:
        batch.run()
        self.post_message(m.BatchOver(batch))

    @work(thread=True, group="batch-settle", exit_on_error=False)
    def abandon(self, run: TaskRun) -> None:
        run.abandon("cancelled")

    def cancel(self) -> None:
        if self.batch is not None:
            self.batch.cancel()

    # -- answers arriving (UI thread) ---------------------------------------------------------------
    def on_batch_answer(self, message: m.BatchAnswer) -> None:
        if self.quitting:
            return  # the unmount sets the run aside
        outcome = message.outcome
        run = outcome.run
        pane = self.pane_for(run)
        if pane is None:
            return
        answer = outcome.answer
        pane.finish(final=answer.final if answer is not None else None)
        if outcome.error is None and run.phase is Phase.ANSWERED:
            self.review_queue.append(run)
            pane.note("✓ answered: waiting for review (v reviews the next answer).")
        elif run.phase is Phase.ERROR:
            # The runner marked it ERROR with an issue: a template error, a prompt over budget, a
            # model that cannot be reached, or a broken stream.
            self.pending.discard(run.task_id)
            why = outcome.error or (answer.error if answer is not None else "")
            pane.note(f"Failed: {why}. The task is ERROR; R resets it.")
        else:
            # Cancelled: nothing to review, so the task goes back to READY.
            self.pending.discard(run.task_id)
            pane.note(f"Stopped: {outcome.error}" if outcome.error else "Cancelled.")
            pane.note("The task is READY again.")
            self.abandon(run)
        self.show_queue()

    def on_batch_over(self, message: m.BatchOver) -> None:
        if message.batch is self.batch:
            self.batch = None
        self.show_queue()

    # -- the review queue ---------------------------------------------------------------------------
    def next_for_review(self) -> tuple[TaskRun, TaskKey, OutputPane] | None:
        """The next answered run, its key and its tab (made the active tab), or None."""
        if not self.review_queue:
            return None
        from textual.widgets import TabbedContent

        run = self.review_queue.pop(0)
        tabs = self.query_one("#batch-tabs", TabbedContent)
        for number, task_id in enumerate(self.panes):
            if task_id == run.task_id:
                tabs.active = f"batch-{number}"
        self.show_queue()
        return run, self.keys[run.task_id], self.panes[run.task_id]

    def finished(self, run: TaskRun) -> None:
        """The run panel is done with one of ours."""
        if self.pane_for(run) is not None:
            self.pending.discard(run.task_id)
            self.show_queue()

    # -- what is on screen --------------------------------------------------------------------------
    def show_queue(self) -> None:
        waiting = len(self.review_queue)
        generating = (
            0
            if self.batch is None
            else sum(
                1 for run in self.batch.runs if run.phase in (Phase.READY, Phase.PROMPTED, Phase.GENERATING)
            )
        )
        parts = []
        if generating:
            parts.append(f"{generating} generating · escape cancels")
        if waiting:
            noun = "answer" if waiting == 1 else "answers"
            parts.append(f"{waiting} {noun} waiting for review · v to review")
        if not parts and self.runs:
            parts.append("parallel tasks finished")
        self.query_one("#batch-status", Static).update("  |  ".join(parts))
