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

    def new_tokens(self) -> int:
        """Tokens generated so far, from the job itself: results carry no `token_ids` while text is
        held back or at a stop-token end (generator/dynamic.py emit)."""
        # max(): the count starts at -1 when token healing is on
        return max(0, int(self.job.new_tokens)) if self.job is not None else 0


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
        self._exit_lock = threading.Lock()
        self._finished = False
        self._on_exit: Callable[[], None] | None = None
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

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the thread to cancel its jobs and end; True when it ended within `timeout`."""
        if self.thread.is_alive():
            self._inbox.put(_STOP)
            self.thread.join(timeout=timeout)
        return not self.thread.is_alive()

    def finish_with(self, callback: Callable[[], None]) -> bool:
        """Have the thread run `callback` as its last act; False when it has already ended (then
        the caller runs it). Freeing the model under a forward pass that is still running would
        crash it, so a thread that outlives `stop()` unloads the model itself."""
        with self._exit_lock:
            if self._finished:
                return False
            self._on_exit = callback
            return True

    def _run(self) -> None:
        try:
            self._serve()
        finally:
            with self._exit_lock:
                self._finished = True
                callback, self._on_exit = self._on_exit, None
            if callback is not None:
                callback()

    def _serve(self) -> None:
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
            work.results.put(WorkCancelled(work.new_tokens()))

    def _step(self, active: dict[int, GenerationWork]) -> None:
        try:
            results = self.generator.iterate()
        except Exception as exc:
            # Like TabbyAPI: a failed iteration leaves the generator in doubt, so every live job
            # gets the error and the generator is rebuilt for the next request.
            for work in active.values():
                work.results.put(WorkFailed(exc))
            active.clear()
            # Empty the old generator first: should the rebuild fail, it is kept, and its failed
            # jobs must not go on holding cache pages or running.
            try:
                self.generator.clear_queue()
            except Exception:
                pass
            try:
                self.generator = self._make_generator()
            except Exception:  # keeps the (now empty) old one; the next request reports what happens
                pass
            return
        for result in results:
            work = active.get(result.get("identifier"))  # type: ignore[arg-type]
            # "started" and "prefill" results carry no text
            if work is None or result.get("stage") != "streaming":
                continue
            text = result.get("text")
            if text:
                work.results.put(Chunk(text))
            if result.get("eos"):
                held = held_answer_text(result)
                if held:
                    work.results.put(Chunk(held))
                del active[work.identifier]
                work.results.put(WorkFinished(result))


def held_answer_text(result: dict[str, Any]) -> str:
    """Text the generator held back and never emitted because a stop token ended the job.

    Text is held while it might begin a stop string or ends in half a character; at a stop-token
    end the library leaves it in `held` only (on other ends it is flushed into `text`). It is part
    of the answer the model wrote, so it is shown, less any half-decoded character. (The end
    token itself adds nothing: special tokens decode to "" without decode_special_tokens.)"""
    if result.get("eos_reason") != "stop_token":
        return ""
    return str((result.get("held") or {}).get("text") or "").rstrip("\ufffd")
