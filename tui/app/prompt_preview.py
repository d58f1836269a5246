"""The selected task's prompt, rendered and counted without starting a run (no status is written).

Uses the session's `preview_prompt` when the runner offers one; otherwise the same public pieces
`TaskRun.prepare` uses (template rendering, the backend's token count and the budget check).
"""

from __future__ import annotations


def preview_prompt(session, task_id: str, prompt_override: str | None = None):
    preview = getattr(session, "preview_prompt", None)
    if preview is not None:
        return preview(task_id, prompt_override=prompt_override)
    from tui.prompts.budget import check_budget
    from tui.prompts.render import RenderedPrompt, render_prompt
    from tui.runner import PreparedPrompt, _messages
    from tui.session import task_prompt_source, task_settings

    task = session.task(task_id)
    rendered = render_prompt(task_prompt_source(session.runbook, task))
    if prompt_override is not None:
        rendered = RenderedPrompt(
            system=rendered.system,
            user=prompt_override,
            template_path=rendered.template_path,
            context_files=rendered.context_files,
        )
    model_name = session.model_name_for(task)
    backend = session.backend(model_name)
    tokens = backend.count_tokens(_messages(rendered))
    settings = task_settings(session.runbook, task)
    budget = check_budget(
        tokens.count,
        exact=tokens.exact,
        budget=settings.context_budget,
        max_seq_len=backend.max_context(),
        max_new_tokens=settings.max_new_tokens,
    )
    return PreparedPrompt(rendered=rendered, tokens=tokens, budget=budget, model_name=model_name)
