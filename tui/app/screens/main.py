"""The main screen: runbook tree (left), prompt pane above the run panel or the parallel-batch panel
(right), status line and footer.

A thin screen: compose, bindings, and routing. The run panel owns one run's output and decisions,
the batch panel a parallel batch, the prompt pane the prompt's preview and edits, the banner the
runbooks that fail to load, the background widget loading, listening and live reload. Which keys
apply is the runner's answer (`TaskRun.allowed()`, `task_actions()`); the tree and footer update
when a session announces a change (`messages.TaskChanged`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from tui.app import collector
from tui.app.screens.main_keys import MAIN_KEYS, POLICY
from tui.app.screens.wind_down import wind_down
from tui.app.widgets.status_line import StatusLine
from tui.app.widgets.task_browser import TaskBrowser
from tui.errors import PatchbayError
from tui.run_phase import CANCELLABLE_STEPS, Phase

if TYPE_CHECKING:
    from tui.app import messages as m
    from tui.app.widgets.background import BackgroundWork
    from tui.app.widgets.batch_panel import BatchPanel
    from tui.app.widgets.prompt_pane import PromptPane
    from tui.app.widgets.run_panel import RunPanel
    from tui.app.widgets.runbook_tree import RunbookTree, TaskKey, TaskRow
    from tui.runner import TaskRun  # the runner (and all it loads) is imported after the first frame


class MainScreen(Screen):
    # main.tcss as default CSS, not CSS_PATH: a screen's CSS_PATH makes Textual parse every style
    # sheet loaded so far again when the screen is pushed, which is part of the first frame.
    DEFAULT_CSS = (Path(__file__).parent / "main.tcss").read_text(encoding="utf-8")
    AUTO_FOCUS = "#tree"
    BINDINGS = MAIN_KEYS

    def __init__(self, sessions: list) -> None:
        super().__init__()
        self.sessions = sessions
        self._tree_stale = False
        self._offered: tuple | None = None  # what the footer last showed (refresh_bindings)
        self._offer_due = False

        # The parts, each owning its share of the screen. The first frame shows the tree, the
        # status line and the footer; the right-hand panes and the background work are imported
        # and mounted right after it (`mount_panes`), so the first frame comes sooner.
        self.browser = TaskBrowser(sessions, id="left")
        self.status_line = StatusLine(id="status")
        self.prompt_pane: PromptPane | None = None
        self.run_panel: RunPanel | None = None
        self.batch_panel: BatchPanel | None = None
        self.background: BackgroundWork | None = None
        self._panes_mounted = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            yield self.browser
            yield Vertical(id="right")
        yield self.status_line
        yield Footer()

    @property
    def panes_mounted(self) -> bool:
        return self._panes_mounted

    async def mount_panes(self) -> None:
        """After the first frame: the tree, the prompt pane, the run and batch panels, the
        background work."""
        if self.background is not None:  # set before the first await: a second call returns here
            return
        from tui.app.widgets.background import BackgroundWork
        from tui.app.widgets.batch_panel import BatchPanel
        from tui.app.widgets.prompt_pane import PromptPane
        from tui.app.widgets.run_panel import RunPanel

        self.prompt_pane = PromptPane(id="prompt")
        self.run_panel = RunPanel(id="run-panel")
        self.batch_panel = BatchPanel(id="batch")
        self.background = BackgroundWork(self.sessions)
        self.prompt_pane.pygments_style = self.app.pygments_style
        await self.browser.mount_tree()
        await self.query_one("#right").mount_all([self.prompt_pane, self.run_panel, self.batch_panel])
        await self.mount(self.background, before=self.status_line)
        self._panes_mounted = True  # only now may keys reach the panes (check_action)
        self.refresh_bindings()

    @property
    def tree(self) -> RunbookTree:
        return self.browser.tree

    @property
    def load_errors(self) -> dict[int, str]:
        return self.browser.banner.errors

    @property
    def run(self) -> TaskRun | None:
        return self.run_panel.run

    @property
    def busy(self) -> str | None:
        return self.run_panel.busy

    @property
    def output(self):
        return self.run_panel.output

    @property
    def selected_key(self) -> TaskKey | None:
        return self.tree.selected_key

    def selected_session(self):
        key = self.selected_key
        return self.sessions[key[0] if key else 0] if self.sessions else None

    # -- start ---------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.app.sessions_loader is not None and not self.sessions:
            # The first frame comes before the runbook and its models are imported and loaded.
            self.status_line.show_message("loading the runbook…")  # the app starts the load when ready
            self.browser.show_skeleton(getattr(self.app.sessions_loader, "runbook", None))

    async def first_frame_shown(self, loader: Callable[[], list] | None) -> None:
        """The app's first frame is on screen: mount the rest, then load the runbook (or show the
        sessions the app was given)."""
        await self.mount_panes()
        if loader is not None and not self.sessions:
            self.background.load_sessions(loader)
        else:
            self.start()

    def start(self) -> None:
        """The sessions are there: fill the tree on the first READY task; the background does the rest."""
        self.background.start()
        self.refresh_tree()
        # The tree's nodes live as long as the runbook: set aside with it, or every full collection
        # walks 10,000 of them (a 0.2-0.4 s pause landing in the middle of a keystroke).
        collector.set_aside()
        first = self.sessions[0].next_ready() if self.sessions else None
        if first is not None:
            self.tree.select_task((0, first.id))

    # -- routing what the parts announce -------------------------------------------------------------
    def on_task_changed(self, message: m.TaskChanged) -> None:
        self.task_changed((message.session_index, message.task_id))

    def task_changed(self, key: TaskKey) -> None:
        """Only the task's line and its dependents' are redrawn (a full refresh walks every task)."""
        self.batch_panel.forget_candidates()
        self.browser.task_changed(key)
        if not self._tree_stale:  # a burst of announcements becomes one refresh
            self._tree_stale = True
            self.call_later(self.refresh_changed)

    def on_run_panel_finished(self, message: RunPanel.Finished) -> None:
        self.status_line.show_message("")  # "cancelling…" and the like are over
        self.batch_panel.finished(message.run)
        if message.run.session in self.sessions:  # its task is no longer active: RUNNING shows as such
            self.task_changed((self.sessions.index(message.run.session), message.run.task_id))
        else:
            self.refresh_tree()

    def on_run_panel_prompt_shown(self, message: RunPanel.PromptShown) -> None:
        if message.key is not None and message.key == self.selected_key:
            self.prompt_pane.show_running(message.prompt)

    def on_runbook_reloaded(self, message: m.RunbookReloaded) -> None:
        self.browser.banner.reloaded(message.session_index, message.error)
        self.refresh_tree()
        if message.error is None:
            # the old runbook and the tree's old nodes are garbage now: collected, not kept frozen;
            # the new ones are set aside
            collector.renew()
        self.schedule_preview()  # templates or context files may have changed

    def on_prompt_pane_edited(self) -> None:
        self.schedule_preview()

    def on_theme_switched(self) -> None:
        if not self.panes_mounted:
            return  # mount_panes gives the prompt pane the theme's style
        self.prompt_pane.pygments_style = self.app.pygments_style
        self.schedule_preview()

    # -- the tree and the prompt pane ----------------------------------------------------------------
    def is_active(self, index: int, task_id: str) -> bool:
        return self.run_panel.run_key == (index, task_id) or self.batch_panel.is_active((index, task_id))

    def task_rows(self, index: int) -> list[TaskRow]:
        from tui.app.widgets.tree_rows import task_rows

        return task_rows(self.sessions[index], index, lambda key: self.is_active(*key), self.tree.row)

    def refresh_tree(self) -> None:
        self._tree_stale = False
        self.batch_panel.forget_candidates()
        self.browser.show(lambda key: self.is_active(*key))
        self.show_selected()
        self.refresh_bindings()

    def refresh_changed(self) -> None:
        if not self._tree_stale:
            return  # a full refresh came first and showed the changes
        self._tree_stale = False
        self.browser.show_changed(lambda key: self.is_active(*key))
        self.show_selected()
        self.refresh_bindings()

    def selected_task(self):
        session, key = self.selected_session(), self.selected_key
        try:
            return (session, session.task(key[1])) if key is not None else (None, None)
        except PatchbayError:
            return None, None

    def on_runbook_tree_task_highlighted(self, event: RunbookTree.TaskHighlighted) -> None:
        self.show_selected(event.key)
        self.refresh_bindings()

    def on_runbook_tree_task_chosen(self, event: RunbookTree.TaskChosen) -> None:
        self.run_task(event.key)

    def show_selected(self, key: TaskKey | None = None) -> None:
        if not self.panes_mounted:
            return  # the skeleton's rows, before the prompt pane is there
        from tui.app.widgets.tree_rows import task_summary

        key = key or self.selected_key
        session = self.sessions[key[0]] if key is not None else None
        summary = task_summary(session, key[1], self.tree.row(key)) if key is not None else None
        self.prompt_pane.follow(key, session, summary, self._running_prompt(key))

    def schedule_preview(self) -> None:
        key = self.selected_key
        session = self.sessions[key[0]] if key is not None else None
        self.prompt_pane.refresh_preview(key, session, self._running_prompt(key))

    def _running_prompt(self, key: TaskKey | None):
        return self.run.prompt if self.run is not None and self.run_panel.run_key == key else None

    # -- which keys apply now: the runner's answer -----------------------------------------------
    def allowed_now(self) -> set[str]:
        if not self.sessions:
            return set()  # still loading: no task to act on yet
        panel = self.run_panel
        if panel.run is not None or panel.busy is not None:
            return {action.value for action in panel.allowed()}  # nothing while a quick call finishes
        from tui.runner import task_actions

        session, task = self.selected_task()
        allowed = {"undo"} | (
            {a.value for a in task_actions(session, task.id)} if task is not None else set()
        )
        return self.batch_panel.restrict(allowed, self.selected_key, session, self.app.parallel)

    def refresh_bindings(self) -> None:
        # The footer rebuilds its keys on every call, one rebuild per call (tens of ms on a busy
        # machine), and asking what is allowed walks the runbook for `p`: a status write brings
        # several calls that leave the keys as they were. Once, after the frame that shows the change.
        if not self._offer_due:
            self._offer_due = True
            self.call_after_refresh(self._offer_keys)

    def _offer_keys(self) -> None:
        self._offer_due = False
        mounted = self.panes_mounted
        offered = (
            mounted,
            frozenset(self.allowed_now()) if mounted else frozenset(),
            self.browser.filtering,
            self.browser.typing_filter,
            self.focused,
            self.app.app_focus,
        )
        if offered == self._offered:
            return
        self._offered = offered
        super().refresh_bindings()

    def check_action(self, action: str, parameters) -> bool | None:
        if not self.panes_mounted:
            return action == "quit"  # the moment before the panes are there: nothing to act on
        if action in POLICY:
            return action in self.allowed_now()
        if action == "clear_filter":
            return self.browser.filtering
        if action == "filter":
            return not self.browser.typing_filter  # a `/` typed in the filter box is part of it
        return True

    # -- the keys: each hands its work to the part that owns it -------------------------------------
    def action_run(self) -> None:
        if self.selected_key is not None:
            self.run_task(self.selected_key)

    def run_task(self, key: TaskKey) -> None:
        run, panel = self.run, self.run_panel
        if run is not None and panel.run_key == key and run.phase is Phase.REVIEWING and not self.busy:
            panel.open_review()
            return
        self.tree.select_task(key)
        session = self.sessions[key[0]]
        if "run" not in self.allowed_now() or session.effective_status(key[1]) != "READY":
            self.notify(
                panel.why_not_run(session, key[1], bool(self.batch_panel.pending)), severity="warning"
            )
            return
        if self.batch_panel.runs:
            self._show_batch(False)  # back to the single output pane
        panel.start(key, session, self.prompt_pane.overrides.pop(key, None))

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
        if self.selected_key is not None:
            self.run_panel.mark_done(self.selected_session(), self.selected_key[1])

    def action_skip(self) -> None:
        if self.selected_key is not None:
            self.run_panel.skip(self.selected_session(), self.selected_key[1])

    def action_mark_error(self) -> None:
        if self.run is not None or self.selected_key is not None:
            key = self.selected_key
            self.run_panel.mark_error_asking(self.selected_session(), key[1] if key else "")

    def action_undo(self) -> None:
        self.run_panel.quick(None, self.selected_session().undo_last)

    def action_reset(self) -> None:
        key = self.selected_key
        if key is None or self.is_active(*key):
            self.notify("The selected task cannot be reset while it runs.", severity="warning")
            return
        session = self.sessions[key[0]]
        self.run_panel.quick(None, lambda: (session.reset(key[1], "READY"), f"{key[1]} is READY.")[1])

    async def action_run_parallel(self) -> None:
        session = self.selected_session()
        index = self.selected_key[0] if self.selected_key else 0
        tasks = self.batch_panel.candidates(session, self.app.parallel)
        if len(tasks) < 2:
            if tasks:
                self.run_task((index, tasks[0].id))  # nothing to run beside it: the usual flow
            else:
                self.notify("No AI task is READY.")
            return
        self._show_batch(True)
        if not await self.batch_panel.launch(session, index, tasks):
            self._show_batch(False)
        self.refresh_tree()

    def action_review_next(self) -> None:
        if self.run is None and (taken := self.batch_panel.next_for_review()) is not None:
            self.run_panel.adopt(*taken)

    def _show_batch(self, shown: bool) -> None:
        self.run_panel.display = not shown
        self.batch_panel.display = shown

    def action_edit_prompt(self) -> None:
        if self.selected_key is not None:
            self.prompt_pane.edit(self.selected_key, self.selected_session())

    def action_filter(self) -> None:
        self.browser.open_filter()

    def action_clear_filter(self) -> None:
        self.browser.clear_filter()

    def action_next_ready(self) -> None:
        if not self.browser.select_next_ready():
            self.notify("No task is READY.")

    def action_copy(self) -> None:
        self.run_panel.copy_answer()

    def action_open_log(self) -> None:
        from tui.app.screens.log_view import LogScreen

        folder = Path(self.selected_session().runbook.folder)
        self.app.push_screen(LogScreen(folder / "logs" / "run_log.jsonl"))

    def action_reload(self) -> None:
        self.background.reload_all()

    def switch_model(self, name: str) -> None:
        self.background.switch_model(name)
        self.schedule_preview()

    def action_quit(self) -> None:
        from tui.app.screens.modals import ConfirmScreen

        question = self.panes_mounted and (self.run_panel.quit_question() or self.batch_panel.quit_question())
        if not question:
            self.app.exit()
        else:
            self.app.push_screen(ConfirmScreen(question), self._quit_answered)

    async def _quit_answered(self, yes: bool | None) -> None:
        if yes:
            await wind_down(self.app, self.run_panel, self.batch_panel)
            self.app.exit()
