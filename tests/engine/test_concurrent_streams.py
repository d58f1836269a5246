"""Several streams at once on one backend: replay, a real loopback OpenAI-compatible server, and the
ExLlamaV2 adapter against its STAND-IN (several jobs in the one generator thread)."""

from __future__ import annotations

import threading
from pathlib import Path

from tui.engine.base import (
    ChatMessage,
    Chunk,
    FinalRecord,
    GenerationRequest,
    GenerationSettings,
)
from tui.engine.exllamav2_backend import ExLlamaV2Backend
from tui.engine.openai_compat import OpenAICompatBackend
from tui.engine.replay import ReplayBackend

from .fake_openai_server import FakeOpenAIServer, content_event, sse
from .test_exllamav2_backend import MESSAGES, model_dir, state  # noqa: F401 - fixtures

TASKS = ["alpha", "beta", "gamma", "delta"]


def collect(items) -> tuple[str, FinalRecord]:
    texts, final = [], None
    for item in items:
        if isinstance(item, Chunk):
            texts.append(item.text)
        else:
            final = item
    assert final is not None
    return "".join(texts), final


def in_threads(jobs: dict[str, object]) -> dict[str, tuple[str, FinalRecord]]:
    """Consume every stream in its own thread, all started together."""
    results: dict[str, tuple[str, FinalRecord]] = {}
    start = threading.Barrier(len(jobs))

    def consume(name: str, make) -> None:
        start.wait()
        results[name] = collect(make())

    threads = [threading.Thread(target=consume, args=item) for item in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def transcript(tmp_path: Path) -> Path:
    answers = "".join(
        f'  - task: {task}\n    text: "{task} says {" ".join([task] * 20)}"\n' for task in TASKS
    )
    path = tmp_path / "replay.yaml"
    path.write_text(f"rate: 400\nanswers:\n{answers}")
    return path


def test_replay_gives_each_concurrent_stream_its_own_answer(tmp_path):
    backend = ReplayBackend(transcript(tmp_path))
    assert backend.max_concurrent_streams() > 1
    results = in_threads(
        {task: (lambda task=task: backend.stream(GenerationRequest([], task_id=task))) for task in TASKS}
    )
    for task in TASKS:
        text, final = results[task]
        assert text == f"{task} says {' '.join([task] * 20)}"
        assert final.finish_reason == "stop" and final.new_tokens == 22


def test_replay_cancelling_one_stream_leaves_the_others_running(tmp_path):
    backend = ReplayBackend(transcript(tmp_path), rate=50)
    flags = {task: threading.Event() for task in TASKS[:2]}
    streams = {task: backend.stream(GenerationRequest([], task_id=task), flags[task]) for task in flags}
    first = next(streams["alpha"])
    backend.cancel_stream(flags["alpha"])
    _, alpha_final = collect(streams["alpha"])
    beta_text, beta_final = collect(streams["beta"])
    assert isinstance(first, Chunk) and alpha_final.finish_reason == "cancelled"
    assert beta_final.finish_reason == "stop" and beta_text.startswith("beta says")


def per_task_frames(body: dict) -> list[bytes]:
    """The fake server answers each request with the task named in its prompt, in three slow frames."""
    task = body["messages"][-1]["content"]
    return sse(
        [content_event(f"{task} "), content_event("is "), content_event("done", "stop"), "data: [DONE]\n\n"]
    )


def test_a_loopback_server_answers_several_streams_at_once():
    with FakeOpenAIServer() as server:
        server.script.chat.frames_for = per_task_frames
        server.script.chat.delay = 0.05
        backend = OpenAICompatBackend(server.base_url, "m", include_usage=False)
        assert backend.max_concurrent_streams() >= len(TASKS)
        results = in_threads(
            {
                task: (lambda task=task: backend.stream(GenerationRequest([ChatMessage("user", task)])))
                for task in TASKS
            }
        )
        peak = server.script.peak_streaming
        backend.close()
    assert {task: results[task][0] for task in TASKS} == {task: f"{task} is done" for task in TASKS}
    assert all(results[task][1].finish_reason == "stop" for task in TASKS)
    assert peak >= 2  # the server had streams open side by side, not one after another


def test_cancelling_one_server_stream_closes_only_its_connection():
    with FakeOpenAIServer() as server:
        server.script.chat.frames_for = lambda body: sse(
            [content_event(f"{body['messages'][-1]['content']} ")] * 40 + ["data: [DONE]\n\n"]
        )
        server.script.chat.delay = 0.02
        backend = OpenAICompatBackend(server.base_url, "m", include_usage=False)
        flags = {task: threading.Event() for task in ("keep", "drop")}
        streams = {
            task: backend.stream(GenerationRequest([ChatMessage("user", task)]), flags[task])
            for task in flags
        }
        assert next(streams["drop"]) == Chunk("drop ")
        assert next(streams["keep"]) == Chunk("keep ")
        backend.cancel_stream(flags["drop"])
        dropped_text, dropped = collect(streams["drop"])
        kept_text, kept = collect(streams["keep"])
        backend.close()
    assert dropped.finish_reason == "cancelled" and dropped_text.count("drop") < 39
    assert kept.finish_reason == "stop" and kept_text == "keep " * 39


def test_exllamav2_paged_batches_jobs_in_its_one_generator_thread(state, model_dir, monkeypatch):  # noqa: F811
    import threading

    from .standin_exllamav2 import attn as standin_attn

    state.flash_attn_version = "2.6.3"  # and the stand-in's GPU is an Ampere card
    standin_attn.detect()
    state.script = ["la"]
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, max_batch_size=4)
    assert backend.max_concurrent_streams() == 1  # not loaded yet: nothing is known
    backend.load()
    assert backend.max_concurrent_streams() == 4
    submitted = threading.Semaphore(0)
    submit = backend._worker.submit
    monkeypatch.setattr(backend._worker, "submit", lambda work: (submit(work), submitted.release()))
    state.forward_pass_may_end.clear()  # the first pass waits until both jobs are queued
    settings = GenerationSettings(max_new_tokens=30)
    results: dict[str, tuple[str, object]] = {}

    def consume(name: str) -> None:
        results[name] = collect(backend.stream(GenerationRequest(MESSAGES, settings)))

    threads = [threading.Thread(target=consume, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    submitted.acquire()
    submitted.acquire()
    state.forward_pass_may_end.set()
    for thread in threads:
        thread.join()
    backend.close()
    for text, final in results.values():
        assert final.new_tokens == 30 and text == "la" * 30  # each job's own tokens
    assert max(d["active"] for what, d in state.calls if what == "generator.scheduled") == 2
    assert len(state.generators) == 1
    identifiers = [details["job"].identifier for what, details in state.calls if what == "generator.enqueue"]
    assert len(set(identifiers)) == 2


def test_exllamav2_unpaged_takes_one_stream_at_a_time(state, model_dir):  # noqa: F811
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, max_batch_size=4)
    backend.load()
    assert backend.max_concurrent_streams() == 1
    backend.close()
