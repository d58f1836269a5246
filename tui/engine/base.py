"""The one streaming interface every model backend speaks, and an async bridge to it.

A backend streams blocking: `stream(request)` yields `Chunk`s and ends with exactly one
`FinalRecord`. Errors raise `EngineError` (one sentence); whatever text was yielded before the
error stays with the consumer. `cancel()` may come from any thread and ends the current stream
with finish_reason "cancelled". Every stream has an overall deadline (`generation_timeout`, per
model): a server that keeps the connection alive with pings, or a model that never stops, ends
in an EngineError after it, the text so far kept.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Literal

from tui.errors import PatchbayError

FinishReason = Literal["stop", "length", "cancelled", "error"]


class EngineError(PatchbayError):
    """A model backend failed; the message is one sentence with advice where there is some."""


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = 1024
    temperature: float = 0.2
    top_p: float = 0.95
    stop: list[str] = field(default_factory=list)
    seed: int | None = None


@dataclass(frozen=True)
class GenerationRequest:
    messages: list[ChatMessage]
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    task_id: str = ""
    attempt: int = 1


@dataclass(frozen=True)
class LoadProgress:
    step: int
    total: int
    message: str


@dataclass(frozen=True)
class TokenCount:
    count: int
    exact: bool  # False: an estimate, to be shown as such ("~1,200 tokens")

    def __str__(self) -> str:
        return f"{self.count}" if self.exact else f"~{self.count}"


@dataclass(frozen=True)
class Chunk:
    text: str


@dataclass(frozen=True)
class FinalRecord:
    finish_reason: FinishReason
    prompt_tokens: int
    new_tokens: int
    time_to_first_token: float | None
    tokens_per_second: float | None
    tokens_estimated: bool


@dataclass(frozen=True)
class Restart:
    """The server streaming this answer failed and the answer starts again on another one (a
    pool's failover): the text streamed so far is a partial answer to keep in the log, never to
    review or apply. The chunks that follow are the whole new answer."""

    failed_server: str
    reason: str  # one sentence: why that server failed
    partial: str  # what it had sent


StreamItem = Chunk | FinalRecord | Restart
ProgressCallback = Callable[[LoadProgress], None]

# Code and English prose with BPE tokenizers of the Llama-3 / Qwen2.5 families run at about
# 3.3-4.2 characters per token; 3.6 sits in the middle and errs towards over-counting, which is
# the safe side for a context budget.
CHARS_PER_TOKEN_ESTIMATE = 3.6
# Role markers and separators that chat templates add around each message.
TEMPLATE_TOKENS_PER_MESSAGE = 4
# Ten minutes: a long answer (4,096 tokens) from a slow local model (10 tokens/s) fits with room
# for reading a long prompt; a stream still going after that is stuck or runaway.
DEFAULT_GENERATION_TIMEOUT = 600.0


def estimate_text_tokens(text: str) -> int:
    """A labelled estimate of the tokens in `text` (never exact; see CHARS_PER_TOKEN_ESTIMATE)."""
    if not text:
        return 0
    return max(1, round(len(text) / CHARS_PER_TOKEN_ESTIMATE))


def estimate_message_tokens(messages: list[ChatMessage]) -> TokenCount:
    """An estimate for a chat prompt: the text plus a few template tokens per message."""
    total = sum(estimate_text_tokens(m.content) + TEMPLATE_TOKENS_PER_MESSAGE for m in messages)
    return TokenCount(total + 3 if messages else 0, exact=False)  # + the assistant header


class Backend(abc.ABC):
    """A model that streams chat answers. Subclasses implement `_generate`."""

    name: str = "backend"

    def __init__(self) -> None:
        self._cancel_lock = threading.Lock()
        self._active_cancels: set[threading.Event] = set()
        # Seconds one stream may take from its first request to its last token; None: no limit.
        self.generation_timeout: float | None = DEFAULT_GENERATION_TIMEOUT

    @abc.abstractmethod
    def describe(self) -> str:
        """One line for the status bar, e.g. "openai @ http://127.0.0.1:5000/v1 (Qwen2.5-Coder-7B)"."""

    def load(self, progress: ProgressCallback | None = None) -> None:  # noqa: B027 - optional hook
        """Get ready to generate (blocking). Servers need nothing here."""

    @abc.abstractmethod
    def count_tokens(self, messages: list[ChatMessage]) -> TokenCount: ...

    def max_context(self) -> int | None:
        return None

    def max_concurrent_streams(self) -> int:
        """How many streams may run at once; callers queue the rest (a safe 1 unless a backend knows)."""
        return 1

    def stream(
        self, request: GenerationRequest, cancel: threading.Event | None = None
    ) -> Iterator[StreamItem]:
        """Start a generation. The cancel flag belongs to this call, so a `cancel()` made any time
        after `stream()` returns reaches it, and a late `cancel()` can never hit a later stream.
        Pass `cancel` to be able to end this stream alone with `cancel_stream(cancel)` while
        others run."""
        cancel = cancel if cancel is not None else threading.Event()
        with self._cancel_lock:
            self._active_cancels.add(cancel)
        return self._guarded(self._generate(request, cancel), cancel)

    def _guarded(
        self, items: Generator[StreamItem, None, None], cancel: threading.Event
    ) -> Iterator[StreamItem]:
        expired = threading.Event()
        timer = None
        if self.generation_timeout is not None:
            timer = threading.Timer(self.generation_timeout, self._expire, args=(cancel, expired))
            timer.daemon = True
            timer.start()
        try:
            for item in items:
                if expired.is_set():
                    break
                yield item
        except EngineError:
            if not expired.is_set():
                raise  # a backend may fail its own way once cancelled; the deadline explains it
        finally:
            if timer is not None:
                timer.cancel()
            # A consumer that walks away mid-stream has cancelled it.
            cancel.set()
            with self._cancel_lock:
                self._active_cancels.discard(cancel)
            items.close()  # now, not when collected: a backend's cleanup (its socket) runs here
        if expired.is_set():
            raise EngineError(
                f"the answer was stopped after {self.generation_timeout:g} s, the model's generation "
                "deadline (raise generation_timeout in its config if answers need longer)"
            )

    def _expire(self, cancel: threading.Event, expired: threading.Event) -> None:
        expired.set()
        self.cancel_stream(cancel)

    @abc.abstractmethod
    def _generate(self, request: GenerationRequest, cancel: threading.Event) -> Iterator[StreamItem]:
        """Yield chunks then one FinalRecord; stop soon after `cancel` is set."""

    def cancel(self) -> None:
        """End every running stream with finish_reason "cancelled" (thread-safe; no-op when idle)."""
        with self._cancel_lock:
            running = list(self._active_cancels)
        for cancel in running:
            self.cancel_stream(cancel)

    def cancel_stream(self, cancel: threading.Event) -> None:
        """End the one stream started with this `cancel` flag (thread-safe; no-op once it ended)."""
        cancel.set()
        with self._cancel_lock:
            running = cancel in self._active_cancels
        if running:
            self._on_cancel(cancel)

    def _on_cancel(self, cancel: threading.Event) -> None:  # noqa: B027 - optional hook
        """Wake the blocked stream of `cancel` (e.g. close its socket); called from the cancelling thread."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Free resources (connections, GPU memory)."""


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()


async def astream(backend: Backend, request: GenerationRequest) -> AsyncIterator[StreamItem]:
    """Consume `backend.stream` from an event loop without blocking it.

    The blocking stream runs in its own thread and hands items over with call_soon_threadsafe.
    Cancelling (or closing) the async consumer cancels the backend.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    cancel = threading.Event()
    items = backend.stream(request, cancel)  # here, so a cancel from now on reaches this stream

    def hand_over(item: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed while we were streaming
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def pump() -> None:
        try:
            for item in items:
                hand_over(item)
        except BaseException as exc:
            hand_over(_Failed(exc))
        finally:
            hand_over(_END)

    thread = threading.Thread(target=pump, name=f"patchbay-stream-{backend.name}", daemon=True)
    thread.start()
    finished = False
    try:
        while True:
            item = await queue.get()
            if item is _END:
                finished = True
                return
            if isinstance(item, _Failed):
                finished = True
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        if not finished:
            backend.cancel_stream(cancel)  # only ours: other streams may share the backend
