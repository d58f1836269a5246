"""The main screen's background work, as a widget with no area of its own: loading the sessions
after the first frame, listening to them (their announcements bubble to the screen as
`TaskChanged`), the model and git branch for the status line, and live reload of the runbook files
(`RunbookReloaded` bubbles to the screen). Workers post messages; handlers own the state."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.widget import Widget

from tui.app import collector
from tui.app import messages as m
from tui.errors import PatchbayError

if TYPE_CHECKING:
    from tui.session import Session


def display_path(path: Path) -> str:
    """Short and stable: relative to the current folder when inside it, else with ~ for home."""
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return prefix + str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


class BackgroundWork(Widget):
    DEFAULT_CSS = "BackgroundWork { display: none; }"

    def __init__(self, sessions: list[Session]) -> None:
        super().__init__()
        self.sessions = sessions  # the screen's list, filled in place once loaded
        self._unsubscribe: list[Callable[[], None]] = []
        self._reload_lock = threading.Lock()

    def start(self) -> None:
        """The sessions are there: listen to them, say what needs saying, watch the files, load the model."""
        for index, session in enumerate(self.sessions):
            self._unsubscribe.append(session.subscribe(self._announcer(index)))
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
                self.watch_runbook(index)
        self.load_model_in_background()

    def _announcer(self, index: int) -> Callable[[str], None]:
        return lambda task_id: self.post_message(m.TaskChanged(index, task_id))  # thread-safe

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    # -- the sessions, after the first frame --------------------------------------------------------
    @work(thread=True, group="load", exit_on_error=False)
    def load_sessions(self, loader: Callable[[], list[Session]]) -> None:
        try:
            sessions = loader()
        except PatchbayError as exc:
            self.post_message(m.SessionsLoaded([], str(exc)))
            return
        self.post_message(m.SessionsLoaded(sessions, None))

    def on_sessions_loaded(self, message: m.SessionsLoaded) -> None:
        if message.error:
            self.app.startup_error = message.error
            self.app.exit(return_code=1)
            return
        self.sessions[:] = message.sessions
        collector.set_aside()  # the runbook's objects live as long as the app: no full walks of them
        self.screen.status_line.show_message("")
        self.screen.start()

    # -- model loading --------------------------------------------------------------------------------
    def switch_model(self, name: str) -> None:
        for session in self.sessions:
            session.model_override = name
        self.notify(f"Tasks run from now use {name}.")
        self.load_model_in_background(name)

    def load_model_in_background(self, name: str | None = None) -> None:
        if not self.sessions:
            return
        self.screen.status_line.show_model(f"model {name or '…'} loading")
        self.load_model(name)

    @work(thread=True, exclusive=True, group="model", exit_on_error=False)
    def load_model(self, name: str | None) -> None:
        session = self.sessions[0]
        try:
            branch = session.branch()
        except Exception:  # a broken repository must not stop browsing
            branch = None
        self.post_message(m.TreeInfo(str(session.workdir), branch))
        try:
            if name is None:
                task = session.next_ready() or next(iter(session.runbook.tasks), None)
                if task is None:
                    return
                name = session.model_name_for(task)
            loading = name

            def progress(p) -> None:
                self.post_message(m.ModelLoadProgress(loading, p.step, p.total, p.message))

            session.load_model(name, progress)
            description = session.describe_model(name)
            backend = session.backend(name)
        except PatchbayError as exc:
            self.post_message(m.ModelLoaded(name or "?", f"model {name} cannot be used: {exc}"))
            return
        from tui.engine.pool import PoolBackend

        self.post_message(
            m.ModelLoaded(description, None, backend if isinstance(backend, PoolBackend) else None)
        )

    def on_tree_info(self, message: m.TreeInfo) -> None:
        self.screen.status_line.show_tree(display_path(Path(message.workdir)), message.branch)

    def on_model_load_progress(self, message: m.ModelLoadProgress) -> None:
        self.screen.status_line.show_progress(
            message.step, message.total, f"loading {message.model}: {message.text}"
        )

    def on_model_loaded(self, message: m.ModelLoaded) -> None:
        status = self.screen.status_line
        status.hide_progress()
        if message.error:
            status.show_model("no model")
            self.notify(message.error, severity="error", timeout=10)
        else:
            status.show_model(message.model)
            if message.pool is not None:
                status.follow_pool(message.pool.snapshot)

    # -- live reload ----------------------------------------------------------------------------------
    def reload_all(self) -> None:
        """The Reload command: every runbook, its model registry and replay transcripts."""
        for index in range(len(self.sessions)):
            self.reload_session(index, models=True)

    @work(exclusive=False, group="watch", exit_on_error=False)
    async def watch_runbook(self, index: int) -> None:
        from tui.app.watch import watch_runbook_folder

        folder = Path(self.sessions[index].runbook_path).parent

        def changed(paths: list[Path]) -> None:
            self.post_message(m.RunbookFilesChanged(index, [str(p) for p in paths]))

        await watch_runbook_folder(folder, changed, report_all=lambda: index in self.screen.load_errors)

    def on_runbook_files_changed(self, message: m.RunbookFilesChanged) -> None:
        self.reload_session(message.session_index)

    @work(thread=True, group="reload", exit_on_error=False)
    def reload_session(self, index: int, models: bool = False) -> None:
        session = self.sessions[index]
        # One reload at a time, its result posted before the next one reads: two bursts of edits
        # (a truncate, then the content) must not finish out of order and leave the older answer
        # (an "invalid" for a file that is valid again) on screen, or mix two reads in the session.
        with self._reload_lock:
            try:
                if models:  # the Reload command: the model registry and replay transcripts too
                    session.reload_models()
                session.reload()
                session.sync_ready_statuses()  # a dependency marked DONE by hand: its dependents are READY
            except PatchbayError as exc:
                self.post_message(m.RunbookReloaded(index, str(exc)))
                return
            self.post_message(m.RunbookReloaded(index, None))
