"""The shared interface: estimates, and the async bridge that keeps the event loop free."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from tui.engine.base import (
    Backend,
    ChatMessage,
    Chunk,
    EngineError,
    FinalRecord,
    GenerationRequest,
    TokenCount,
    astream,
    estimate_message_tokens,
    estimate_text_tokens,
)


class ScriptedBackend(Backend):
    """A plain Backend subclass whose stream blocks on events the test controls."""

    name = "scripted"

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__()
        self.fail_after = fail_after
        self.release = threading.Event()
        self.stream_thread: int | None = None
        self.cancelled = threading.Event()

    def describe(self) -> str:
        return "scripted"

    def count_tokens(self, messages):
        return TokenCount(0, exact=True)

    def _generate(self, request, cancel) -> Iterator:
        self.stream_thread = threading.get_ident()
        for index in range(3):
            if self.fail_after == index:
                raise EngineError("the scripted model broke")
            yield Chunk(f"c{index}")
            self.release.wait(5)  # blocks like a model waiting on the GPU
            if cancel.is_set():
                self.cancelled.set()
                yield FinalRecord("cancelled", 1, index + 1, None, None, False)
                return
        yield FinalRecord("stop", 1, 3, 0.1, 30.0, False)


def test_estimates_are_labelled_and_roughly_chars_over_3_6():
    assert estimate_text_tokens("x" * 36) == 10
    count = estimate_message_tokens([ChatMessage("user", "x" * 36)])
    assert count.exact is False and count.count > 10 and str(count) == f"~{count.count}"


async def test_astream_runs_the_stream_off_the_loop_thread():
    backend = ScriptedBackend()
    backend.release.set()
    items = [item async for item in astream(backend, GenerationRequest([]))]
    assert [i.text for i in items[:-1]] == ["c0", "c1", "c2"]
    assert items[-1].finish_reason == "stop"
    assert backend.stream_thread != threading.get_ident()


async def test_the_loop_keeps_running_while_the_stream_blocks():
    backend = ScriptedBackend()
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    tick_task = asyncio.create_task(ticker())
    stream = astream(backend, GenerationRequest([]))
    assert await stream.__anext__() == Chunk("c0")
    before = ticks
    await asyncio.sleep(0.05)  # the backend is blocked on `release` all this time
    assert ticks > before
    backend.release.set()
    rest = [item async for item in stream]
    assert rest[-1].finish_reason == "stop"
    tick_task.cancel()


async def test_cancelling_the_consumer_cancels_the_backend():
    backend = ScriptedBackend()

    async def consume():
        async for _ in astream(backend, GenerationRequest([])):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    backend.release.set()
    assert await asyncio.to_thread(backend.cancelled.wait, 5)


async def test_errors_reach_the_consumer_after_the_partial_text():
    backend = ScriptedBackend(fail_after=1)
    backend.release.set()
    seen = []
    with pytest.raises(EngineError, match="the scripted model broke"):
        async for item in astream(backend, GenerationRequest([])):
            seen.append(item)
    assert seen == [Chunk("c0")]
