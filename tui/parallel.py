"""Parallel tasks: which READY tasks may generate at once, and generating them in threads.

Only generation overlaps. Two tasks run together when neither can reach the other through
`depends_on` and their `files_to_modify` share no file, so their answers cannot conflict. Applies
and validations stay with the caller, one at a time (`Session.tree_lock`), so the working tree
only ever sees one change at a time. Streams beyond what the model's backend runs at once queue
inside `TaskRun.generate` (`Session.stream_slots`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from tui.errors import PatchbayError
from tui.runbook.graph import effective_status
from tui.runbook.models import Runbook, Task
from tui.runner import Answer, Phase, TaskRun

if TYPE_CHECKING:
    from tui.config import ModelSpec
    from tui.session import Session

AI_TYPE = "AI_ASSISTED"


def ancestors(runbook: Runbook) -> dict[str, set[str]]:
    """For each task id, every task it depends on, directly or not."""
    return {task.id: _ancestors_of(runbook, task) for task in runbook.tasks}


def _ancestors_of(runbook: Runbook, task: Task) -> set[str]:
    by_id = runbook.by_id
    reached: set[str] = set()
    stack = list(task.depends_on)
    while stack:
        current = stack.pop()
        if current in reached:
            continue
        reached.add(current)
        other = by_id.get(current)
        if other is not None:
            stack.extend(other.depends_on)
    return reached


def _files(task: Task) -> set[str]:
    # "./a.py" and "a.py" are the same file to the working tree.
    return {str(PurePosixPath(path)) for path in task.files_to_modify}


def pool_capacity(spec: ModelSpec) -> int | None:
    """How many streams a model serves at once, read from its configuration: an openai model's
    servers' `max_concurrent` added up (one `base_url` counts 1), 1 for in-process exllamav2, None
    for a replay transcript (it streams as many as it is asked for)."""
    from tui.config import OpenAISpec, ReplaySpec

    if isinstance(spec, ReplaySpec):
        return None
    if isinstance(spec, OpenAISpec):
        return sum(server.max_concurrent for server in spec.server_list())
    return 1


def parallel_limit(session: Session, requested: int | None) -> int:
    """How many tasks `p` generates at once: `--parallel N` when given, else the capacity of the
    model the next independent READY task uses."""
    if requested is not None:
        return requested
    first = independent_ready(session.runbook, 1)
    if not first:
        return 1
    try:
        capacity = pool_capacity(session.registry.get(session.model_name_for(first[0])))
    except PatchbayError:
        return 1  # an unknown model: the run itself says why
    return len(session.runbook.tasks) if capacity is None else max(1, capacity)


def independent_ready(runbook: Runbook, limit: int, *, exclude: Iterable[str] = ()) -> list[Task]:
    """Up to `limit` READY AI tasks in runbook order that may generate at the same time.

    Greedy in runbook order: a task joins when it has files_to_modify, none of them is claimed by
    a task already chosen, and no dependency path links it with one (in either direction). A task
    without files_to_modify could touch anything, so it only ever runs alone.
    """
    skipped = set(exclude)
    # Only the tasks that get this far need their ancestors: the whole map is quadratic on a long
    # chain, and the main screen asks this on every key to decide whether `p` is offered.
    reach: dict[str, set[str]] = {}

    def reached(task: Task) -> set[str]:
        if task.id not in reach:
            reach[task.id] = _ancestors_of(runbook, task)
        return reach[task.id]

    chosen: list[Task] = []
    claimed: set[str] = set()
    for task in runbook.tasks:
        if len(chosen) >= max(1, limit):
            break
        if task.id in skipped or task.type != AI_TYPE or effective_status(task) != "READY":
            continue
        files = _files(task)
        if not files:
            if not chosen:
                return [task]
            continue
        if files & claimed:
            continue
        if any(other.id in reached(task) or task.id in reached(other) for other in chosen):
            continue
        chosen.append(task)
        claimed |= files
    return chosen


@dataclass
class GenerationOutcome:
    """One task's generation in a parallel batch: its run, the answer, or why there is none."""

    run: TaskRun
    answer: Answer | None = None
    error: str | None = None  # a failure before the stream (budget, template, model load)

    @property
    def task_id(self) -> str:
        return self.run.task_id


@dataclass
class ParallelGeneration:
    """Prepare and generate several TaskRuns at once, one thread each; `cancel()` stops them all."""

    runs: list[TaskRun]
    on_chunk: Callable[[str, str], None] = lambda _task_id, _text: None
    on_done: Callable[[GenerationOutcome], None] = lambda _outcome: None
    outcomes: dict[str, GenerationOutcome] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._threads: list[threading.Thread] = []
        for run in self.runs:
            self.outcomes[run.task_id] = GenerationOutcome(run)

    def start(self) -> None:
        for run in self.runs:
            thread = threading.Thread(
                target=self._generate, args=(run,), name=f"patchbay-generate-{run.task_id}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def wait(self) -> list[GenerationOutcome]:
        """Block until every generation ended; the outcomes in the order the runs were given."""
        for thread in self._threads:
            while thread.is_alive():
                thread.join(0.1)  # short joins keep the main thread responsive to Ctrl-C
        return [self.outcomes[run.task_id] for run in self.runs]

    def run(self) -> list[GenerationOutcome]:
        self.start()
        return self.wait()

    def cancel(self) -> None:
        for run in self.runs:
            run.cancel()

    def _generate(self, run: TaskRun) -> None:
        outcome = self.outcomes[run.task_id]
        try:
            if run.phase is not Phase.PROMPTED:
                run.prepare()
            outcome.answer = run.generate(lambda text: self.on_chunk(run.task_id, text))
        except PatchbayError as exc:
            outcome.error = str(exc)
        except Exception as exc:  # a thread must report, never die silently
            outcome.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.on_done(outcome)
