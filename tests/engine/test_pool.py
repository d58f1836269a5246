"""A pool of OpenAI-compatible servers: spreading by free capacity, back-off and failover, and
configuration errors that stop at once. Real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import pytest

from tui.config import OpenAISpec
from tui.engine.base import ChatMessage, Chunk, EngineError, FinalRecord, GenerationRequest, Restart
from tui.engine.pool import PoolBackend
from tui.engine.registry import create_backend

from .fake_openai_server import FakeOpenAIServer, content_event, sse

ANSWER = ["one ", "two ", "three ", "four"]


def answer_frames() -> list[bytes]:
    return sse([content_event(word) for word in ANSWER] + [content_event(finish="stop"), "data: [DONE]\n\n"])


def request(task: str = "t") -> GenerationRequest:
    return GenerationRequest(messages=[ChatMessage("user", f"do {task}")], task_id=task)


class Clock:
    """A hand-set clock for back-off periods (the pool's only notion of time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pool_of(
    servers: list[FakeOpenAIServer], limits: list[int] | None = None, clock: Clock | None = None, **kwargs
) -> PoolBackend:
    spec = OpenAISpec(
        backend="openai",
        model="coder",
        servers=[
            {"base_url": server.base_url, "max_concurrent": limit}
            for server, limit in zip(servers, limits or [1] * len(servers), strict=True)
        ],
        read_timeout=5,
        **kwargs,
    )
    backend = create_backend(spec)
    assert isinstance(backend, PoolBackend)
    if clock is not None:
        backend._clock = clock
    return backend


def consume(items) -> tuple[list[object], str]:
    got = list(items)
    text = "".join(item.text for item in got if isinstance(item, Chunk))
    return got, text


@pytest.fixture
def three():
    with ExitStack() as stack:
        servers = [stack.enter_context(FakeOpenAIServer()) for _ in range(3)]
        for server in servers:
            server.script.chat.frames = answer_frames()
        yield servers


def chats(server: FakeOpenAIServer) -> int:
    return sum(1 for method, path, *_ in server.script.requests if path == "/v1/chat/completions")


def test_a_single_base_url_stays_one_server_and_servers_make_a_pool(three):
    one = create_backend(OpenAISpec(backend="openai", model="m", base_url=three[0].base_url))
    assert not isinstance(one, PoolBackend) and one.max_concurrent_streams() == 16
    pool = pool_of(three, [2, 1, 4])
    assert pool.max_concurrent_streams() == 7
    assert pool.snapshot().label() == "servers 3/3 up · streams 0+0+0"


def test_streams_go_to_the_server_with_the_most_free_capacity(three):
    # Hold streams open with a gate so the pool's choices can be seen while they run.
    gate = threading.Event()
    for server in three:
        server.script.chat.frames_for = lambda _body: gated(gate)
    pool = pool_of(three, [1, 2, 1])
    streams = [pool.stream(request(str(i))) for i in range(4)]
    firsts = [next(iter(stream)) for stream in streams]  # each is running once its first chunk is in
    assert all(isinstance(item, Chunk) for item in firsts)
    assert [status.streams for status in pool.snapshot().servers] == [1, 2, 1]
    assert [s.script.peak_streaming for s in three] == [1, 2, 1]
    gate.set()
    for stream in streams:
        list(stream)
    assert pool.snapshot().streams == 0


def gated(gate: threading.Event):
    """The first word, then the rest of the answer once `gate` is set (a stream held open)."""
    frames = answer_frames()
    yield frames[0]
    gate.wait(10)
    yield from frames[1:]


def test_a_stream_waits_for_free_capacity_instead_of_overfilling_a_server(three):
    gate = threading.Event()
    server = three[0]
    server.script.chat.frames_for = lambda _body: gated(gate)
    pool = pool_of([server], [1])
    first = pool.stream(request("a"))
    assert isinstance(next(iter(first)), Chunk)
    finished = threading.Event()
    texts: list[str] = []

    def second() -> None:
        texts.append(consume(pool.stream(request("b")))[1])
        finished.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not finished.wait(0.3)  # queued behind the first stream
    gate.set()
    list(first)
    thread.join(10)
    assert texts == ["one two three four"] and server.script.peak_streaming == 1


def test_a_dropped_stream_restarts_on_another_server_and_carries_the_partial_answer(three):
    dropping, healthy = three[0], three[1]
    dropping.script.chat.drop_after = 2  # two words, then the connection closes mid-answer
    clock = Clock()
    pool = pool_of([dropping, healthy], clock=clock)
    items, text = consume(pool.stream(request()))
    restarts = [item for item in items if isinstance(item, Restart)]
    assert len(restarts) == 1 and text == "one two " + "one two three four"
    assert restarts[0].failed_server == dropping.base_url and restarts[0].partial == "one two "
    assert "dropped" in restarts[0].reason or "closed before" in restarts[0].reason
    # The chunks after the restart are the whole answer from the healthy server.
    after = items[items.index(restarts[0]) + 1 :]
    assert "".join(i.text for i in after if isinstance(i, Chunk)) == "one two three four"
    assert isinstance(items[-1], FinalRecord) and items[-1].finish_reason == "stop"
    status = pool.snapshot().servers
    assert not status[0].up and status[0].retry_in == pytest.approx(30) and status[1].up
    assert pool.snapshot().label() == "servers 1/2 up · streams 0+0"


def test_a_server_out_of_rotation_gets_no_streams_until_its_back_off_ends(three):
    dropping, healthy = three[0], three[1]
    dropping.script.chat.drop_after = 1
    clock = Clock()
    pool = pool_of([dropping, healthy], backoff=10, clock=clock)
    consume(pool.stream(request()))
    assert chats(dropping) == 1
    for _ in range(3):
        assert not any(isinstance(i, Restart) for i in consume(pool.stream(request()))[0])
    assert chats(dropping) == 1 and chats(healthy) == 4
    clock.now += 10.5  # back in rotation: it is tried again, fails again, and rests twice as long
    consume(pool.stream(request()))
    assert chats(dropping) == 2
    assert pool.snapshot().servers[0].retry_in == pytest.approx(20)


def test_a_5xx_and_a_refused_connection_fail_over_too(three):
    broken, healthy = three[0], three[1]
    broken.script.chat.status = 503
    broken.script.chat.error_body = b'{"error": {"message": "overloaded"}}'
    refusing = FakeOpenAIServer()  # bound, then closed: its port refuses connections
    refusing.httpd.server_close()
    pool = pool_of([broken, refusing, healthy])
    items, _ = consume(pool.stream(request()))
    reasons = [item.reason for item in items if isinstance(item, Restart)]
    assert len(reasons) == 2 and "503" in reasons[0] and "cannot reach" in reasons[1]
    assert isinstance(items[-1], FinalRecord) and items[-1].finish_reason == "stop"


def test_when_every_server_fails_the_answer_fails_with_one_sentence(three):
    for server in three:
        server.script.chat.drop_after = 1
    pool = pool_of(three)
    with pytest.raises(EngineError, match=r"every server of the pool failed this answer: .*2 other servers"):
        consume(pool.stream(request()))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, b'{"detail": "Invalid API key"}', "wants an API key"),
        (
            404,
            b'{"error": {"message": "The model `coder` does not exist."}}',
            "does not serve the model 'coder'",
        ),
    ],
)
def test_a_401_or_a_404_for_the_model_stops_at_once_without_trying_another_server(
    three, status, body, expected
):
    wrong, healthy = three[0], three[1]
    wrong.script.chat.status = status
    wrong.script.chat.error_body = body
    pool = pool_of([wrong, healthy])
    with pytest.raises(EngineError, match=expected):
        consume(pool.stream(request()))
    assert chats(healthy) == 0 and pool.snapshot().up == 2


def test_cancelling_a_pool_stream_closes_its_connection(three):
    gate = threading.Event()
    server = three[0]
    server.script.chat.frames_for = lambda _body: gated(gate)
    pool = pool_of([server])
    cancel = threading.Event()
    stream = iter(pool.stream(request(), cancel))
    assert isinstance(next(stream), Chunk)
    pool.cancel_stream(cancel)
    rest = list(stream)
    assert isinstance(rest[-1], FinalRecord) and rest[-1].finish_reason == "cancelled"
    gate.set()
    assert pool.snapshot().streams == 0 and pool.snapshot().up == 1


def test_loading_a_pool_rotates_out_servers_that_do_not_answer(three):
    three[0].script.models = {"data": [{"id": "coder"}]}
    refusing = FakeOpenAIServer()
    refusing.httpd.server_close()
    pool = pool_of([three[0], refusing])
    pool.load()
    assert [status.up for status in pool.snapshot().servers] == [True, False]
    dead = pool_of([refusing])
    with pytest.raises(EngineError, match="no server of the pool answers: cannot reach"):
        dead.load()


def test_each_server_of_a_pool_is_checked_on_its_own(three, monkeypatch):
    from tui.engine.server_check import check_servers

    three[0].script.models = {"data": [{"id": "coder"}]}
    three[1].script.models = {"data": [{"id": "other"}]}
    three[2].script.api_key = "sesame"
    monkeypatch.setenv("POOL_KEY", "wrong")
    spec = OpenAISpec(
        backend="openai",
        model="coder",
        servers=[
            {"base_url": three[0].base_url},
            {"base_url": three[1].base_url, "max_concurrent": 2},
            {"base_url": three[2].base_url, "api_key_env": "POOL_KEY"},
        ],
    )
    checks = check_servers(spec)
    assert [check.base_url for check in checks] == [server.base_url for server in three]
    assert [check.ok for check in checks] == [True, False, False]
    assert checks[0].detail == "answers and serves coder"
    assert "coder is not among its models (other)" in checks[1].detail
    assert "refused the API key (401); set POOL_KEY" in checks[2].detail


def test_an_answer_fails_at_once_when_every_untried_server_is_resting(three):
    dropping = three[0]
    dropping.script.chat.drop_after = 1
    clock = Clock()
    pool = pool_of([dropping], backoff=30, clock=clock)
    with pytest.raises(EngineError, match="every server of the pool failed this answer"):
        consume(pool.stream(request()))
    clock.now += 12
    with pytest.raises(
        EngineError, match=r"out of rotation after failing \(http://.*\); the first is back in 18 s"
    ):
        consume(pool.stream(request()))
    assert chats(dropping) == 1  # the resting server was not asked


@pytest.mark.parametrize(
    ("entry", "sentence"),
    [
        (
            "base_url: http://a:1/v1\n    servers: [{base_url: http://b:1/v1}]",
            "c.yaml:3:5: models.m: an openai model names both base_url and servers; keep servers for a pool, "
            "base_url for one server",
        ),
        ("api_key_env: K", "c.yaml:3:5: models.m: an openai model needs base_url (one server) or servers"),
        ("servers: []", "c.yaml:5:14: models.m.servers must list at least one server"),
        (
            "servers: [{base_url: ftp://x}]",
            "c.yaml:5:26: models.m.servers.0.base_url must start with http://",
        ),
        (
            "servers: [{base_url: http://x/v1, max_concurrent: 0}]",
            "c.yaml:5:55: models.m.servers.0.max_concurrent: input should be greater than or equal to 1",
        ),
        (
            "servers: [{base_url: http://x/v1}, {base_url: http://x/v1/}]",
            "c.yaml:5:14: models.m.servers names http://x/v1 twice; list each server once",
        ),
        (
            "servers: [{base_url: http://x/v1, weight: 2}]",
            "c.yaml:5:39: unknown setting 'weight' in models.m.servers.0",
        ),
    ],
)
def test_a_bad_servers_entry_is_one_sentence_with_its_line(tmp_path, entry, sentence):
    from tui.config import read_config_file
    from tui.errors import PatchbayError

    path = tmp_path / "c.yaml"
    path.write_text(f"models:\n  m:\n    backend: openai\n    model: q\n    {entry}\n")
    with pytest.raises(PatchbayError) as caught:
        read_config_file(path)
    assert str(caught.value).replace(str(tmp_path) + "/", "").startswith(sentence)
