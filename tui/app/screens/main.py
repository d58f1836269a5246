"""The main screen: runbook tree (left), prompt pane above the run panel or the parallel-batch panel
(right), status line and footer.

A thin screen: the run panel owns one run's output and decisions, the batch panel a parallel
batch, the background widget loading and live reload. Which keys apply is the runner's answer
(`TaskRun.allowed()`, `task_actions()`); the tree and footer update when a session announces a
change (`messages.TaskChanged`), never from calls sprinkled over the flows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from tui.app import messages as m
from tui.app.skeleton import scan
from tui.app.widgets.background import BackgroundWork
from tui.app.widgets.batch_panel import BatchPanel
from tui.app.widgets.prompt_pane import PromptPane, TaskSummary
from tui.app.widgets.run_panel import RunPanel
from tui.app.widgets.runbook_tree import RunbookRows, RunbookTree, TaskKey, TaskRow
from tui.app.widgets.status_line import StatusLine
from tui.errors import PatchbayError
from tui.runner import CANCELLABLE_STEPS, Action, Phase, TaskRun, task_actions

PREVIEW_DELAY = 0.12  # seconds the cursor must rest on a task before its prompt is rendered
UNDECIDED = (Phase.APPLIED, Phase.VALIDATING, Phase.VALIDATION_FAILED)
# Actions whose availability is task policy (the runner's answer); the rest are always there.
POLICY = {action.value for action in Action} | {"run_parallel", "review_next", "undo"}


class MainScreen(Screen):
    CSS_PATH = "main.tcss"
    AUTO_FOCUS = "#tree"
    BINDINGS = [
        Binding("n", "next_ready", "Next", tooltip="Jump to the next READY task", id="main.next_ready"),
        Binding("r", "run", "Run", tooltip="Run the selected task (also enter on a task)", id="main.run"),
        Binding(
            "r",
            "retry",
            "Retry",
            tooltip="Try again (the fallback template gets the failure)",
            id="main.retry",
        ),
        Binding("v", "review", "Review", tooltip="Back to the review of the answer", id="main.review"),
        Binding(
            "p",
            "run_parallel",
            "Parallel",
            tooltip="Run independent READY tasks at once, each in its own output tab",
            id="main.run_parallel",
        ),
        Binding(
            "v",
            "review_next",
            "Review next",
            tooltip="Review the next answer waiting from the parallel run",
            id="main.review_next",
        ),
        Binding(
            "escape", "cancel", "Cancel", tooltip="Stop the answer, validation or script", id="main.cancel"
        ),
        Binding(
            "e",
            "edit_prompt",
            "Edit prompt",
            tooltip="Edit the prompt in $EDITOR for the next run",
            id="main.edit_prompt",
        ),
        Binding("y", "done", "Done", tooltip="Manual task: mark it DONE", id="main.done"),
        Binding("s", "skip", "Skip", tooltip="Manual task: mark it SKIPPED", id="main.skip"),
        Binding("x", "mark_error", "Error", tooltip="Mark the task ERROR, with a note", id="main.error"),
        Binding(
            "b",
            "rollback",
            "Roll back",
            tooltip="Validation failed: undo the change, task READY",
            id="main.rollback",
        ),
        Binding("k", "keep", "Keep", tooltip="Validation failed: keep the change, task DONE", id="main.keep"),
        Binding(
            "u",
            "undo",
            "Undo",
            show=False,
            tooltip="Undo the last applied change (and its commit)",
            id="main.undo",
        ),
        Binding("R", "reset", "Reset", tooltip="Reset the selected task to READY", id="main.reset"),
        Binding(
            "c", "copy", "Copy", show=False, tooltip="Copy the answer (OSC 52 clipboard)", id="main.copy"
        ),
        Binding(
            "slash", "filter", "Filter", tooltip="Filter the tasks by id, name or group", id="main.filter"
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            show=False,
            tooltip="Clear the filter",
            id="main.clear_filter",
        ),
        Binding("q", "quit", "Quit", tooltip="Quit (asks while a task runs)", id="main.quit"),
    ]

    def __init__(self, sessions: list) -> None:
        super().__init__()
        self.sessions = sessions
        self.load_errors: dict[int, str] = {}
        self.prompt_overrides: dict[TaskKey, str] = {}
        self._preview_timer: Timer | None = None
        self._tree_stale = False
        self._unsubscribe: list[Callable[[], None]] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield Input(placeholder="filter tasks (escape clears)", id="filter")
                yield Static("", id="banner")
                yield RunbookTree(id="tree")
            with Vertical(id="right"):
                yield PromptPane(id="prompt")
                yield RunPanel(id="run-panel")
                yield BatchPanel(id="batch")
        yield StatusLine(id="status")
        yield BackgroundWork(self.sessions)
        yield Footer()

    # -- the parts ---------------------------------------------------------------------------------
    @property
    def tree(self) -> RunbookTree:
        return self.query_one("#tree", RunbookTree)

    @property
    def prompt_pane(self) -> PromptPane:
        return self.query_one("#prompt", PromptPane)

    @property
    def status_line(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    @property
    def run_panel(self) -> RunPanel:
        return self.query_one(RunPanel)

    @property
    def batch_panel(self) -> BatchPanel:
        return self.query_one(BatchPanel)

    @property
    def background(self) -> BackgroundWork:
        return self.query_one(BackgroundWork)

    @property
    def output(self):
        return self.run_panel.output

    @property
    def run(self) -> TaskRun | None:
        return self.run_panel.run

    @property
    def run_key(self) -> TaskKey | None:
        return self.run_panel.run_key

    @property
    def busy(self) -> str | None:
        return self.run_panel.busy

    @property
    def batch(self):
        return self.batch_panel.batch

    @property
    def review_queue(self) -> list[TaskRun]:
        return self.batch_panel.review_queue

    @property
    def batch_panes(self):
        return self.batch_panel.panes

    @property
    def batch_pending(self) -> set[str]:
        return self.batch_panel.pending

    # -- start ---------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#banner").display = False
        self.prompt_pane.pygments_style = self.app.pygments_style
        if self.app.sessions_loader is not None and not self.sessions:
            # The first frame comes before the runbook and its models are imported and loaded.
            self.status_line.show_message("loading the runbook…")  # the app starts the load when ready
            loader = self.app.sessions_loader
            skeleton = scan(loader.runbook) if isinstance(getattr(loader, "runbook", None), Path) else None
            if skeleton is not None:
                self.tree.show_skeleton(skeleton.name, skeleton.groups, skeleton.tasks)
        else:
            self.start()

    def load_sessions(self, loader: Callable[[], list]) -> None:
        self.background.load_sessions(loader)

    def start(self) -> None:
        """The sessions are there: listen to them, fill the tree, watch the files, load the model."""
        for index, session in enumerate(self.sessions):
            self._unsubscribe.append(session.subscribe(self._announcer(index)))
        self.refresh_tree()
        first = self.sessions[0].next_ready() if self.sessions else None
        if first is not None:
            self.tree.select_task((0, first.id))
        for index, session in enumerate(self.sessions):
            if session.read_only:  # another process drives it: watch its progress, change nothing
                self.notify(session.read_only, title="Read-only", severity="warning", timeout=20)
            for report in session.recovery:  # rolled back, or left alone because the tree moved on
                self.notify(report.message, severity="warning", timeout=15)
            warnings = list(session.runbook.warnings)
            if warnings:
                more = (
                    f" (and {len(warnings) - 1} more; `patchbay validate` lists them)"
                    if len(warnings) > 1
                    else ""
                )
                self.notify(f"{warnings[0]}{more}", title="Runbook warnings", severity="warning", timeout=10)
            if self.app.watch_files:
                self.background.watch_runbook(index)
        self.background.load_model_in_background()

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def _announcer(self, index: int) -> Callable[[str], None]:
        return lambda task_id: self.post_message(m.TaskChanged(index, task_id))  # thread-safe

    def on_task_changed(self, message: m.TaskChanged) -> None:
        if not self._tree_stale:  # a burst of announcements becomes one refresh
            self._tree_stale = True
            self.call_later(self.refresh_tree)

    def on_run_panel_finished(self, message: RunPanel.Finished) -> None:
        self.status_line.show_message("")  # "cancelling…" and the like are over
        self.batch_panel.finished(message.run)
        self.refresh_tree()

    def on_theme_switched(self) -> None:
        self.prompt_pane.pygments_style = self.app.pygments_style
        self.schedule_preview()

    # -- the tree ---------------------------------------------------------------------------------
    def is_active(self, index: int, task_id: str) -> bool:
        return self.run_key == (index, task_id) or self.batch_panel.is_active((index, task_id))

    def task_rows(self, index: int) -> list[TaskRow]:
        session = self.sessions[index]
        rows = []
        for task in session.runbook.tasks:
            status = session.effective_status(task.id)
            if status == "RUNNING" and not self.is_active(index, task.id):
                status = "INTERRUPTED"  # RUNNING on disk but nobody runs it: a previous session stopped
            blocked = tuple(session.blocked_by(task.id)) if status == "PENDING" else ()
            rows.append(TaskRow((index, task.id), task.name, task.group or "", task.type, status, blocked))
        return rows

    def refresh_tree(self) -> None:
        self._tree_stale = False
        self.tree.show_runbooks(
            [
                RunbookRows(
                    index=index,
                    name=session.runbook.name or session.runbook_path.parent.name,
                    rows=self.task_rows(index),
                    error=self.load_errors.get(index),
                )
                for index, session in enumerate(self.sessions)
            ]
        )
        self.show_selected()
        self.refresh_bindings()

    @property
    def selected_key(self) -> TaskKey | None:
        return self.tree.selected_key

    def selected_task(self):
        key = self.selected_key
        if key is None:
            return None, None
        session = self.sessions[key[0]]
        try:
            return session, session.task(key[1])
        except PatchbayError:
            return None, None

    def on_runbook_tree_task_highlighted(self, event: RunbookTree.TaskHighlighted) -> None:
        self.show_selected(event.key)
        self.refresh_bindings()

    def on_runbook_tree_task_chosen(self, event: RunbookTree.TaskChosen) -> None:
        self.run_task(event.key)

    def show_selected(self, key: TaskKey | None = None) -> None:
        key = key or self.selected_key
        if key is None:
            self.prompt_pane.show_task(None)
            return
        previous = self.prompt_pane.shown_summary
        self.prompt_pane.show_task(self.summary(key))
        run = self.run
        if run is not None and self.run_key == key and run.prompt is not None:
            self.show_prepared(run.prompt)
        elif previous is None or previous.task_id != key[1] or not self.prompt_pane.prompt_text:
            self.schedule_preview()

    def summary(self, key: TaskKey) -> TaskSummary | None:
        session = self.sessions[key[0]]
        try:
            task = session.task(key[1])
        except PatchbayError:
            return None
        row = self.tree.row(key)
        ai, script = task.ai_details, task.script_details
        return TaskSummary(
            task_id=task.id,
            name=task.name,
            type=task.type,
            status=row.status if row else session.effective_status(task.id),
            description=task.description or "",
            instructions=task.manual_instructions or "",
            command=(script.command or "") if script else "",
            review_points=tuple(ai.review_points) if ai else (),
            blocked_by=row.blocked_by if row else (),
            issues=tuple(str(issue.detail) for issue in task.issues),
        )

    def show_reload(self, index: int, error: str | None) -> None:
        banner = self.query_one("#banner", Static)
        had_error = index in self.load_errors
        if error:
            self.load_errors[index] = error
            banner.update(f"⚠ {error}")
            banner.display = True
            self.notify(error, title="The runbook is invalid", severity="error", timeout=8)
        else:
            self.load_errors.pop(index, None)
            banner.display = bool(self.load_errors)
            if self.load_errors:
                banner.update("⚠ " + next(iter(self.load_errors.values())))
            if had_error:
                self.app.clear_notifications()  # the stale "invalid" toast goes at once
            self.notify(
                "The runbook is valid again: reloaded." if had_error else "Runbook reloaded.", timeout=2
            )
        self.refresh_tree()
        self.schedule_preview()  # templates or context files may have changed

    # -- prompt preview (rendered in a worker, debounced on cursor moves) ---------------------------
    def schedule_preview(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self._start_preview)

    def _start_preview(self) -> None:
        key = self.selected_key
        _session, task = self.selected_task()
        if key is None or task is None or task.type != "AI_ASSISTED":
            return
        if self.run is not None and self.run_key == key and self.run.prompt is not None:
            return  # the running prompt is on screen
        self.prompt_pane.show_rendering()
        self.render_prompt(key, m.PromptPreviewReady)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def render_prompt(
        self, key: TaskKey, reply: type[m.PromptPreviewReady] | type[m.PromptForEditing]
    ) -> None:
        """Render and count a prompt off the event loop (counting may be an HTTP call)."""
        try:
            prepared = self.sessions[key[0]].preview_prompt(
                key[1], prompt_override=self.prompt_overrides.get(key)
            )
        except PatchbayError as exc:
            self.post_message(reply(key, None, str(exc)))
            return
        self.post_message(reply(key, prepared, None))

    def on_prompt_preview_ready(self, message: m.PromptPreviewReady) -> None:
        if message.task_key != self.selected_key:
            return  # the cursor moved on meanwhile
        if self.run is not None and self.run_key == message.task_key and self.run.prompt is not None:
            return  # the running prompt wins over a preview
        if message.error or message.prompt is None:
            self.prompt_pane.show_prompt_error(message.error or "")
        else:
            self.show_prepared(message.prompt)

    def show_running_prompt(self, key: TaskKey | None, prepared) -> None:
        if key is not None and self.selected_key == key:
            self.show_prepared(prepared)

    def show_prepared(self, prepared) -> None:
        budget = prepared.budget
        text = prepared.rendered.text
        if self.selected_key in self.prompt_overrides:
            text = "(edited for the next run)\n\n" + text
        self.prompt_pane.show_prompt(
            text, budget.label(), budget.over, budget.explain() if budget.over else ""
        )

    # -- which keys apply now: the runner's answer -----------------------------------------------
    def allowed_now(self) -> set[str]:
        panel, batch = self.run_panel, self.batch_panel
        if panel.run is not None:
            return {action.value for action in panel.allowed()}
        if panel.busy is not None:
            return set()  # a quick call (undo, reset, a manual task's status) is finishing
        allowed: set[str] = {"undo"}
        session, task = self.selected_task()
        if task is not None:
            allowed |= {action.value for action in task_actions(session, task.id)}
            if batch.is_active(self.selected_key):
                allowed -= {"reset", "edit_prompt"}
        if batch.pending:
            allowed -= {"run", "undo"}  # one change at a time: the batch's answers are reviewed first
        elif len(self._parallel_candidates()[1]) >= 2:
            allowed.add("run_parallel")
        if batch.batch is not None:
            allowed.add("cancel")
        if batch.review_queue:
            allowed.add("review_next")
        return allowed

    def check_action(self, action: str, parameters) -> bool | None:
        if action in POLICY:
            return action in self.allowed_now()
        if action == "clear_filter":
            return bool(self.query_one("#filter").display)
        return True

    # -- running tasks --------------------------------------------------------------------------
    def action_run(self) -> None:
        if self.selected_key is not None:
            self.run_task(self.selected_key)

    def run_task(self, key: TaskKey) -> None:
        if (
            self.run is not None
            and self.run_key == key
            and self.run.phase is Phase.REVIEWING
            and not self.busy
        ):
            self.run_panel.open_review()
            return
        self.tree.select_task(key)
        session = self.sessions[key[0]]
        if "run" not in self.allowed_now() or session.effective_status(key[1]) != "READY":
            self.notify(self._why_not_run(session, key), severity="warning")
            return
        if self.batch_panel.runs:
            self._show_batch(False)  # back to the single output pane
        self.run_panel.start(key, session, self.prompt_overrides.pop(key, None))

    def _why_not_run(self, session, key: TaskKey) -> str:
        if self.busy:
            return f"Wait: a task is {self.busy} (escape cancels)."
        if self.run is not None:
            return "Choose first: the running task waits for you (see the footer)."
        if self.batch_panel.pending:
            return "Finish the parallel tasks first: v reviews the next answer, escape cancels."
        task = session.task(key[1])
        if task.type == "MANUAL":
            return "A manual task: do it, then y done, s skip or x error."
        waits = session.blocked_by(key[1])
        status = session.effective_status(key[1])
        return f"{key[1]} is {status}" + (f"; it waits for {', '.join(waits)}." if waits else ".")

    def action_review(self) -> None:
        self.run_panel.open_review()

    def action_retry(self) -> None:
        self.run_panel.retry()

    def action_cancel(self) -> None:
        self.batch_panel.cancel()
        if self.run is not None and self.run.step in CANCELLABLE_STEPS:
            self.run_panel.cancel()
        self.status_line.show_until("cancelling…", lambda: self.busy is None)

    def action_rollback(self) -> None:
        self.run_panel.rollback()

    def action_keep(self) -> None:
        self.run_panel.keep()

    def action_done(self) -> None:
        self._manual(lambda run: (run.mark_done(), f"{run.task_id} is DONE.")[1])

    def action_skip(self) -> None:
        self._manual(lambda run: (run.skip(), f"{run.task_id} is SKIPPED.")[1])

    def action_mark_error(self) -> None:
        if self.run is not None:
            self.ask_error_note(self.run.task_id, self.run_panel.mark_error)
            return
        key = self.selected_key
        if key is not None:
            self.ask_error_note(key[1], lambda note: self._manual(lambda run: run.mark_error(note), key))

    def ask_error_note(
        self, task_id: str, on_note: Callable[[str], None], on_cancel: Callable[[], None] | None = None
    ) -> None:
        from tui.app.screens.modals import NoteScreen

        def noted(note: str | None) -> None:
            if note is None:
                if on_cancel is not None:
                    on_cancel()
                return
            on_note(note)

        self.app.push_screen(NoteScreen(f"Why is {task_id} an error?", "a short note for the runbook"), noted)

    def _manual(self, call: Callable[[TaskRun], str | None], key: TaskKey | None = None) -> None:
        key = key or self.selected_key
        if key is not None:
            self.run_panel.manual(self.sessions[key[0]], key[1], call)

    def action_undo(self) -> None:
        index = self.selected_key[0] if self.selected_key else 0
        self.run_panel.quick(None, self.sessions[index].undo_last)

    def action_reset(self) -> None:
        key = self.selected_key
        if key is None or self.is_active(*key):
            self.notify("The selected task cannot be reset while it runs.", severity="warning")
            return
        session = self.sessions[key[0]]
        self.run_panel.quick(None, lambda: (session.reset(key[1], "READY"), f"{key[1]} is READY.")[1])

    # -- parallel ---------------------------------------------------------------------------------
    def _parallel_candidates(self) -> tuple[int, list]:
        from tui.parallel import independent_ready

        index = self.selected_key[0] if self.selected_key else 0
        if not self.sessions:
            return index, []
        return index, independent_ready(self.sessions[index].runbook, self.app.parallel)

    async def action_run_parallel(self) -> None:
        index, tasks = self._parallel_candidates()
        if len(tasks) < 2:
            if tasks:
                self.run_task((index, tasks[0].id))  # nothing to run beside it: the usual flow
            else:
                self.notify("No AI task is READY.")
            return
        runs = []
        for task in tasks:
            try:
                runs.append(TaskRun.begin(self.sessions[index], task.id))
            except PatchbayError as exc:
                self.notify(str(exc), severity="warning")
        if runs:
            self._show_batch(True)
            await self.batch_panel.start(index, runs)
            self.refresh_tree()

    def action_review_next(self) -> None:
        if self.run is not None:
            return
        taken = self.batch_panel.next_for_review()
        if taken is not None:
            self.run_panel.adopt(*taken)

    def _show_batch(self, shown: bool) -> None:
        self.run_panel.display = not shown
        self.query_one("#output").display = not shown
        self.query_one("#batch").display = shown

    # -- one-off prompt edit in $EDITOR (rendered off the event loop) -------------------------------
    def action_edit_prompt(self) -> None:
        if self.selected_key is not None:
            self.render_prompt(self.selected_key, m.PromptForEditing)

    def on_prompt_for_editing(self, message: m.PromptForEditing) -> None:
        from tui.app.prompt_edit import edit_in_editor

        key = message.task_key
        if message.error or message.prompt is None:
            self.notify(message.error or "The prompt cannot be rendered.", severity="error")
            return
        original = message.prompt.rendered.user
        edited = edit_in_editor(self.app, original, suffix=".md")
        if edited is None:
            return
        if edited == original:
            self.notify("The prompt is unchanged.")
            return
        self.prompt_overrides[key] = edited
        self.notify("The edited prompt is used for the next run of this task only.")
        self.schedule_preview()

    # -- filter, navigation, copy, log, model, quit -----------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.tree.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.tree.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.tree.set_filter("")
        self.tree.focus()

    def action_next_ready(self) -> None:
        start = self.selected_key[0] if self.selected_key else 0
        for index in list(range(start, len(self.sessions))) + list(range(0, start)):
            task = self.sessions[index].next_ready()
            if task is not None:
                if not self.tree.select_task((index, task.id)):
                    self.action_clear_filter()
                    self.tree.select_task((index, task.id))
                self.tree.focus()
                return
        self.notify("No task is READY.")

    def action_copy(self) -> None:
        text = self.output.answer_text or self.output.text
        if not text:
            self.notify("There is no answer to copy yet.")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {len(text):,} characters.")

    def action_open_log(self) -> None:
        from tui.app.screens.log_view import LogScreen

        index = self.selected_key[0] if self.selected_key else 0
        self.app.push_screen(LogScreen(Path(self.sessions[index].runbook.folder) / "logs" / "run_log.jsonl"))

    def action_reload(self) -> None:
        for index in range(len(self.sessions)):
            self.background.reload_session(index, models=True)

    def switch_model(self, name: str) -> None:
        for session in self.sessions:
            session.model_override = name
        self.notify(f"Tasks run from now use {name}.")
        self.background.load_model_in_background(name)
        self.schedule_preview()

    def action_quit(self) -> None:
        from tui.app.screens.modals import ConfirmScreen

        run = self.run
        if run is not None and run.phase in UNDECIDED and run.step not in CANCELLABLE_STEPS:
            question = (
                f"The change of {run.task_id} is applied and waits for your decision. Quit anyway? "
                "It stays in the tree uncommitted; after a restart u undoes it."
            )
        elif (run is not None and run.step in CANCELLABLE_STEPS) or self.batch is not None:
            doing = run.step if run is not None and run.step else "generating"
            question = f"A task is {doing}. Stop it and quit?"
        else:
            self.app.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_panel.cancel()
                self.batch_panel.cancel()
                self.app.exit()

        self.app.push_screen(ConfirmScreen(question), answered)
