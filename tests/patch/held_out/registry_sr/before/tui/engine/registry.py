"""Named models from the config files, and building a backend for one.

Importing this module imports no backend: each is imported when a model of its kind is created
(exllamav2 needs CUDA and must never be imported unless used).
"""

from __future__ import annotations

from pathlib import Path

from tui.config import ExLlamaV2Spec, ModelSpec, OpenAISpec, PatchbayConfig, ReplaySpec, load_config
from tui.engine.base import Backend
from tui.errors import PatchbayError


class ModelRegistry:
    def __init__(self, config: PatchbayConfig) -> None:
        self.config = config

    def names(self) -> set[str]:
        return set(self.config.models)

    def get(self, name: str) -> ModelSpec:
        try:
            return self.config.models[name]
        except KeyError:
            pass
        if not self.config.models:
            raise PatchbayError(
                f"there is no model named '{name}': no models are configured (add them to patchbay.yaml "
                "beside the runbook or to ~/.config/patchbay/config.yaml)"
            )
        known = ", ".join(sorted(self.config.models))
        raise PatchbayError(f"there is no model named '{name}'; known models: {known}")

    def default_name(self) -> str | None:
        """The model to use when a task names none: default_model, a model called "default", or
        the only model there is."""
        if self.config.default_model:
            return self.config.default_model
        if "default" in self.config.models:
            return "default"
        if len(self.config.models) == 1:
            return next(iter(self.config.models))
        return None


def load_registry(runbook_folder: Path | None, config_file: Path | None = None) -> ModelRegistry:
    return ModelRegistry(load_config(runbook_folder, config_file))


def create_backend(spec: ModelSpec, *, replay_rate: float | None = None) -> Backend:
    """A backend for `spec`, not yet loaded. `replay_rate` (--replay-rate) beats the config's rate."""
    if isinstance(spec, ReplaySpec):
        from tui.engine.replay import ReplayBackend

        rate = replay_rate if replay_rate is not None else spec.rate
        return ReplayBackend(spec.transcript, rate=rate)
    if isinstance(spec, OpenAISpec):
        from tui.engine.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend(
            base_url=spec.base_url,
            model=spec.model,
            api_key_env=spec.api_key_env,
            connect_timeout=spec.connect_timeout,
            read_timeout=spec.read_timeout,
            context_length=spec.context_length,
            include_usage=spec.include_usage,
        )
    if isinstance(spec, ExLlamaV2Spec):
        from tui.engine.exllamav2_backend import ExLlamaV2Backend

        return ExLlamaV2Backend(
            model_dir=spec.model_dir,
            max_seq_len=spec.max_seq_len,
            cache=spec.cache,
            gpu_split=spec.gpu_split,
            max_batch_size=spec.max_batch_size,
            chat_template=spec.chat_template,
            chat_template_fallback=spec.chat_template_fallback,
        )
    raise TypeError(f"unknown model spec {type(spec).__name__}")
