"""The choices the user makes about a run from the main screen: retry, cancel, roll back, keep,
done / skip / error (with a note), undo, reset, and a one-off prompt edit in $EDITOR. Each calls the
runner in a worker (`action_worker` in task_flows); nothing here decides what a task's state is."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from tui.app.screens.task_flows import phase_of
from tui.errors import PatchbayError
from tui.runner import TaskRun


class TaskChoices:
    """Mixed into MainScreen, next to TaskFlows."""

    # -- choices -----------------------------------------------------------------------------------
    def action_retry(self) -> None:
        run = self.run
        if run is None:
            return
        self.review_failed = False
        self.busy = "preparing"
        if phase_of(run) == "cancelled":
            self.prepare_worker(run, None)  # the same attempt again: nothing failed
        else:
            self.output.note(f"── retry (attempt {run.attempt + 1}) ──")
            self.retry_worker(run)
        self.refresh_bindings()

    def action_cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()
            self.status_line.show_until("cancelling…", lambda: self.busy is None)

    def action_rollback(self) -> None:
        run = self.run

        def rollback() -> str:
            run.rollback()
            return f"Rolled back {run.task_id}; it is READY again."

        self._quick(run, rollback)

    def action_keep(self) -> None:
        run = self.run

        def keep() -> str:
            run.keep()
            return f"Kept the change: {run.task_id} is DONE."

        self._quick(run, keep)

    def action_done(self) -> None:
        self._manual(lambda run: (run.mark_done(), f"{run.task_id} is DONE.")[1])

    def action_skip(self) -> None:
        self._manual(lambda run: (run.skip(), f"{run.task_id} is SKIPPED.")[1])

    def action_mark_error(self) -> None:
        run = self.run if self.awaiting_choice() else None
        key = self.run_key if run is not None else self.selected_key
        if key is None:
            return
        self.ask_error_note(run, key)

    def ask_error_note(self, run, key, on_cancel: Callable[[], None] | None = None) -> None:
        """Ask why, then mark ERROR: the active run, or (run None) the selected MANUAL task."""
        from tui.app.screens.modals import NoteScreen

        task_id = key[1]

        def noted(note: str | None) -> None:
            if note is None:
                if on_cancel is not None:
                    on_cancel()
                return
            if run is not None:
                self._quick(run, lambda: (run.mark_error(note), f"{task_id} is ERROR.")[1])
            else:
                self._manual(lambda r: (r.mark_error(note), f"{task_id} is ERROR.")[1], key)

        self.app.push_screen(NoteScreen(f"Why is {task_id} an error?", "a short note for the runbook"), noted)

    def _manual(self, call: Callable, key=None) -> None:
        key = key or self.selected_key
        if key is None:
            return
        try:
            run = TaskRun.begin(self.sessions[key[0]], key[1])
        except PatchbayError as exc:
            self.notify(str(exc), severity="warning")
            return
        self._quick(run, lambda: call(run))

    def _quick(self, run, call: Callable[[], str | None]) -> None:
        if run is None:
            return
        self.busy = "working"
        self.action_worker(run, call)

    def action_undo(self) -> None:
        if self.busy:
            self.notify(f"Wait: a task is {self.busy}.", severity="warning")
            return
        index = self.run_key[0] if self.run_key else (self.selected_key[0] if self.selected_key else 0)
        session = self.sessions[index]
        self._quick_session(session.undo_last)

    def action_reset(self) -> None:
        key = self.selected_key
        if key is None or self.busy or self.is_active(*key):
            self.notify("The selected task cannot be reset while it runs.", severity="warning")
            return
        session = self.sessions[key[0]]

        def reset() -> str:
            session.reset(key[1], "READY")
            return f"{key[1]} is READY."

        self._quick_session(reset)

    def _quick_session(self, call: Callable[[], str | None]) -> None:
        self.busy = "working"
        self.action_worker(None, call)

    # -- one-off prompt edit in $EDITOR --------------------------------------------------------------
    def action_edit_prompt(self) -> None:
        key = self.selected_key
        if key is None:
            return
        session = self.sessions[key[0]]
        try:
            from tui.app.prompt_preview import preview_prompt

            prepared = preview_prompt(session, key[1], self.prompt_overrides.get(key))
        except PatchbayError as exc:
            self.notify(str(exc), severity="error")
            return
        edited = self.edit_in_editor(prepared.rendered.user, suffix=".md")
        if edited is None:
            return
        if edited == prepared.rendered.user:
            self.notify("The prompt is unchanged.")
            return
        self.prompt_overrides[key] = edited
        self.notify("The edited prompt is used for the next run of this task only.")
        self.schedule_preview()

    def edit_in_editor(self, text: str, *, suffix: str) -> str | None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        handle, name = tempfile.mkstemp(prefix="patchbay-prompt-", suffix=suffix)
        path = Path(name)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            try:
                with self.app.suspend():
                    code = subprocess.call([*shlex.split(editor), str(path)])
            except Exception as exc:  # SuspendNotSupported (e.g. in a browser), or no such editor
                self.notify(f"Cannot open {editor}: {exc}", severity="error")
                return None
            if code != 0:
                self.notify(f"{editor} exited {code}; the prompt is unchanged.", severity="warning")
                return None
            return path.read_text(encoding="utf-8")
        finally:
            path.unlink(missing_ok=True)
