"""What an OpenAI-compatible server's failures mean, in one sentence each: an error body's message,
a connection that failed, a status code, a redirect (refused, never followed), and JSON a server
nested too deeply to read."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx

from tui.engine.base import EngineError

_MAX_SERVER_MESSAGE = 300
_MAX_ERROR_BODY = 65536


def one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SERVER_MESSAGE else text[: _MAX_SERVER_MESSAGE - 1] + "…"


class ServerUnavailable(EngineError):
    """The server could not serve this answer now (refused, timed out, dropped, 5xx); another may."""


class NestedTooDeeply(ValueError):
    """JSON nested deeper than Python's parser recurses: malformed input, like any other."""


def loads_json(text: str | bytes) -> Any:
    """json.loads that turns a RecursionError ("[[[[..." from a server) into a ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise NestedTooDeeply("JSON nested too deeply") from None


def server_message(body: bytes | str) -> str:
    """The human part of an error body: OpenAI-style {"error": {"message"}}, FastAPI {"detail"}, or text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = loads_json(text)
    except ValueError:
        return one_line(text) or "no details"
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            for key in ("message", "detail", "msg"):
                if error.get(key):
                    return one_line(str(error[key]))
        elif isinstance(error, str) and error:
            return one_line(error)
        if data.get("detail"):
            return one_line(
                json.dumps(data["detail"]) if not isinstance(data["detail"], str) else data["detail"]
            )
    return one_line(text)


def error_head(response: httpx.Response) -> bytes:
    """The start of an error body: enough for its message, never an endless stream."""
    body = b""
    for raw in response.iter_bytes():
        body += raw
        if len(body) >= _MAX_ERROR_BODY:
            break
    return body[:_MAX_ERROR_BODY]


def connection_sentence(
    base_url: str, exc: httpx.HTTPError, *, connect_timeout: float, read_timeout: float
) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"cannot reach {base_url} within {connect_timeout:g} s: is the server running?"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot reach {base_url}: is the server running?"
    if isinstance(exc, httpx.ReadTimeout):
        return (
            f"the server at {base_url} sent nothing for {read_timeout:g} s; it may be "
            "overloaded or stuck (raise read_timeout in the model's config to wait longer)"
        )
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return f"the connection to {base_url} dropped mid-answer ({one_line(str(exc)) or type(exc).__name__})"
    return f"talking to {base_url} failed: {one_line(str(exc)) or type(exc).__name__}"


def status_sentence(base_url: str, model: str, api_key_env: str | None, status: int, body: bytes) -> str:
    if status in (401, 403):
        if not api_key_env:
            return (
                f"the server at {base_url} wants an API key ({status}); add api_key_env: "
                "TABBY_API_KEY to the model's config and set that environment variable"
            )
        unset = "" if os.environ.get(api_key_env) else f" ({api_key_env} is not set)"
        return (
            f"the server at {base_url} refused the API key ({status}); set {api_key_env} "
            f"to the server's API key{unset}"
        )
    message = server_message(body)
    if status == 404 and (model.lower() in message.lower() or "model" in message.lower()):
        return (
            f"the server at {base_url} does not serve the model '{model}' ({status}: "
            f"{message}); set model: to a name it lists under {base_url}/models"
        )
    if status == 404:
        return (
            f"the server at {base_url} has no chat completions endpoint (404: {message}); "
            "base_url usually ends in /v1"
        )
    return f"the server at {base_url} answered {status}: {message}"


def redirect_sentence(base_url: str, response: httpx.Response) -> str:
    """A redirect is refused, never followed: the answer must come from the configured server."""
    location = response.headers.get("location")
    if not location:
        return (
            f"the server at {base_url} answered {response.status_code} (a redirect) without saying where to"
        )
    target = str(response.url.join(location))
    hint = ""
    for endpoint in ("/chat/completions", "/models"):
        if target.endswith(endpoint):
            hint = f"; if that is the right server, set base_url to {target[: -len(endpoint)]}"
    return (
        f"the server at {base_url} redirected the request ({response.status_code}) to {target}, "
        f"which Patchbay does not follow{hint}"
    )
