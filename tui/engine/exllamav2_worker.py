"""The one thread that owns an ExLlamaV2 dynamic generator.

The generator has no locks: enqueue, iterate and cancel must all come from one thread
(reference/exllamav2.md §2.1). Streams hand work in through a queue and read results from their
own queue; the thread interleaves active jobs (batching when the generator allows it).
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.engine.base import Chunk


@dataclass
class GenerationWork:
    """One stream's job, built on the worker thread by `make_job(identifier)`."""

    make_job: Callable[[int], Any]
    cancel: threading.Event
    results: queue.Queue[object] = field(default_factory=queue.Queue)
    identifier: int = 0
    job: Any = None
    new_tokens: int = 0


@dataclass(frozen=True)
class WorkFailed:
    error: BaseException


@dataclass(frozen=True)
class WorkCancelled:
    new_tokens: int


@dataclass(frozen=True)
class WorkFinished:
    result: dict[str, Any]


_STOP = object()


class GeneratorThread:
    """Runs `make_generator()` and then every enqueue/iterate/cancel on a single daemon thread."""

    def __init__(self, make_generator: Callable[[], Any]) -> None:
        self._make_generator = make_generator
        self._inbox: queue.Queue[object] = queue.Queue()
        self._ready: queue.Queue[BaseException | None] = queue.Queue()
        self._serials = itertools.count(1)
        self.generator: Any = None
        self.thread = threading.Thread(target=self._run, name="patchbay-exllamav2", daemon=True)

    def start(self) -> None:
        """Start the thread and wait for the generator; its construction error is raised here."""
        self.thread.start()
        error = self._ready.get()
        if error is not None:
            self.thread.join(timeout=5)
            raise error

    def submit(self, work: GenerationWork) -> None:
        work.identifier = next(self._serials)
        self._inbox.put(work)

    def stop(self, timeout: float = 10.0) -> None:
        if self.thread.is_alive():
            self._inbox.put(_STOP)
            self.thread.join(timeout=timeout)

    def _run(self) -> None:
        try:
            self.generator = self._make_generator()
        except BaseException as exc:
            self._ready.put(exc)
            return
        self._ready.put(None)
        active: dict[int, GenerationWork] = {}
        stopping = False
        while not stopping or active:
            stopping = self._take_work(active, block=not active and not stopping) or stopping
            if stopping:
                for work in active.values():
                    work.cancel.set()
            self._cancel_requested(active)
            if active:
                self._step(active)

    def _take_work(self, active: dict[int, GenerationWork], block: bool) -> bool:
        """Enqueue everything waiting in the inbox; True when asked to stop."""
        stop = False
        while True:
            try:
                item = self._inbox.get(block=block)
            except queue.Empty:
                return stop
            block = False
            if item is _STOP:
                stop = True
                continue
            assert isinstance(item, GenerationWork)
            if item.cancel.is_set():
                item.results.put(WorkCancelled(0))
                continue
            try:
                item.job = item.make_job(item.identifier)
                self.generator.enqueue(item.job)
            except Exception as exc:
                item.results.put(WorkFailed(exc))
                continue
            active[item.identifier] = item

    def _cancel_requested(self, active: dict[int, GenerationWork]) -> None:
        for identifier, work in list(active.items()):
            if not work.cancel.is_set():
                continue
            del active[identifier]
            try:
                self.generator.cancel(work.job)
            except Exception as exc:
                work.results.put(WorkFailed(exc))
                continue
            work.results.put(WorkCancelled(work.new_tokens))

    def _step(self, active: dict[int, GenerationWork]) -> None:
        try:
            results = self.generator.iterate()
        except Exception as exc:
            # Like TabbyAPI: a failed iteration leaves the generator in doubt, so every live job
            # gets the error and the generator is rebuilt for the next request.
            for work in active.values():
                work.results.put(WorkFailed(exc))
            active.clear()
            try:
                self.generator = self._make_generator()
            except Exception:  # keeps the old one; the next request reports what happens then
                pass
            return
        for result in results:
            work = active.get(result.get("identifier"))  # type: ignore[arg-type]
            if work is None or result.get("stage") != "streaming":
                continue
            ids = result.get("token_ids")
            if ids is not None and hasattr(ids, "shape"):
                work.new_tokens += int(ids.shape[-1])
            text = result.get("text")
            if text:
                work.results.put(Chunk(text))
            if result.get("eos"):
                del active[work.identifier]
                work.results.put(WorkFinished(result))
