"""Backend for any OpenAI-compatible server (TabbyAPI, llama.cpp, vLLM, Ollama) over streaming SSE.

Only `choices[0].delta.content`, `finish_reason`, `usage` and `[DONE]` are relied on: TabbyAPI's
exl2 branch sends chunks without `object`/`created`/`model` (reference/exllamav2.md §5.3).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from tui.engine.base import (
    Backend,
    ChatMessage,
    Chunk,
    EngineError,
    FinalRecord,
    GenerationRequest,
    ProgressCallback,
    StreamItem,
    TokenCount,
)
from tui.engine.openai_counting import ServerTokenCounter
from tui.engine.openai_errors import (
    NestedTooDeeply,
    ServerUnavailable,
    connection_sentence,
    error_head,
    loads_json,
    one_line,
    redirect_sentence,
    server_message,
    status_sentence,
)
from tui.engine.sse import EventTooLarge, iter_sse_data


class OpenAICompatBackend(Backend):
    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        context_length: int | None = None,
        include_usage: bool = True,
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.root_url = self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url
        self.model = model
        self.api_key_env = api_key_env
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.include_usage = include_usage
        self._context_override = context_length
        self._context: int | None = None
        self._context_known = False
        self._counter = ServerTokenCounter(self._http, self.root_url, self.model)
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        self._active_lock = threading.Lock()
        self._active: dict[threading.Event, httpx.Response] = {}  # one per running stream

    # -- plumbing -------------------------------------------------------------------------------

    def describe(self) -> str:
        return f"openai @ {self.base_url} ({self.model})"

    def _http(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                timeout = httpx.Timeout(
                    connect=self.connect_timeout,
                    read=self.read_timeout,
                    write=self.read_timeout,
                    pool=self.connect_timeout,
                )
                self._client = httpx.Client(timeout=timeout, headers=self._auth_headers())
            return self._client

    def _auth_headers(self) -> dict[str, str]:
        key = os.environ.get(self.api_key_env, "") if self.api_key_env else ""
        if not key:
            return {}
        # TabbyAPI accepts either; other servers read the Bearer one.
        return {"Authorization": f"Bearer {key}", "x-api-key": key}

    def _connection_sentence(self, exc: httpx.HTTPError) -> str:
        return connection_sentence(
            self.base_url, exc, connect_timeout=self.connect_timeout, read_timeout=self.read_timeout
        )

    def _status_sentence(self, status: int, body: bytes) -> str:
        return status_sentence(self.base_url, self.model, self.api_key_env, status, body)

    # -- loading and context --------------------------------------------------------------------

    def load(self, progress: ProgressCallback | None = None) -> None:
        """A quick check that the server answers and accepts our key (GET {base}/models)."""
        from tui.engine.base import LoadProgress

        if progress:
            progress(LoadProgress(0, 1, f"contacting {self.base_url}"))
        try:
            response = self._http().get(f"{self.base_url}/models")
        except httpx.HTTPError as exc:
            raise ServerUnavailable(self._connection_sentence(exc)) from None
        if response.status_code in (401, 403):
            raise EngineError(self._status_sentence(response.status_code, response.content))
        if 300 <= response.status_code < 400:
            raise EngineError(redirect_sentence(self.base_url, response))
        if progress:
            progress(LoadProgress(1, 1, f"connected to {self.base_url}"))

    def listed_models(self) -> list[str] | None:
        """The model ids GET {base}/models lists; None when it lists none readable."""
        try:
            models = self._get_json(f"{self.base_url}/models")
        except httpx.HTTPError as exc:
            raise ServerUnavailable(self._connection_sentence(exc)) from None
        if not isinstance(models, dict) or not isinstance(models.get("data"), list):
            return None
        return [str(entry["id"]) for entry in models["data"] if isinstance(entry, dict) and "id" in entry]

    def max_context(self) -> int | None:
        if self._context_override is not None:
            return self._context_override
        if not self._context_known:
            try:
                self._context = self._probe_context()
                self._context_known = True
            except httpx.HTTPError:
                return None  # server down: ask again later
        return self._context

    def _get_json(self, url: str) -> Any:
        response = self._http().get(url)
        if response.status_code != 200:
            return None
        try:
            return loads_json(response.content)
        except ValueError:
            return None

    def _probe_context(self) -> int | None:
        models = self._get_json(f"{self.base_url}/models")  # vLLM: data[].max_model_len
        if isinstance(models, dict) and isinstance(models.get("data"), list):
            entries = [e for e in models["data"] if isinstance(e, dict)]
            for entry in sorted(entries, key=lambda e: e.get("id") != self.model):
                if isinstance(entry.get("max_model_len"), int):
                    return entry["max_model_len"]
        card = self._get_json(f"{self.root_url}/v1/model")  # TabbyAPI: parameters.max_seq_len
        if isinstance(card, dict) and isinstance(card.get("parameters"), dict):
            value = card["parameters"].get("max_seq_len")
            if isinstance(value, int):
                return value
        props = self._get_json(f"{self.root_url}/props")  # llama.cpp: default_generation_settings.n_ctx
        if isinstance(props, dict) and isinstance(props.get("default_generation_settings"), dict):
            value = props["default_generation_settings"].get("n_ctx")
            if isinstance(value, int):
                return value
        return None

    # -- counting (tui.engine.openai_counting) ---------------------------------------------------

    def count_tokens(self, messages: list[ChatMessage]) -> TokenCount:
        return self._counter.count_messages(messages)

    # -- streaming ------------------------------------------------------------------------------

    def _request_body(self, request: GenerationRequest) -> dict[str, Any]:
        settings = request.settings
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
            "max_tokens": settings.max_new_tokens,
            "temperature": settings.temperature,
            "top_p": settings.top_p,
        }
        if settings.stop:
            body["stop"] = list(settings.stop)
        if settings.seed is not None:
            body["seed"] = settings.seed
        if self.include_usage:
            body["stream_options"] = {"include_usage": True}
        return body

    def _generate(self, request: GenerationRequest, cancel: threading.Event) -> Iterator[StreamItem]:
        started = time.monotonic()
        first_at: float | None = None
        last_at: float | None = None
        parts: list[str] = []
        finish: str | None = None
        usage: dict[str, Any] = {}
        done = False
        try:
            with self._http().stream(
                "POST", f"{self.base_url}/chat/completions", json=self._request_body(request)
            ) as response:
                with self._active_lock:
                    self._active[cancel] = response
                if cancel.is_set():
                    self._shutdown(response)
                if 300 <= response.status_code < 400:
                    raise EngineError(redirect_sentence(self.base_url, response))
                if response.status_code != 200:
                    sentence = self._status_sentence(response.status_code, error_head(response))
                    if response.status_code >= 500:
                        raise ServerUnavailable(sentence)
                    raise EngineError(sentence)
                limit = request.settings.max_new_tokens
                for data in iter_sse_data(response.iter_bytes()):
                    if cancel.is_set():
                        break
                    if data.strip() == "[DONE]":
                        done = True
                        break
                    event = self._parse_event(data)
                    text, reason, event_usage = event
                    if text:
                        if len(parts) >= limit:
                            # Servers send one token per event at most; more events than the
                            # max_tokens we asked for is a server that will not stop by itself.
                            self._shutdown(response)
                            raise EngineError(
                                f"the server at {self.base_url} kept sending past the {limit:,}-token "
                                "limit it was given (max_new_tokens); the answer was stopped there"
                            )
                        now = time.monotonic()
                        first_at = first_at or now
                        last_at = now
                        parts.append(text)
                        yield Chunk(text)
                    if reason:
                        finish = reason
                    if event_usage:
                        usage = event_usage
        except httpx.HTTPError as exc:
            if not cancel.is_set():
                raise ServerUnavailable(self._connection_sentence(exc)) from None
        except EventTooLarge as exc:
            raise EngineError(f"the server at {self.base_url} sent a stream event that {exc}") from None
        finally:
            with self._active_lock:
                self._active.pop(cancel, None)
        if cancel.is_set():
            finish = "cancelled"
        elif not done and finish is None:
            raise ServerUnavailable(f"the connection to {self.base_url} closed before the answer finished")
        yield self._final_record(request, finish, usage, "".join(parts), started, first_at, last_at)

    def _parse_event(self, data: str) -> tuple[str, str | None, dict[str, Any] | None]:
        try:
            event = loads_json(data)
        except ValueError as exc:
            why = " (nested too deeply to read)" if isinstance(exc, NestedTooDeeply) else ""
            raise EngineError(
                f"the server at {self.base_url} sent a stream line that is not JSON{why}: "
                f"{one_line(data)[:80]!r}"
            ) from None
        if not isinstance(event, dict):
            raise EngineError(f"the server at {self.base_url} sent a stream event that is not an object")
        if event.get("error"):
            raise EngineError(
                f"the server at {self.base_url} reported an error mid-answer: {server_message(data)}"
            )
        text, reason = "", None
        choices = event.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            delta = choices[0].get("delta")
            if isinstance(delta, dict) and isinstance(delta.get("content"), str):
                text = delta["content"]
            if isinstance(choices[0].get("finish_reason"), str):
                reason = choices[0]["finish_reason"]
        usage = event.get("usage") if isinstance(event.get("usage"), dict) else None
        return text, reason, usage

    def _final_record(
        self,
        request: GenerationRequest,
        finish: str | None,
        usage: dict[str, Any],
        answer: str,
        started: float,
        first_at: float | None,
        last_at: float | None,
    ) -> FinalRecord:
        reason = finish if finish in ("length", "cancelled") else "stop"
        prompt_tokens, new_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
        estimated = False
        if not isinstance(prompt_tokens, int):
            counted = self.count_tokens(request.messages)
            prompt_tokens, estimated = counted.count, not counted.exact
        if not isinstance(new_tokens, int):
            counted = self._counter.count_answer(answer)
            new_tokens, estimated = counted.count, estimated or not counted.exact
        speed = None
        if first_at is not None and last_at is not None and last_at > first_at and new_tokens > 1:
            # Tokens after the first, over the time they took: the decode rate.
            speed = (new_tokens - 1) / (last_at - first_at)
        return FinalRecord(
            finish_reason=reason,  # type: ignore[arg-type]
            prompt_tokens=prompt_tokens,
            new_tokens=new_tokens,
            time_to_first_token=None if first_at is None else first_at - started,
            tokens_per_second=speed,
            tokens_estimated=estimated,
        )

    # -- cancel and close -----------------------------------------------------------------------

    def max_concurrent_streams(self) -> int:
        # Servers queue or batch what they get; this only keeps one client from flooding one.
        return 16

    def _on_cancel(self, cancel: threading.Event) -> None:
        with self._active_lock:
            response = self._active.get(cancel)
        if response is not None:
            self._shutdown(response)

    @staticmethod
    def _shutdown(response: httpx.Response) -> None:
        # close() alone does not wake a thread blocked in recv(); shutdown() does, and the
        # server sees the disconnect at once (TabbyAPI then cancels the job).
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self.cancel()
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None
