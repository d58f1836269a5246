"""A real HTTP server on 127.0.0.1 that speaks the OpenAI streaming protocol, and misbehaves on
demand (slow chunks, disconnects, error events, bad lines, CRLF framing, status codes)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def content_event(text: str | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    delta = {} if text is None else {"content": text}
    return {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


def sse(events: list[Any], newline: str = "\n") -> list[bytes]:
    """Frame events: dicts become `data: <json>`, strings are sent as they are."""
    frames = []
    for event in events:
        body = event if isinstance(event, str) else f"data: {json.dumps(event)}{newline}{newline}"
        frames.append(body.encode())
    return frames


@dataclass
class ChatBehaviour:
    status: int = 200
    error_body: bytes = b""
    frames: list[bytes] = field(default_factory=list)
    delay: float = 0.0  # between frames
    drop_after: int | None = None  # close the socket after this many frames
    chunked: bool = True
    # When set, the frames for one request's body (so parallel streams can get different answers).
    frames_for: Callable[[dict[str, Any]], list[bytes]] | None = None
    # When set, sent after `frames` for as long as the client listens: frame number -> bytes
    # (keep-alive pings, a model that never stops).
    endless: Callable[[int], bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (Location, ...)
    endless_error: bool = False  # an error status whose body never ends (error_body repeated)


@dataclass
class ServerScript:
    chat: ChatBehaviour = field(default_factory=ChatBehaviour)
    api_key: str | None = None
    tabby_encode: bool = False
    tokenize: bool = False
    models: dict[str, Any] | None = None
    models_redirect: str | None = None  # a Location to send GET /v1/models to
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    disconnected: threading.Event = field(default_factory=threading.Event)
    # Chat streams being answered right now, and the most there ever were at once.
    streaming: int = 0
    peak_streaming: int = 0
    counter_lock: threading.Lock = field(default_factory=threading.Lock)

    def stream_started(self) -> None:
        with self.counter_lock:
            self.streaming += 1
            self.peak_streaming = max(self.peak_streaming, self.streaming)

    def stream_ended(self) -> None:
        with self.counter_lock:
            self.streaming -= 1


def words(text: str) -> int:
    return len(text.split())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script: ServerScript

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except ConnectionResetError:
            self.script.disconnected.set()  # a client that hung up mid-request, as tests make it

    def _reply_json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        if self.script.api_key is None:
            return True
        if self.headers.get("x-api-key") == self.script.api_key:
            return self.headers.get("Authorization") == f"Bearer {self.script.api_key}"
        self._reply_json(401, {"detail": "Invalid API key"})
        return False

    def do_GET(self) -> None:
        self.script.requests.append(("GET", self.path, dict(self.headers), None))
        if not self._authorised():
            return
        if self.path == "/v1/models" and self.script.models_redirect is not None:
            self.send_response(307)
            self.send_header("Location", self.script.models_redirect)
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if self.path == "/v1/models" and self.script.models is not None:
            return self._reply_json(200, self.script.models)
        self._reply_json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"null")
        self.script.requests.append(("POST", self.path, dict(self.headers), body))
        if not self._authorised():
            return
        if self.path == "/v1/chat/completions":
            return self._chat(body)
        if self.path == "/v1/token/encode" and self.script.tabby_encode:
            text = body["text"]
            count = words(text) if isinstance(text, str) else sum(words(m["content"]) + 2 for m in text)
            return self._reply_json(200, {"tokens": list(range(count)), "length": count})
        if self.path == "/tokenize" and self.script.tokenize:
            return self._reply_json(200, {"tokens": list(range(words(body["content"])))})
        self._reply_json(404, {"detail": "Not Found"})

    def _chat(self, body: dict[str, Any]) -> None:
        chat = self.script.chat
        frames = chat.frames_for(body) if chat.frames_for is not None else chat.frames
        if chat.status >= 400 and chat.endless_error:
            return self._endless_error(chat)
        if chat.status >= 400:
            return self._reply_json(chat.status, chat.error_body)
        self.send_response(chat.status)  # 200, or a 3xx that carries an answer-like body
        self.send_header("Content-Type", "text/event-stream")
        for name, value in chat.headers.items():
            self.send_header(name, value)
        if chat.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        self.script.stream_started()
        ended = False
        try:
            for index, frame in enumerate(self._frames(frames)):
                if chat.drop_after is not None and index >= chat.drop_after:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if isinstance(frames, list) and index == len(frames) - 1 and chat.endless is None:
                    # Counted as ended before the last frame goes out: a client that has read it
                    # may start its next stream at once, and that must not count as two at once.
                    self.script.stream_ended()
                    ended = True
                self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame) if chat.chunked else frame)
                self.wfile.flush()
                if chat.delay:
                    time.sleep(chat.delay)
            if chat.chunked:
                self.wfile.write(b"0\r\n\r\n")
            self.close_connection = not chat.chunked
        except (BrokenPipeError, ConnectionResetError):
            self.script.disconnected.set()
            self.close_connection = True
        finally:
            if not ended:
                self.script.stream_ended()

    def _endless_error(self, chat: ChatBehaviour) -> None:
        self.send_response(chat.status)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            while True:  # until the client hangs up
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chat.error_body), chat.error_body))
        except (BrokenPipeError, ConnectionResetError):
            self.script.disconnected.set()
            self.close_connection = True

    def _frames(self, frames: list[bytes]) -> Iterator[bytes]:
        yield from frames
        if self.script.chat.endless is not None:
            # Only a client that hangs up ends this (the write then fails).
            yield from map(self.script.chat.endless, itertools.count())


class FakeOpenAIServer:
    def __init__(self) -> None:
        self.script = ServerScript()
        handler = type("Handler", (_Handler,), {"script": self.script})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
