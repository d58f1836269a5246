"""The main screen: runbook tree (left), prompt pane (top right), output pane (bottom right),
status line and footer. Browsing, filtering, previews, model loading and live reload live here;
running tasks is in `task_flows.TaskFlows`."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static, TabbedContent

from tui.app import messages as m
from tui.app.screens.main_background import BackgroundWork
from tui.app.screens.parallel_flows import ParallelFlows
from tui.app.screens.task_choices import TaskChoices
from tui.app.screens.task_flows import BUSY_RUNNING, TaskFlows, phase_of
from tui.app.widgets.output_pane import OutputPane
from tui.app.widgets.prompt_pane import PromptPane, TaskSummary
from tui.app.widgets.runbook_tree import RunbookRows, RunbookTree, TaskKey, TaskRow
from tui.app.widgets.status_line import StatusLine
from tui.errors import PatchbayError

PREVIEW_DELAY = 0.12  # seconds the cursor must rest on a task before its prompt is rendered


class MainScreen(BackgroundWork, ParallelFlows, TaskChoices, TaskFlows, Screen):
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
        Binding(
            "R", "reset", "Reset", show=False, tooltip="Reset the selected task to READY", id="main.reset"
        ),
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
        self._preview_timer: Timer | None = None
        self._init_flows()
        self._init_parallel()

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield Input(placeholder="filter tasks (escape clears)", id="filter")
                yield Static("", id="banner")
                yield RunbookTree(id="tree")
            with Vertical(id="right"):
                yield PromptPane(id="prompt")
                yield OutputPane(id="output")
                with Vertical(id="batch"):  # parallel runs: one output tab per task
                    yield Static("", id="batch-status")
                    yield TabbedContent(id="batch-tabs")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def tree(self) -> RunbookTree:
        return self.query_one("#tree", RunbookTree)

    @property
    def prompt_pane(self) -> PromptPane:
        return self.query_one("#prompt", PromptPane)

    @property
    def output(self) -> OutputPane:
        """Where the active run streams: its own tab when it came from a parallel run."""
        pane = self.batch_pane_for(self.run)
        return pane if pane is not None else self.query_one("#output", OutputPane)

    @property
    def status_line(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#banner").display = False
        self.prompt_pane.pygments_style = self.app.pygments_style
        loader = getattr(self.app, "sessions_loader", None)
        if loader is not None and not self.sessions:
            # The first frame comes before the runbook and its models are imported and loaded.
            self.status_line.show_message("loading the runbook…")  # the app starts the load when ready
        else:
            self.start()

    def start(self) -> None:
        """The sessions are there: fill the tree, watch the files, load the model."""
        self.refresh_tree()
        first = self.sessions[0].next_ready() if self.sessions else None
        if first is not None:
            self.tree.select_task((0, first.id))
        for index, session in enumerate(self.sessions):
            if session.read_only:  # another process drives it: watch its progress, change nothing
                self.notify(session.read_only, title="Read-only", severity="warning", timeout=20)
            for report in session.recovery:  # rolled back, or left alone because the tree moved on
                self.notify(report.message, severity="warning", timeout=15)
            warnings = list(getattr(session.runbook, "warnings", None) or ())
            if warnings:
                more = (
                    f" (and {len(warnings) - 1} more; `patchbay validate` lists them)"
                    if len(warnings) > 1
                    else ""
                )
                self.notify(f"{warnings[0]}{more}", title="Runbook warnings", severity="warning", timeout=10)
            if getattr(self.app, "watch_files", True):
                self.watch_runbook(index)
        self.load_model_in_background()

    def on_theme_switched(self) -> None:
        self.prompt_pane.pygments_style = self.app.pygments_style
        self.schedule_preview()

    # -- the tree --------------------------------------------------------------------------------
    def task_rows(self, index: int) -> list[TaskRow]:
        session = self.sessions[index]
        rows = []
        for task in session.runbook.tasks:
            status = session.effective_status(task.id)
            if status == "RUNNING" and not self.is_active(index, task.id):
                status = "INTERRUPTED"  # RUNNING on disk but nobody runs it: a previous session stopped
            blocked = tuple(session.blocked_by(task.id)) if status == "PENDING" else ()
            rows.append(
                TaskRow(
                    key=(index, task.id),
                    name=task.name,
                    group=task.group or "",
                    type=str(getattr(task.type, "value", task.type)),
                    status=status,
                    blocked_by=blocked,
                )
            )
        return rows

    def refresh_tree(self) -> None:
        runbooks = [
            RunbookRows(
                index=index,
                name=getattr(session.runbook, "name", None) or session.runbook_path.parent.name,
                rows=self.task_rows(index),
                error=self.load_errors.get(index),
            )
            for index, session in enumerate(self.sessions)
        ]
        self.tree.show_runbooks(runbooks)
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
        if self.run is not None and self.run_key == key and self.run.prompt is not None:
            self.show_prepared(self.run.prompt)
        elif previous is None or previous.task_id != key[1] or not self.prompt_pane.prompt_text:
            self.schedule_preview()

    def summary(self, key: TaskKey) -> TaskSummary | None:
        session = self.sessions[key[0]]
        try:
            task = session.task(key[1])
        except PatchbayError:
            return None
        row = self.tree.row(key)
        kind = str(getattr(task.type, "value", task.type))
        ai = getattr(task, "ai_details", None)
        script = getattr(task, "script_details", None)
        issues = tuple(
            str(issue.get("detail") if isinstance(issue, dict) else getattr(issue, "detail", issue))
            for issue in (getattr(task, "issues", None) or ())
        )
        return TaskSummary(
            task_id=task.id,
            name=task.name,
            type=kind,
            status=row.status if row else session.effective_status(task.id),
            description=getattr(task, "description", None) or "",
            instructions=getattr(task, "manual_instructions", None) or "",
            command=(getattr(script, "command", None) or "") if script else "",
            review_points=tuple(getattr(ai, "review_points", None) or ()) if ai else (),
            blocked_by=row.blocked_by if row else (),
            issues=issues,
        )

    # -- prompt preview (rendered in a worker, debounced on cursor moves) ---------------------------
    def schedule_preview(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self._start_preview)

    def _start_preview(self) -> None:
        key = self.selected_key
        if key is None:
            return
        _session, task = self.selected_task()
        if task is None or str(getattr(task.type, "value", task.type)) != "AI_ASSISTED":
            return
        if self.run is not None and self.run_key == key and self.run.prompt is not None:
            return  # the running prompt is on screen
        self.prompt_pane.show_rendering()
        self.render_preview(key)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def render_preview(self, key: TaskKey) -> None:
        from tui.app.prompt_preview import preview_prompt

        session = self.sessions[key[0]]
        try:
            prepared = preview_prompt(session, key[1], self.prompt_overrides.get(key))
        except PatchbayError as exc:
            self.post_message(m.PromptPreviewReady(key, None, str(exc)))
            return
        self.post_message(m.PromptPreviewReady(key, prepared, None))

    def on_prompt_preview_ready(self, message: m.PromptPreviewReady) -> None:
        if message.task_key != self.selected_key:
            return  # the cursor moved on meanwhile
        if self.run is not None and self.run_key == message.task_key and self.run.prompt is not None:
            return  # the running prompt wins over a preview
        if message.error:
            self.prompt_pane.show_prompt_error(message.error)
        else:
            self.show_prepared(message.prompt)

    def show_prepared(self, prepared) -> None:
        budget = prepared.budget
        text = prepared.rendered.text
        if self.selected_key in self.prompt_overrides:
            text = "(edited for the next run)\n\n" + text
        self.prompt_pane.show_prompt(
            text, budget.label(), budget.over, budget.explain() if budget.over else ""
        )

    # -- filter ----------------------------------------------------------------------------------
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

    # -- navigation ------------------------------------------------------------------------------
    def action_next_ready(self) -> None:
        start = self.selected_key[0] if self.selected_key else 0
        order = list(range(start, len(self.sessions))) + list(range(0, start))
        for index in order:
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
        session = self.sessions[index]
        self.app.push_screen(LogScreen(Path(session.runbook.folder) / "logs" / "run_log.jsonl"))

    def action_quit(self) -> None:
        undecided = self.run is not None and phase_of(self.run) in (
            "applied",
            "validating",
            "validation_failed",
        )
        if undecided and self.busy not in BUSY_RUNNING:
            from tui.app.screens.modals import ConfirmScreen

            def leave(yes: bool | None) -> None:
                if yes:
                    self.app.exit()

            self.app.push_screen(
                ConfirmScreen(
                    f"The change of {self.run.task_id} is applied and waits for your decision. Quit anyway? "
                    "It stays in the tree uncommitted; after a restart u undoes it."
                ),
                leave,
            )
            return
        if self.busy in BUSY_RUNNING or self.batch is not None:
            from tui.app.screens.modals import ConfirmScreen

            def answered(yes: bool | None) -> None:
                if yes:
                    if self.run is not None:
                        self.run.cancel()
                    if self.batch is not None:
                        self.batch.cancel()
                    self.app.exit()

            doing = self.busy if self.busy in BUSY_RUNNING else "generating"
            self.app.push_screen(ConfirmScreen(f"A task is {doing}. Stop it and quit?"), answered)
            return
        self.app.exit()
