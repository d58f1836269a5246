"""The task type a plan writes in words (a Type column, a `type:` key): MANUAL, AI, script..."""

from __future__ import annotations

import re

# Searched in this order: "AI + human review" is an AI task.
_KIND_WORDS = (
    ("AI_ASSISTED", ("ai", "llm", "agent", "model", "codegen", "generated", "bot")),
    ("AUTOMATED_SCRIPT", ("script", "automated", "automation", "command", "shell", "ci", "cmd", "bash")),
    ("MANUAL", ("manual", "human", "person", "by hand", "hand")),
)


def kind_of(text: str) -> str | None:
    """The runbook type a Type cell names ("MANUAL", "AI", "Script", "🤖 agent"), or None."""
    words = " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())
    for kind, _ in _KIND_WORDS:
        if words == kind.lower().replace("_", " "):
            return kind
    for kind, names in _KIND_WORDS:
        if any(re.search(rf"\b{re.escape(name)}\b", words) for name in names):
            return kind
    return None
