"""A pool of OpenAI-compatible servers serving one model, behind the one Backend interface.

Each stream goes to the server with the most free capacity (`max_concurrent` minus the streams
it has) and stays there. A server that refuses connections, times out, drops the stream or
answers 5xx leaves the rotation for a back-off (doubling while it keeps failing) and the answer
starts again on another server: the consumer gets a `Restart` item carrying the partial text, so
that text is logged and never reviewed. Configuration errors (401, 404 for the model, a bad
request) end the stream at once, as with one server. Spreading, back-off and failover: nothing
more (a fleet belongs behind a router, README "Beyond one box").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tui.engine.base import (
    Backend,
    ChatMessage,
    Chunk,
    EngineError,
    FinalRecord,
    GenerationRequest,
    ProgressCallback,
    Restart,
    StreamItem,
    TokenCount,
    estimate_message_tokens,
)
from tui.engine.openai_compat import OpenAICompatBackend, ServerUnavailable
from tui.plural import counted

# A server failing again and again waits at most this many back-off periods between tries.
_MAX_BACKOFF_FACTOR = 8


@dataclass(frozen=True)
class ServerStatus:
    """One server of a pool at one moment."""

    base_url: str
    max_concurrent: int
    streams: int  # running on it now
    up: bool  # in rotation
    retry_in: float | None  # seconds until it is back in rotation; None when up
    last_error: str | None  # why it left the rotation last


@dataclass(frozen=True)
class PoolSnapshot:
    """A pool's servers at one moment, for a status line."""

    servers: tuple[ServerStatus, ...]

    @property
    def up(self) -> int:
        return sum(1 for server in self.servers if server.up)

    @property
    def total(self) -> int:
        return len(self.servers)

    @property
    def streams(self) -> int:
        return sum(server.streams for server in self.servers)

    def label(self) -> str:
        """E.g. "servers 2/3 up · streams 1+2+0"."""
        per_server = "+".join(str(server.streams) for server in self.servers)
        return f"servers {self.up}/{self.total} up · streams {per_server}"


class _Server:
    """A pool member: its backend and the pool's bookkeeping about it (guarded by the pool's lock)."""

    def __init__(self, backend: OpenAICompatBackend, max_concurrent: int) -> None:
        self.backend = backend
        self.max_concurrent = max_concurrent
        self.streams = 0
        self.failures = 0  # in a row
        self.down_until = 0.0  # monotonic time it comes back into rotation
        self.last_error: str | None = None
        self.last_given = 0  # a counter value: ties go to the server given a stream longest ago

    @property
    def base_url(self) -> str:
        return self.backend.base_url


class PoolBackend(Backend):
    name = "openai-pool"

    def __init__(
        self,
        servers: list[tuple[OpenAICompatBackend, int]],
        *,
        model: str,
        backoff: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        if not servers:
            raise ValueError("a pool needs at least one server")
        self.model = model
        self.backoff = backoff
        self._clock = clock
        self._servers = [_Server(backend, limit) for backend, limit in servers]
        for server in self._servers:
            server.backend.generation_timeout = None  # the pool's own deadline covers every attempt
        self._state = threading.Condition()
        self._given = 0
        # Our cancel flag -> (the server streaming it now, that attempt's own flag).
        self._attempts: dict[threading.Event, tuple[_Server, threading.Event]] = {}

    # -- what the rest of Patchbay asks -----------------------------------------------------------------

    def describe(self) -> str:
        return f"openai pool of {counted(len(self._servers), 'server')} ({self.model})"

    def max_concurrent_streams(self) -> int:
        return sum(server.max_concurrent for server in self._servers)

    def snapshot(self) -> PoolSnapshot:
        now = self._clock()
        with self._state:
            return PoolSnapshot(
                tuple(
                    ServerStatus(
                        base_url=server.base_url,
                        max_concurrent=server.max_concurrent,
                        streams=server.streams,
                        up=server.down_until <= now,
                        retry_in=None if server.down_until <= now else server.down_until - now,
                        last_error=server.last_error,
                    )
                    for server in self._servers
                )
            )

    def load(self, progress: ProgressCallback | None = None) -> None:
        """Contact every server: a configuration error stops at once; an unreachable server leaves
        the rotation; it fails only when none answers."""
        from tui.engine.base import LoadProgress

        total = len(self._servers)
        failures: list[str] = []
        for step, server in enumerate(self._servers):
            if progress:
                progress(LoadProgress(step, total, f"contacting {server.base_url}"))
            try:
                server.backend.load()
            except ServerUnavailable as exc:
                self._mark_failed(server, str(exc))
                failures.append(str(exc))
        if len(failures) == total:
            raise EngineError(f"no server of the pool answers: {failures[0]}" + _and_more(failures))
        if progress:
            progress(
                LoadProgress(
                    total,
                    total,
                    f"{total - len(failures)} of {counted(total, 'server')} answer{'s' if total == 1 else ''}",
                )
            )

    def count_tokens(self, messages: list[ChatMessage]) -> TokenCount:
        server = self._first_up()
        return server.backend.count_tokens(messages) if server else estimate_message_tokens(messages)

    def max_context(self) -> int | None:
        for server in self._servers_up_first():
            found = server.backend.max_context()
            if found is not None:
                return found
        return None

    def close(self) -> None:
        self.cancel()
        for server in self._servers:
            server.backend.close()

    # -- streaming --------------------------------------------------------------------------------------

    def _generate(self, request: GenerationRequest, cancel: threading.Event) -> Iterator[StreamItem]:
        tried: list[_Server] = []
        failures: list[str] = []
        while True:
            server = self._take(tried, failures, cancel)
            if server is None:  # cancelled while waiting for a server
                yield FinalRecord("cancelled", 0, 0, None, None, True)
                return
            tried.append(server)
            attempt = threading.Event()
            with self._state:
                self._attempts[cancel] = (server, attempt)
            if cancel.is_set():
                attempt.set()
            partial: list[str] = []
            items = server.backend.stream(request, attempt)
            try:
                for item in items:
                    if isinstance(item, Chunk):
                        partial.append(item.text)
                    yield item
                self._mark_served(server)
                return
            except ServerUnavailable as exc:
                self._mark_failed(server, str(exc))
                failures.append(str(exc))
                if cancel.is_set():
                    yield FinalRecord("cancelled", 0, 0, None, None, True)
                    return
                yield Restart(failed_server=server.base_url, reason=str(exc), partial="".join(partial))
            finally:
                items.close()  # type: ignore[attr-defined] - a generator; its socket closes now
                with self._state:
                    self._attempts.pop(cancel, None)
                    server.streams -= 1
                    self._state.notify_all()

    def _take(self, tried: list[_Server], failures: list[str], cancel: threading.Event) -> _Server | None:
        """The server for the next attempt, its stream counted: the one with the most free capacity
        among those this answer has not tried. Waits while those in rotation are busy; fails when
        none is in rotation."""
        with self._state:
            while not cancel.is_set():
                candidates = [server for server in self._servers if server not in tried]
                if not candidates:
                    raise EngineError(
                        f"every server of the pool failed this answer: {failures[-1]}" + _and_more(failures)
                    )
                now = self._clock()
                free = [
                    server
                    for server in candidates
                    if server.down_until <= now and server.streams < server.max_concurrent
                ]
                if free:
                    chosen = max(
                        free, key=lambda server: (server.max_concurrent - server.streams, -server.last_given)
                    )
                    self._given += 1
                    chosen.last_given = self._given
                    chosen.streams += 1
                    return chosen
                if all(server.down_until > now for server in candidates):
                    # Waiting out a back-off would look like a hang; the task can be run again.
                    first = min(candidates, key=lambda server: server.down_until)
                    raise EngineError(
                        f"every server of the pool this answer has not tried is out of rotation after "
                        f"failing ({first.base_url}: {first.last_error}); the first is back in "
                        f"{first.down_until - now:.0f} s"
                    )
                resting = [server.down_until - now for server in candidates if server.down_until > now]
                # A stream ending (or a cancel) wakes us, or a resting server coming back.
                self._state.wait(timeout=min(resting) if resting else None)
            return None

    def _on_cancel(self, cancel: threading.Event) -> None:
        with self._state:
            attempt = self._attempts.get(cancel)
            self._state.notify_all()  # a stream waiting for a server sees its flag
        if attempt is not None:
            server, flag = attempt
            server.backend.cancel_stream(flag)

    # -- rotation ---------------------------------------------------------------------------------------

    def _mark_failed(self, server: _Server, reason: str) -> None:
        with self._state:
            server.failures += 1
            factor = min(2 ** (server.failures - 1), _MAX_BACKOFF_FACTOR)
            server.down_until = self._clock() + self.backoff * factor
            server.last_error = reason
            self._state.notify_all()

    def _mark_served(self, server: _Server) -> None:
        with self._state:
            server.failures = 0

    def _servers_up_first(self) -> list[_Server]:
        now = self._clock()
        with self._state:
            return sorted(self._servers, key=lambda server: server.down_until > now)

    def _first_up(self) -> _Server | None:
        now = self._clock()
        with self._state:
            return next((server for server in self._servers if server.down_until <= now), None)


def _and_more(failures: list[str]) -> str:
    others = len(failures) - 1
    return f" (and {others} other server{'s' if others > 1 else ''} failed too)" if others > 0 else ""


def pool_snapshot(backend: Backend) -> PoolSnapshot | None:
    """The pool's figures when `backend` is a pool (for the status line); None for one server."""
    return backend.snapshot() if isinstance(backend, PoolBackend) else None
