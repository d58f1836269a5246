"""Checks for an `openai` model: the server answers, takes the key, lists the model, can count
tokens, and streams a short answer (time to first token)."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import httpx

from tui.config import OpenAISpec
from tui.doctor.report import Check, exit_code, fail, info, ok
from tui.engine.base import (
    ChatMessage,
    Chunk,
    EngineError,
    FinalRecord,
    GenerationRequest,
    GenerationSettings,
)
from tui.engine.openai_compat import OpenAICompatBackend
from tui.plural import counted

SECTION = "Server"
PROBE = [ChatMessage("user", "Say OK.")]


def openai_checks(spec: OpenAISpec) -> list[Check]:
    """Every server of the model, each checked on its own. A pool still works while one of its
    servers does (the rest rest in back-off), so a down server fails the doctor only when no
    server of the pool passes."""
    servers = spec.per_server()
    if len(servers) == 1:
        return _one_server_checks(servers[0])
    per_server = [
        [replace(c, section=f"Server {n}/{len(servers)} {one.base_url}") for c in _one_server_checks(one)]
        for n, one in enumerate(servers, start=1)
    ]
    if not any(exit_code(checks) == 0 for checks in per_server):
        return [c for checks in per_server for c in checks]
    return [
        replace(c, needed=False, advice=f"{c.advice}; the pool goes on without this server")
        if c.status == "fail"
        else c
        for checks in per_server
        for c in checks
    ]


def _one_server_checks(spec: OpenAISpec) -> list[Check]:
    backend = OpenAICompatBackend(
        base_url=spec.base_url,
        model=spec.model,
        api_key_env=spec.api_key_env,
        connect_timeout=spec.connect_timeout,
        read_timeout=spec.read_timeout,
        context_length=spec.context_length,
        include_usage=spec.include_usage,
    )
    try:
        return _checks(spec, backend)
    finally:
        backend.close()


def _checks(spec: OpenAISpec, backend: OpenAICompatBackend) -> list[Check]:
    try:
        backend.load()
    except EngineError as exc:
        name = "API key" if "API key" in str(exc) else "answers"
        return [fail(SECTION, name, str(exc), _advice_for(spec, name))]
    checks = [ok(SECTION, "answers", spec.base_url)]
    if spec.api_key_env:
        checks.append(ok(SECTION, "API key", f"accepted ({spec.api_key_env})"))
    checks.append(_model_listed(spec))
    count = backend.count_tokens(PROBE)
    checks.append(
        ok(SECTION, "token counts", "exact (the server has a tokenize endpoint)")
        if count.exact
        else info(
            SECTION, "token counts", "estimates (no tokenize endpoint)", "context budgets are approximate"
        )
    )
    checks.append(_short_completion(backend))
    return checks


def _advice_for(spec: OpenAISpec, name: str) -> str:
    if name == "API key":
        return f"put the server's key in {spec.api_key_env or 'an environment variable named by api_key_env'}"
    return "start the server, or fix base_url in the model's config"


def _model_listed(spec: OpenAISpec) -> Check:
    key = os.environ.get(spec.api_key_env, "") if spec.api_key_env else ""
    headers = {"Authorization": f"Bearer {key}", "x-api-key": key} if key else {}
    try:
        response = httpx.get(f"{spec.base_url}/models", headers=headers, timeout=spec.connect_timeout + 5)
        ids = (
            [str(m.get("id")) for m in response.json().get("data", [])]
            if response.status_code == 200
            else None
        )
    except (httpx.HTTPError, ValueError, AttributeError):
        ids = None
    if ids is None:
        return info(SECTION, "model", f"{spec.model} (the server does not list its models)")
    if spec.model in ids:
        return ok(SECTION, "model", f"{spec.model} is listed")
    listed = ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "") or "none"
    return fail(
        SECTION,
        "model",
        f"{spec.model} is not among the server's models ({listed})",
        "load it on the server or fix model: in the config",
    )


def _short_completion(backend: OpenAICompatBackend) -> Check:
    request = GenerationRequest(PROBE, GenerationSettings(max_new_tokens=4, temperature=0.0), "doctor")
    started = time.monotonic()
    first: float | None = None
    final: FinalRecord | None = None
    try:
        for item in backend.stream(request):
            if isinstance(item, Chunk) and first is None:
                first = time.monotonic() - started
            elif isinstance(item, FinalRecord):
                final = item
    except EngineError as exc:
        return fail(SECTION, "completion", str(exc), "the server answered but could not stream a completion")
    if final is None or first is None:
        return fail(SECTION, "completion", "the stream ended without text", "check the server's log")
    return ok(
        SECTION,
        "completion",
        f"streamed {counted(final.new_tokens, 'token')}; first after {first * 1000:.0f} ms",
    )
