"""A loaded runbook with its models, run log and working tree: what every TaskRun works against."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui import session_writes
from tui.engine.base import Backend, FinalRecord
from tui.errors import PatchbayError
from tui.prompts.budget import check_budget
from tui.prompts.render import RetryContext, render_prompt
from tui.runbook.driver_lock import DriverLock, RunbookLocked, acquire
from tui.runbook.event_log import EventLog, EventType, utc_timestamp
from tui.runbook.models import DEFAULT_MODEL
from tui.task_settings import PreparedPrompt, messages_for, task_prompt_source, task_settings
from tui.workspace.atomic import write_atomically
from tui.workspace.journal import AppliedChange, recover, undo, undo_blockers

if TYPE_CHECKING:
    from tui.patch.hunk_choice import HunkChoice
    from tui.runbook.models import Runbook, Task

__all__ = ["PreparedPrompt", "Session", "messages_for", "task_settings"]  # what the runner imports from here


def _take_lock(folder: Path, driver: str | None) -> tuple[DriverLock | None, str | None]:
    """(the lock, None) for a driver that got it; (None, why) for one that did not."""
    if driver is None:
        return None, None
    try:
        return acquire(folder, driver), None
    except RunbookLocked as exc:
        return None, str(exc)


@dataclass
class _Applied:
    task_id: str
    change: AppliedChange
    commit_sha: str | None = None


class Session:
    """One runbook opened for work. Safe to share between the UI thread and one worker at a time."""

    def __init__(
        self,
        runbook_path: Path,
        *,
        config_file: Path | None = None,
        model_override: str | None = None,
        replay_rate: float | None = None,
        driver: str | None = None,
        backends: dict[str, Backend] | None = None,
    ) -> None:
        """`driver` names the command that drives the runbook ("patchbay run"): it takes the
        runbook's lock, or the session is read-only (`read_only` says why). `backends` is a model
        pool shared with other sessions (several runbooks in one run)."""
        from tui.engine.registry import load_registry
        from tui.runbook.loader import load_runbook, runbook_file_for

        self.runbook_path = runbook_file_for(Path(runbook_path))
        self.config_file = Path(config_file) if config_file else None
        self.registry = load_registry(self.runbook_path.parent, self.config_file)
        self.runbook = load_runbook(self.runbook_path, known_models=self.registry.names())
        self.model_override = model_override
        if model_override is not None:
            self.registry.get(model_override)  # an unknown name fails now, with the known names listed
        self.replay_rate = replay_rate
        self.log = EventLog(self.runbook.folder)
        self.driver_lock, self.read_only = _take_lock(self.runbook.folder, driver)
        # What recovery of an interrupted apply did, one sentence each (the CLI and TUI show them).
        # Only the driver recovers: the holder of the lock may be mid-apply.
        try:
            self.recovery = [] if self.read_only else recover(self.workdir)
        except BaseException:
            if self.driver_lock is not None:
                self.driver_lock.release()
            raise
        self.recovered = [path for report in self.recovery for path in report.restored]
        self._backends: dict[str, Backend] = backends if backends is not None else {}
        self._owns_backends = backends is None
        self._loaded: set[str] = set()
        self._lock = threading.RLock()
        # Tasks may generate in parallel threads: their YAML read-modify-writes take turns here.
        self._write_lock = threading.RLock()
        self._load_lock = threading.Lock()
        self._stream_slots: dict[str, threading.BoundedSemaphore] = {}
        # Held by whoever applies and validates: the working tree sees one change at a time.
        self.tree_lock = threading.RLock()
        self._applied: list[_Applied] = []
        self._git = None
        self._git_checked = False
        self._listeners: list[Callable[[str], None]] = []
        # (runbook, who depends on each task): made here, off the UI thread, for each runbook read
        self._dependents: tuple[Runbook | None, dict[str, list[str]]] = (None, {})
        self.dependents_of("")
        self.sync_error: str | None = None  # why the READY promotions could not be written at open
        try:
            self.sync_ready_statuses()
        except (PatchbayError, OSError) as exc:  # browsing a read-only runbook still works
            self.sync_error = str(exc)

    # -- announcements ----------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call `listener(task_id)` whenever a task's status, or its run's phase or step, changes
        (from whichever thread made the change). Returns the function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def announce_run(self, task_id: str) -> None:
        for listener in list(self._listeners):
            listener(task_id)

    # -- the runbook -------------------------------------------------------------------------------------
    @property
    def workdir(self) -> Path:
        return self.runbook.workdir

    def reload(self):
        """Read the runbook again; on an error the old one stays and RunbookInvalid is raised."""
        from tui.runbook.loader import load_runbook

        fresh = load_runbook(self.runbook_path, known_models=self.registry.names())
        with self._lock:
            self.runbook = fresh
        self.dependents_of("")  # the map for the new runbook, made in the reload's thread
        return fresh

    def reload_models(self) -> list[str]:
        """Read the model registry again (the Reload command). A replay model, or one whose entry
        changed or went, gets a fresh backend on its next use, so a transcript is read afresh; a
        stream still running keeps the backend it has. Returns the names dropped."""
        from tui.engine.registry import ReplaySpec, load_registry

        registry = load_registry(self.runbook_path.parent, self.config_file)
        with self._lock:
            old, self.registry = self.registry, registry
            stale = [
                name
                for name in self._backends
                if name not in registry.names()
                or isinstance(registry.get(name), ReplaySpec)
                or registry.get(name) != old.get(name)
            ]
            for name in stale:
                del self._backends[name]
                self._loaded.discard(name)
                self._stream_slots.pop(name, None)
        return stale

    def task(self, task_id: str):
        try:
            return self.runbook.task(task_id)
        except KeyError:
            raise PatchbayError(f"{self.runbook_path}: there is no task with id {task_id}") from None

    def effective_status(self, task_id: str) -> str:
        from tui.runbook.graph import effective_status

        return effective_status(self.task(task_id))

    def blocked_by(self, task_id: str) -> list[str]:
        from tui.runbook.graph import blocked_by

        return blocked_by(self.task(task_id))

    def next_ready(self):
        from tui.runbook.graph import next_ready

        return next_ready(self.runbook)

    def preview_prompt(
        self,
        task_id: str,
        *,
        prompt_override: str | None = None,
        retry: RetryContext | None = None,
        template: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> PreparedPrompt:
        """Render and count a task's prompt without starting a run (nothing is written).
        `template` and `extra`: another template with more variables (a regenerated hunk)."""
        task = self.task(task_id)
        source = replace(task_prompt_source(task), edit_format=self.prompt_edit_format(task))
        rendered = render_prompt(source, retry, template=template, extra=extra)
        if prompt_override is not None:
            rendered = replace(rendered, user=prompt_override)
        model_name = self.model_name_for(task)
        backend = self.backend(model_name)
        tokens = backend.count_tokens(messages_for(rendered))
        settings = task_settings(task)
        budget = check_budget(
            tokens.count,
            exact=tokens.exact,
            budget=settings.context_budget,
            max_seq_len=backend.max_context(),
            max_new_tokens=settings.max_new_tokens,
        )
        return PreparedPrompt(rendered=rendered, tokens=tokens, budget=budget, model_name=model_name)

    def check_can_begin(self, task_id: str) -> None:
        """Raise, with the reason, unless the task is READY (what `TaskRun.begin` asks first)."""
        if self.read_only:
            raise PatchbayError(self.read_only)
        status = self.effective_status(task_id)
        if status != "READY":
            waits = self.blocked_by(task_id)
            why = f"; it waits for {', '.join(waits)}" if waits else ""
            raise PatchbayError(f"task {task_id} is {status}, not READY{why}")

    def reset(self, task_id: str, status: str = "READY") -> None:
        self.write_status(task_id, status, event=EventType.RESET_TASK)

    # -- models ------------------------------------------------------------------------------------------
    def output_parser_for(self, task) -> str:
        """The task's own output_parser, else its model's edit_format, else auto."""
        return task.stated_output_parser or self._model_edit_format(task) or task.output_parser

    def prompt_edit_format(self, task) -> str:
        """The edit format a task's prompt asks for: the first of the task's output_parser and
        its model's edit_format that names one format (auto asks for a unified diff)."""
        for name in (task.stated_output_parser, self._model_edit_format(task)):
            if name in ("unified_diff", "search_replace", "apply_patch", "whole_file"):
                return name
        return "unified_diff"

    def _model_edit_format(self, task) -> str | None:
        try:
            return self.registry.get(self.model_name_for(task)).edit_format
        except PatchbayError:
            return None  # an unknown model is reported when it is used

    def model_name_for(self, task) -> str:
        """--model, else the task's (or the runbook's) model, else the config's default_model."""
        if self.model_override:
            return self.model_override
        name = task.effective_model
        if name == DEFAULT_MODEL and name not in self.registry.names():
            return self.registry.default_name() or name  # unknown: the registry names the known ones
        return name

    def backend(self, model_name: str) -> Backend:
        from tui.engine.registry import create_backend

        with self._lock:
            if model_name not in self._backends:
                spec = self.registry.get(model_name)
                self._backends[model_name] = create_backend(spec, replay_rate=self.replay_rate)
            return self._backends[model_name]

    def load_model(self, model_name: str, progress=None) -> None:
        """Load a model (blocking; call it from a worker). Loading twice is a no-op."""
        backend = self.backend(model_name)
        with self._load_lock:
            if model_name in self._loaded:
                return
            backend.load(progress or (lambda _p: None))
            self._loaded.add(model_name)

    def stream_slots(self, model_name: str) -> threading.BoundedSemaphore:
        """One slot per stream the model's backend runs at once (asked once it is loaded);
        parallel tasks beyond that wait for a slot."""
        backend = self.backend(model_name)
        with self._lock:
            if model_name not in self._stream_slots:
                size = max(1, backend.max_concurrent_streams())
                self._stream_slots[model_name] = threading.BoundedSemaphore(size)
            return self._stream_slots[model_name]

    def is_loaded(self, model_name: str) -> bool:
        return model_name in self._loaded

    def describe_model(self, model_name: str) -> str:
        return f"{model_name}: {self.backend(model_name).describe()}"

    def close(self) -> None:
        if self._owns_backends:
            for backend in self._backends.values():
                backend.close()
        if self.driver_lock is not None:
            self.driver_lock.release()

    # -- git -----------------------------------------------------------------------------------------------
    @property
    def git(self):
        if not self._git_checked:
            from tui.workspace.git_repo import GitWorkspace

            self._git = GitWorkspace.find(self.workdir)
            self._git_checked = True
        return self._git

    def branch(self) -> str | None:
        return self.git.branch() if self.git else None

    def user_edited(self, paths) -> list[str]:
        """Which of `paths` hold the user's own uncommitted changes (applying on top stays possible,
        and undo puts the user's version back)."""
        return self.git.dirty_files(list(paths)) if self.git is not None else []

    def commit(
        self,
        task,
        applied: AppliedChange,
        prompt: PreparedPrompt,
        hunks: HunkChoice | None = None,
        notes: list[str] | None = None,
    ) -> str | None:
        """Commit the applied change; `notes` (the review's, one line each) make the body."""
        if self.git is None:
            return None
        body = "\n\nReview notes:\n" + "\n".join(notes) if notes else ""
        sha = self.git.commit(
            applied.files,
            f"feat({task.id}): {task.name}{body}",
            {
                "Model": prompt.model_name,
                "Prompt-SHA256": prompt.rendered.sha256,
                "Patchbay-Change": applied.id,
                **(hunks.trailers() if hunks is not None else {}),
            },
        )
        for entry in self._applied:
            if entry.change.id == applied.id:
                entry.commit_sha = sha
        self.log.append(task.id, EventType.COMMIT_CREATED, details={"sha": sha, "files": applied.files})
        return sha

    # -- applied changes and undo ------------------------------------------------------------------------
    def remember_applied(self, task_id: str, change: AppliedChange) -> None:
        self._applied.append(_Applied(task_id, change))

    def restore_blockers(self, change: AppliedChange) -> list[str]:
        """Files of `change` edited since it was applied (restoring them would discard those edits)."""
        return undo_blockers(self.workdir, change.id)

    def restore(self, change: AppliedChange) -> None:
        """Put the files of `change` back exactly as they were (its commit was never made)."""
        undo(self.workdir, change.id)
        self._applied = [entry for entry in self._applied if entry.change.id != change.id]

    def interrupted_change(self) -> _Applied | None:
        """An applied change a previous session left undecided: the journal's last change, applied
        by a task still RUNNING on disk that nobody runs now (the app quit with it applied)."""
        from tui.runbook.event_log import read
        from tui.workspace.journal import last_undoable_change

        change = last_undoable_change(self.workdir)
        if change is None or change.undoes is not None:
            return None
        for record in reversed(read(self.log.path)):
            details = record.get("details") or {}
            if record.get("event_type") == EventType.PATCH_APPLIED and details.get("change_id") == change.id:
                task_id = record.get("task_id")
                try:
                    running = self.task(task_id).status == "RUNNING"
                except PatchbayError:
                    return None
                return _Applied(task_id, change) if running else None
        return None

    def undo_last(self) -> str:
        """Undo the last applied change: the files exactly, and its commit when that is still safe.
        After a restart, the change a task left applied-but-undecided is undone from the journal."""
        if not self._applied:
            interrupted = self.interrupted_change()
            if interrupted is None:
                raise PatchbayError("there is no applied change to undo in this session")
            self._applied.append(interrupted)
        entry = self._applied[-1]
        changed = undo_blockers(self.workdir, entry.change.id)
        if changed:
            raise PatchbayError(
                f"cannot undo {entry.task_id}: {', '.join(changed)} changed after it was applied"
            )
        commit_note = ""
        if entry.commit_sha and self.git is not None:
            reason = self.git.undo_commit_blocker(entry.commit_sha)
            if reason:
                raise PatchbayError(f"cannot undo {entry.task_id}: {reason}")
            self.git.undo_commit(entry.commit_sha)
            commit_note = f" and its commit {entry.commit_sha[:8]}"
        undo(self.workdir, entry.change.id)
        self._applied.pop()
        self.log.append(entry.task_id, EventType.PATCH_UNDONE, details={"change_id": entry.change.id})
        self.write_status(entry.task_id, "READY", event=EventType.RESET_TASK)
        return f"undid the change of {entry.task_id} ({', '.join(entry.change.files)}){commit_note}"

    # -- careful writes (tui.session_writes) -------------------------------------------------------------
    def write_status(
        self, task_id: str, status: str, *, event: EventType | None, details: dict[str, Any] | None = None
    ) -> None:
        """Write the task's status, and the READY promotions (or demotions) of its dependents that
        it causes, in one careful write; then log and announce them."""
        session_writes.write_status(self, task_id, status, event=event, details=details)

    def dependents_of(self, task_id: str) -> list[Task]:
        """The tasks that depend on `task_id` directly (the map is made once per loaded runbook)."""
        runbook, known = self._dependents
        if runbook is not self.runbook:
            from tui.runbook.graph import dependents

            runbook = self.runbook
            known = dependents(runbook)
            self._dependents = (runbook, known)
        return [runbook.task(dependent) for dependent in known.get(task_id, ())]

    def sync_ready_statuses(self, among: Iterable[Task] | None = None) -> list[str]:
        """Write to the YAML what the graph shows: a PENDING task whose dependencies are all DONE or
        SKIPPED becomes READY there too (and a stored READY one that waits again goes back to
        PENDING), so a person or a script reading the file sees what is READY. `among`: only these
        tasks can have changed; None: every task. Returns the ids."""
        return session_writes.sync_ready_statuses(self, among)

    def set_last_run_outcome(self, task_id: str, outcome: str) -> None:
        """The run ended otherwise than its answer suggested (validation failed, an error): say so."""
        session_writes.set_last_run_outcome(self, task_id, outcome)

    def write_last_run(
        self, task_id: str, prompt: PreparedPrompt, text: str, final: FinalRecord | None, *, success: bool
    ) -> None:
        session_writes.write_last_run(self, task_id, prompt, text, final, success=success)

    def record_hunks(self, task_id: str, choice: HunkChoice) -> None:
        """Add which hunks went in (and which were left out) to the last_run the answer wrote."""
        session_writes.record_hunks(self, task_id, choice)

    def append_issue(self, task_id: str, kind: str, detail: str) -> None:
        session_writes.append_issue(self, task_id, kind, detail)

    def keep_answer(self, task_id: str, attempt: int, text: str) -> Path | None:
        """Keep every answer under <runbook>/outputs/ so nothing the model said is lost."""
        folder = self.runbook.folder / "outputs"
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", task_id) or "task"
        stamp = utc_timestamp().replace(":", "").replace("-", "")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{safe}.attempt{attempt}.{stamp}.md"
            write_atomically(path, text.encode("utf-8"))
        except OSError:
            return None
        return path
