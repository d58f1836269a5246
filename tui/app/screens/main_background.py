"""The main screen's background work: loading the sessions after the first frame, the model and
git branch for the status line, and live reload of the runbook files. Workers post messages; the
handlers here update the screen."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.widgets import Static

from tui.app import messages as m
from tui.errors import PatchbayError


def display_path(path: Path) -> str:
    """Short and stable: relative to the current folder when inside it, else with ~ for home."""
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return prefix + str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


class BackgroundWork:
    """Mixed into MainScreen."""

    sessions: list

    @work(thread=True, group="load", exit_on_error=False)
    def load_sessions(self, loader) -> None:
        try:
            sessions = loader()
        except PatchbayError as exc:
            self.post_message(self.SessionsLoaded([], str(exc)))
            return
        self.post_message(self.SessionsLoaded(sessions, None))

    class SessionsLoaded(m.Message):
        def __init__(self, sessions: list, error: str | None) -> None:
            super().__init__()
            self.sessions = sessions
            self.error = error

    def on_background_work_sessions_loaded(self, message: SessionsLoaded) -> None:
        if message.error:
            self.app.startup_error = message.error
            self.app.exit(return_code=1)
            return
        self.sessions[:] = message.sessions
        self.status_line.show_message("")
        self.start()

    # -- model loading ---------------------------------------------------------------------------
    def load_model_in_background(self, name: str | None = None) -> None:
        if not self.sessions:
            return
        self.status_line.show_model(f"model {name or '…'} loading")
        self.load_model(name)

    @work(thread=True, exclusive=True, group="model", exit_on_error=False)
    def load_model(self, name: str | None) -> None:
        session = self.sessions[0]
        try:
            branch = session.branch()
        except Exception:  # a broken repository must not stop browsing
            branch = None
        self.post_message(self.TreeInfo(str(session.workdir), branch))
        try:
            if name is None:
                task = session.next_ready() or next(iter(session.runbook.tasks), None)
                if task is None:
                    return
                name = session.model_name_for(task)

            def progress(p) -> None:
                self.post_message(m.ModelLoadProgress(name, p.step, p.total, p.message))

            session.load_model(name, progress)
            description = session.describe_model(name)
        except PatchbayError as exc:
            self.post_message(m.ModelLoaded(name or "?", f"model {name} cannot be used: {exc}"))
            return
        self.post_message(m.ModelLoaded(description, None))

    class TreeInfo(m.Message):
        def __init__(self, workdir: str, branch: str | None) -> None:
            super().__init__()
            self.workdir = workdir
            self.branch = branch

    def on_background_work_tree_info(self, message: TreeInfo) -> None:
        self.status_line.show_tree(display_path(Path(message.workdir)), message.branch)

    def on_model_load_progress(self, message: m.ModelLoadProgress) -> None:
        self.status_line.show_progress(
            message.step, message.total, f"loading {message.model}: {message.text}"
        )

    def on_model_loaded(self, message: m.ModelLoaded) -> None:
        self.status_line.hide_progress()
        if message.error:
            self.status_line.show_model("no model")
            self.notify(message.error, severity="error", timeout=10)
        else:
            self.status_line.show_model(message.model)

    def switch_model(self, name: str) -> None:
        for session in self.sessions:
            session.model_override = name
        self.notify(f"Tasks run from now use {name}.")
        self.load_model_in_background(name)
        self.schedule_preview()

    # -- live reload -----------------------------------------------------------------------------
    @work(exclusive=False, group="watch", exit_on_error=False)
    async def watch_runbook(self, index: int) -> None:
        from tui.app.watch import watch_runbook_folder

        folder = Path(self.sessions[index].runbook_path).parent

        def changed(paths: list[Path]) -> None:
            self.post_message(m.RunbookFilesChanged(index, [str(p) for p in paths]))

        await watch_runbook_folder(folder, changed)

    def on_runbook_files_changed(self, message: m.RunbookFilesChanged) -> None:
        self.reload_session(message.session_index)

    def action_reload(self) -> None:
        for index in range(len(self.sessions)):
            self.reload_session(index, models=True)

    @work(thread=True, group="reload", exit_on_error=False)
    def reload_session(self, index: int, models: bool = False) -> None:
        try:
            if models:  # the Reload command: the model registry and replay transcripts too
                self.sessions[index].reload_models()
            self.sessions[index].reload()
        except PatchbayError as exc:
            self.post_message(m.RunbookReloaded(index, str(exc)))
            return
        self.post_message(m.RunbookReloaded(index, None))

    def on_runbook_reloaded(self, message: m.RunbookReloaded) -> None:
        banner = self.query_one("#banner", Static)
        had_error = message.session_index in self.load_errors
        if message.error:
            self.load_errors[message.session_index] = message.error
            banner.update(f"⚠ {message.error}")
            banner.display = True
            self.notify(message.error, title="The runbook is invalid", severity="error", timeout=8)
        else:
            self.load_errors.pop(message.session_index, None)
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
