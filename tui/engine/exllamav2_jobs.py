"""What an ExLlamaV2 generation job is asked and what it reports: OpenAI-like sampling settings for
the library's sampler, and a finished job's result as the stream's FinalRecord."""

from __future__ import annotations

from typing import Any

from tui.engine.base import FinalRecord, GenerationSettings


def sampler_settings(sampler: Any, settings: GenerationSettings) -> Any:
    """OpenAI-like sampling: no top-k, no repetition penalty (the library's defaults differ), and
    temperature 0 means greedy (the library would divide by zero)."""
    if settings.temperature <= 0:
        return sampler.Settings.greedy()
    chosen = sampler.Settings()
    chosen.temperature = settings.temperature
    chosen.top_p = settings.top_p
    chosen.top_k = 0
    chosen.token_repetition_penalty = 1.0
    return chosen


def final_record(result: dict[str, Any], prompt_tokens: int) -> FinalRecord:
    """A finished job's result as the stream's FinalRecord: its first token came after the time
    queued and the prefill; the decode rate is over the generating time alone."""
    new_tokens = int(result.get("new_tokens", 0))
    generate_time = float(result.get("time_generate") or 0.0)
    enqueued, prefill = result.get("time_enqueued"), result.get("time_prefill")
    first_token = float(enqueued) + float(prefill) if enqueued is not None and prefill is not None else None
    return FinalRecord(
        finish_reason="length" if result.get("eos_reason") == "max_new_tokens" else "stop",
        prompt_tokens=int(result.get("prompt_tokens", prompt_tokens)),
        new_tokens=new_tokens,
        time_to_first_token=first_token,
        tokens_per_second=new_tokens / generate_time if generate_time > 0 else None,
        tokens_estimated=False,
    )
