"""Counting tokens with an OpenAI-compatible server's own tokenizer, where it has an endpoint for it:
TabbyAPI's /v1/token/encode (which renders a message list with the model's template), llama.cpp's
and vLLM's /tokenize. Which one a server has is learnt once; without one the count is an estimate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tui.engine.base import (
    TEMPLATE_TOKENS_PER_MESSAGE,
    ChatMessage,
    TokenCount,
    estimate_message_tokens,
    estimate_text_tokens,
)
from tui.engine.openai_errors import loads_json

_COUNT_CACHE_SIZE = 64


class ServerTokenCounter:
    def __init__(self, http: Callable[[], httpx.Client], root_url: str, model: str) -> None:
        self._http = http
        self.root_url = root_url
        self.model = model
        self._route: str | None = None  # "tabby" | "tokenize" | "none", once learnt
        self._cache: dict[tuple[tuple[str, str], ...], TokenCount] = {}

    def count_messages(self, messages: list[ChatMessage]) -> TokenCount:
        key = tuple((m.role, m.content) for m in messages)
        if key in self._cache:
            return self._cache[key]
        count = self._count_with_server(messages)
        if count is None:
            return estimate_message_tokens(messages)
        if len(self._cache) >= _COUNT_CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = count
        return count

    def count_answer(self, text: str) -> TokenCount:
        if not text:
            return TokenCount(0, exact=True)
        if self._route in ("tabby", "tokenize"):
            url, body = (
                (f"{self.root_url}/v1/token/encode", {"text": text, "add_bos_token": False})
                if self._route == "tabby"
                else (f"{self.root_url}/tokenize", {"content": text, "prompt": text, "model": self.model})
            )
            try:
                _, length = self._post_count(url, body)
            except httpx.HTTPError:
                length = None
            if length is not None:
                return TokenCount(length, exact=True)
        return TokenCount(estimate_text_tokens(text), exact=False)

    def _count_with_server(self, messages: list[ChatMessage]) -> TokenCount | None:
        routes = [self._route] if self._route else ["tabby", "tokenize"]
        for route in routes:
            if route == "none":
                return None
            try:
                count = self._count_via(route, messages)
            except httpx.HTTPError:
                return None  # unreachable now; don't conclude anything about the server
            if count is not None:
                self._route = route
                return count
        if not self._route:
            self._route = "none"
        return None

    def _count_via(self, route: str, messages: list[ChatMessage]) -> TokenCount | None:
        plain = "\n\n".join(m.content for m in messages)
        overhead = TEMPLATE_TOKENS_PER_MESSAGE * len(messages)
        if route == "tabby":
            # TabbyAPI renders a message list with the model's template, so that count is whole.
            payload = [{"role": m.role, "content": m.content} for m in messages]
            status, length = self._post_count(f"{self.root_url}/v1/token/encode", {"text": payload})
            if length is not None:
                return TokenCount(length, exact=True)
            if status not in (400, 422):  # absent (404) rather than unable to render the messages
                return None
            _, length = self._post_count(f"{self.root_url}/v1/token/encode", {"text": plain})
        else:  # llama.cpp reads "content", vLLM "prompt"
            body = {"content": plain, "prompt": plain, "model": self.model, "add_special": True}
            _, length = self._post_count(f"{self.root_url}/tokenize", body)
        return None if length is None else TokenCount(length + overhead, exact=True)

    def _post_count(self, url: str, body: dict[str, Any]) -> tuple[int, int | None]:
        """(HTTP status, token count or None)."""
        response = self._http().post(url, json=body)
        if response.status_code != 200:
            return response.status_code, None
        try:
            data = loads_json(response.content)
        except ValueError:
            return response.status_code, None
        if isinstance(data, dict):
            for key in ("length", "count"):
                if isinstance(data.get(key), int) and not isinstance(data.get(key), bool):
                    return response.status_code, data[key]
            if isinstance(data.get("tokens"), list):
                return response.status_code, len(data["tokens"])
        return response.status_code, None
