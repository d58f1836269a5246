"""The selected task's prompt, rendered and counted without starting a run (no status is written)."""

from __future__ import annotations


def preview_prompt(session, task_id: str, prompt_override: str | None = None):
    return session.preview_prompt(task_id, prompt_override=prompt_override)
