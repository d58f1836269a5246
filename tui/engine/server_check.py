"""Checking one server of an `openai` model (a pool checks each): it answers, takes the key and
serves the model. For `patchbay doctor`, which lists one line per server."""

from __future__ import annotations

from dataclasses import dataclass

from tui.config import OpenAISpec
from tui.engine.base import EngineError


@dataclass(frozen=True)
class ServerCheck:
    base_url: str
    ok: bool
    detail: str  # one sentence: what was found, or what is wrong and how to fix it


def check_server(spec: OpenAISpec) -> ServerCheck:
    """Check the one server of `spec` (for a pool: each of `spec.per_server()`)."""
    from tui.engine.registry import openai_backend

    (server,) = spec.server_list()
    backend = openai_backend(spec, server)
    try:
        backend.load()
        listed = backend.listed_models()
    except EngineError as exc:
        return ServerCheck(server.base_url, False, str(exc))
    finally:
        backend.close()
    if listed is None:
        return ServerCheck(
            server.base_url, True, f"answers; it does not list its models ({spec.model} assumed)"
        )
    if spec.model not in listed:
        shown = ", ".join(listed[:5]) + (" …" if len(listed) > 5 else "") if listed else "none"
        return ServerCheck(
            server.base_url,
            False,
            f"answers, but {spec.model} is not among its models ({shown}); load it there or fix model:",
        )
    return ServerCheck(server.base_url, True, f"answers and serves {spec.model}")


def check_servers(spec: OpenAISpec) -> list[ServerCheck]:
    """Every server of `spec`, one check each, in the configured order."""
    return [check_server(one) for one in spec.per_server()]
