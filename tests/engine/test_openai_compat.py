"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading

import pytest

from tui.engine.base import (
    ChatMessage,
    Chunk,
    EngineError,
    FinalRecord,
    GenerationRequest,
    GenerationSettings,
)
from tui.engine.openai_compat import OpenAICompatBackend

from .fake_openai_server import FakeOpenAIServer, content_event, sse

MESSAGES = [ChatMessage("system", "You write code."), ChatMessage("user", "add two numbers please")]
REQUEST = GenerationRequest(
    MESSAGES, GenerationSettings(max_new_tokens=64, temperature=0.0, stop=["```\n"], seed=3)
)
USAGE = {"prompt_tokens": 21, "completion_tokens": 3, "total_tokens": 24}


@pytest.fixture
def server():
    with FakeOpenAIServer() as running:
        yield running


def backend_for(server, **options) -> OpenAICompatBackend:
    return OpenAICompatBackend(server.base_url, "Qwen2.5-Coder-7B", **options)


def collect(items) -> tuple[list[str], FinalRecord | None, EngineError | None]:
    texts, final, error = [], None, None
    try:
        for item in items:
            if isinstance(item, Chunk):
                texts.append(item.text)
            else:
                final = item
    except EngineError as exc:
        error = exc
    return texts, final, error


def test_streams_content_and_sends_the_request_fields(server):
    server.script.chat.frames = sse(
        [
            content_event(None, role="assistant"),
            content_event("def add"),
            content_event("(a, b):"),
            content_event(None, "stop"),
            {"id": "x", "choices": [], "usage": USAGE},
            "data: [DONE]\n\n",
        ]
    )
    texts, final, error = collect(backend_for(server).stream(REQUEST))
    assert error is None
    assert texts == ["def add", "(a, b):"]
    assert final is not None and final.finish_reason == "stop"
    assert (final.prompt_tokens, final.new_tokens, final.tokens_estimated) == (21, 3, False)
    method, path, _, body = server.script.requests[-1]
    assert (method, path) == ("POST", "/v1/chat/completions")
    assert body["messages"] == [
        {"role": "system", "content": "You write code."},
        {"role": "user", "content": "add two numbers please"},
    ]
    assert (body["model"], body["stream"], body["max_tokens"], body["temperature"]) == (
        "Qwen2.5-Coder-7B",
        True,
        64,
        0.0,
    )
    assert (body["top_p"], body["stop"], body["seed"]) == (0.95, ["```\n"], 3)


def test_crlf_framing_comments_and_multiline_data(server):
    server.script.chat.frames = [
        b": ping\r\n\r\n",
        b'data: {"choices": [{"delta": {"content": "a"},\r\ndata:  "finish_reason": null}]}\r\n\r\n',
        b'data: {"choices":[{"delta":{"content":"b"}}]}\r',
        b"\n\r\n",
        b'data: {"choices":[{"delta":{},"finish_reason":"length"}]}\r\n\r\ndata: [DONE]\r\n\r\n',
    ]
    texts, final, error = collect(backend_for(server, include_usage=False).stream(REQUEST))
    assert error is None and texts == ["a", "b"]
    assert final.finish_reason == "length"
    assert final.tokens_estimated is True  # no usage and no tokenize endpoint: labelled estimates


def test_error_event_mid_stream_keeps_the_partial_text(server):
    server.script.chat.frames = sse(
        [
            content_event("partial "),
            {
                "error": {
                    "message": "Chat completion aborted. Please check the server console.",
                    "trace": None,
                }
            },
        ]
    )
    texts, final, error = collect(backend_for(server).stream(REQUEST))
    assert texts == ["partial "] and final is None
    assert "reported an error mid-answer: Chat completion aborted" in str(error)


def test_a_non_json_data_line_is_a_clear_error(server):
    server.script.chat.frames = sse([content_event("ok"), "data: <html>oops</html>\n\n"])
    texts, _, error = collect(backend_for(server).stream(REQUEST))
    assert texts == ["ok"]
    assert "sent a stream line that is not JSON: '<html>oops</html>'" in str(error)


@pytest.mark.parametrize("chunked", [True, False])
def test_dropped_connection_mid_stream_is_one_sentence(server, chunked):
    server.script.chat.frames = sse([content_event("one "), content_event("two "), content_event("three")])
    server.script.chat.drop_after = 2
    server.script.chat.chunked = chunked
    texts, final, error = collect(backend_for(server).stream(REQUEST))
    assert texts == ["one ", "two "] and final is None
    assert error is not None and server.base_url in str(error)
    assert "dropped mid-answer" in str(error) or "closed before the answer finished" in str(error)


def test_401_names_the_environment_variable(server, monkeypatch):
    server.script.api_key = "right"
    monkeypatch.setenv("TABBY_API_KEY", "wrong")
    _, _, error = collect(backend_for(server, api_key_env="TABBY_API_KEY").stream(REQUEST))
    assert str(error) == (
        f"the server at {server.base_url} refused the API key (401); set TABBY_API_KEY "
        "to the server's API key"
    )


def test_the_key_goes_in_both_headers(server, monkeypatch):
    server.script.api_key = "sekrit"
    monkeypatch.setenv("MY_KEY", "sekrit")
    server.script.chat.frames = sse([content_event("hi", "stop"), "data: [DONE]\n\n"])
    texts, final, error = collect(backend_for(server, api_key_env="MY_KEY").stream(REQUEST))
    assert error is None and texts == ["hi"] and final.finish_reason == "stop"


def test_500_carries_the_servers_message(server):
    server.script.chat.status = 500
    server.script.chat.error_body = b'{"error": {"message": "CUDA out of memory", "type": "server_error"}}'
    _, _, error = collect(backend_for(server).stream(REQUEST))
    assert str(error) == f"the server at {server.base_url} answered 500: CUDA out of memory"


def test_connection_refused_asks_whether_the_server_runs():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = OpenAICompatBackend(f"http://127.0.0.1:{port}/v1", "m")
    _, _, error = collect(backend.stream(REQUEST))
    assert str(error) == f"cannot reach http://127.0.0.1:{port}/v1: is the server running?"
    with pytest.raises(EngineError, match="is the server running"):
        backend.load()


def test_cancel_closes_the_connection_and_the_server_sees_it(server):
    server.script.chat.frames = sse([content_event(f"t{i} ") for i in range(400)])
    server.script.chat.delay = 0.02  # 8 s in all; the cancel comes after the first chunk
    backend = backend_for(server)
    items = backend.stream(REQUEST)
    first = next(items)
    assert first == Chunk("t0 ")
    threading.Timer(0.05, backend.cancel).start()  # from another thread, while the stream blocks
    texts, final, error = collect(items)
    assert error is None and final.finish_reason == "cancelled"
    assert len(texts) < 399
    assert server.script.disconnected.wait(5)


def test_counts_with_tabby_encode_and_remembers_the_route(server):
    server.script.tabby_encode = True
    backend = backend_for(server)
    count = backend.count_tokens(MESSAGES)
    assert (count.count, count.exact) == (3 + 2 + 4 + 2, True)  # words + 2 per message (fake server's rule)
    backend.count_tokens([ChatMessage("user", "again")])
    paths = [path for _, path, _, _ in server.script.requests]
    assert paths == ["/v1/token/encode", "/v1/token/encode"]


def test_counts_with_llamacpp_tokenize_when_tabby_is_absent(server):
    server.script.tokenize = True
    backend = backend_for(server)
    count = backend.count_tokens(MESSAGES)
    assert count.exact and count.count == 7 + 2 * 4  # words + template allowance per message
    backend.count_tokens([ChatMessage("user", "again")])
    paths = [path for _, path, _, _ in server.script.requests]
    assert paths == ["/v1/token/encode", "/tokenize", "/tokenize"]


def test_without_any_tokenizer_the_count_is_a_labelled_estimate(server):
    backend = backend_for(server)
    first = backend.count_tokens(MESSAGES)
    backend.count_tokens([ChatMessage("user", "again")])
    assert first.exact is False and str(first).startswith("~")
    assert len(server.script.requests) == 2  # learnt after one try that neither endpoint exists


def test_final_counts_use_the_tokenizer_when_usage_is_missing(server):
    server.script.tokenize = True
    server.script.chat.frames = sse([content_event("a b c"), content_event(" d", "stop"), "data: [DONE]\n\n"])
    _, final, _ = collect(backend_for(server).stream(REQUEST))
    assert (final.new_tokens, final.tokens_estimated) == (4, False)


def test_max_context_from_the_models_list(server):
    server.script.models = {
        "data": [{"id": "other", "max_model_len": 4096}, {"id": "Qwen2.5-Coder-7B", "max_model_len": 32768}]
    }
    assert backend_for(server).max_context() == 32768
    assert backend_for(server, context_length=8192).max_context() == 8192


def test_describe_names_the_server_and_model(server):
    assert backend_for(server).describe() == f"openai @ {server.base_url} (Qwen2.5-Coder-7B)"


def collect_within(backend: OpenAICompatBackend, request: GenerationRequest, seconds: float = 30.0):
    """collect(), bounded: a stream that never ends fails the test instead of hanging it."""
    result: list = []
    worker = threading.Thread(target=lambda: result.append(collect(backend.stream(request))), daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        backend.cancel()
        worker.join(5)
        pytest.fail(f"the stream was still running after {seconds:g} s")
    return result[0]


def test_deeply_nested_json_in_a_data_line_is_one_sentence_and_keeps_the_text(server):
    nested = "[" * 100_000 + "]" * 100_000  # deeper than Python's JSON parser recurses
    server.script.chat.frames = sse([content_event("kept "), f"data: {nested}\n\n"])
    texts, final, error = collect(backend_for(server).stream(REQUEST))
    assert texts == ["kept "] and final is None
    assert isinstance(error, EngineError)
    assert str(error).startswith(f"the server at {server.base_url} sent a stream line that is not JSON")
    assert "nested too deeply" in str(error)


def test_a_deeply_nested_error_body_is_still_one_sentence(server):
    server.script.chat.status = 500
    server.script.chat.error_body = b"[" * 100_000 + b"]" * 100_000
    _, _, error = collect(backend_for(server).stream(REQUEST))
    assert isinstance(error, EngineError)
    assert str(error).startswith(f"the server at {server.base_url} answered 500: [[[")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_an_error_naming_the_target_and_its_body_is_not_the_answer(server, status):
    server.script.chat.status = status
    server.script.chat.headers = {"Location": "http://192.0.2.7:9000/v1/chat/completions"}
    server.script.chat.frames = sse([content_event("hijacked", "stop"), "data: [DONE]\n\n"])
    texts, final, error = collect(backend_for(server).stream(REQUEST))
    assert texts == [] and final is None
    assert str(error) == (
        f"the server at {server.base_url} redirected the request ({status}) to "
        "http://192.0.2.7:9000/v1/chat/completions, which Patchbay does not follow; if that is the "
        "right server, set base_url to http://192.0.2.7:9000/v1"
    )
    assert [path for _, path, _, _ in server.script.requests] == ["/v1/chat/completions"]


def test_a_relative_redirect_names_the_full_target(server):
    server.script.chat.status = 302
    server.script.chat.headers = {"Location": "/login"}
    server.script.chat.frames = sse([content_event("<html>", "stop"), "data: [DONE]\n\n"])
    texts, _, error = collect(backend_for(server).stream(REQUEST))
    assert texts == []
    assert f"to {server.base_url[: -len('/v1')]}/login, which Patchbay does not follow" in str(error)


def test_load_refuses_a_redirected_models_list(server):
    server.script.models_redirect = "https://example.test/v1/models"
    with pytest.raises(
        EngineError, match=r"redirected the request \(307\) to https://example\.test/v1/models"
    ):
        backend_for(server).load()


def test_a_server_that_sends_past_max_new_tokens_is_stopped_with_the_text_kept(server):
    server.script.chat.endless = lambda index: sse([content_event(f"t{index} ")])[0]
    request = GenerationRequest(MESSAGES, GenerationSettings(max_new_tokens=50))
    texts, final, error = collect_within(backend_for(server), request)
    assert texts == [f"t{i} " for i in range(50)] and final is None
    assert str(error) == (
        f"the server at {server.base_url} kept sending past the 50-token limit it was given "
        "(max_new_tokens); the answer was stopped there"
    )
    assert server.script.disconnected.wait(5)  # the connection is closed, so the server stops too


def test_exactly_max_new_tokens_is_a_normal_answer(server):
    server.script.chat.frames = sse(
        [content_event(f"t{i} ") for i in range(5)] + [content_event(None, "length"), "data: [DONE]\n\n"]
    )
    request = GenerationRequest(MESSAGES, GenerationSettings(max_new_tokens=5))
    texts, final, error = collect(backend_for(server).stream(request))
    assert error is None and len(texts) == 5 and final.finish_reason == "length"


def test_keep_alive_pings_end_at_the_generation_deadline_with_the_text_kept(server):
    server.script.chat.frames = sse([content_event("so far ")])
    server.script.chat.endless = lambda _index: b": ping\n\n"
    server.script.chat.delay = 0.01  # pings keep arriving well inside read_timeout
    backend = backend_for(server, read_timeout=5.0)
    backend.generation_timeout = 0.5
    texts, final, error = collect_within(backend, REQUEST)
    assert texts == ["so far "] and final is None
    assert str(error) == (
        "the answer was stopped after 0.5 s, the model's generation deadline (raise generation_timeout "
        "in its config if answers need longer)"
    )
    assert server.script.disconnected.wait(5)


def test_a_stream_line_that_never_ends_is_one_sentence(server):
    server.script.chat.frames = [*sse([content_event("kept ")]), b"data: "]
    server.script.chat.endless = lambda _index: b"x" * 65536
    texts, final, error = collect_within(backend_for(server), REQUEST)
    assert texts == ["kept "] and final is None
    assert str(error) == (
        f"the server at {server.base_url} sent a stream event that ran past 16,777,216 characters "
        "without ending"
    )


def test_an_endless_error_body_is_cut_to_its_start(server):
    server.script.chat.status = 503
    server.script.chat.error_body = b"overloaded " * 10
    server.script.chat.endless_error = True
    _, _, error = collect_within(backend_for(server), REQUEST)
    assert str(error).startswith(f"the server at {server.base_url} answered 503: overloaded overloaded")
