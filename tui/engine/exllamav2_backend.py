"""In-process ExLlamaV2 0.3.2 backend (reference/exllamav2.md). exllamav2 is imported in `load()`
only: it needs CUDA and cannot even be imported elsewhere."""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tui.engine.base import (
    Backend,
    ChatMessage,
    Chunk,
    EngineError,
    FinalRecord,
    GenerationRequest,
    GenerationSettings,
    LoadProgress,
    ProgressCallback,
    StreamItem,
    TokenCount,
)
from tui.engine.chat_template import ChatTemplate, find_chat_template, render_chat
from tui.engine.exllamav2_errors import LoadSettings, explain_failure, explain_import_failure
from tui.engine.exllamav2_worker import (
    GenerationWork,
    GeneratorThread,
    WorkCancelled,
    WorkFailed,
    WorkFinished,
)

CACHE_CLASSES = {
    "fp16": "ExLlamaV2Cache",
    "q8": "ExLlamaV2Cache_Q8",
    "q6": "ExLlamaV2Cache_Q6",
    "q4": "ExLlamaV2Cache_Q4",
}
PAGE = 256  # the dynamic generator's page size; cache lengths must be multiples of it
AUTO_SEQ_LEN = 8192  # when max_seq_len is not set: this much, or less if the card cannot hold it
SMALLEST_AUTO_SEQ_LEN = 2048
PAGED_FLASH_ATTN = (2, 5, 7)


def _flash_attn_version() -> tuple[int, ...] | None:
    try:
        module = importlib.import_module("flash_attn")
    except Exception:  # absent, or built for another torch
        return None
    found = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", str(getattr(module, "__version__", "")))
    if found is None:
        return None
    return tuple(int(part or 0) for part in found.groups())


def _gpus_are_ampere_or_newer() -> bool:
    """flash-attn 2 needs compute capability 8.0+ on every card (TabbyAPI checks the same)."""
    try:
        import torch
    except ImportError:
        return False
    count = torch.cuda.device_count()
    return count > 0 and all(torch.cuda.get_device_capability(i)[0] >= 8 for i in range(count))


def paged_attention_usable(config: Any) -> bool:
    if getattr(config, "no_flash_attn", False):
        return False
    version = _flash_attn_version()
    return version is not None and version >= PAGED_FLASH_ATTN and _gpus_are_ampere_or_newer()


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


def _free_cuda_memory() -> None:
    gc.collect()
    with contextlib.suppress(Exception):
        import torch

        torch.cuda.empty_cache()


class ExLlamaV2Backend(Backend):
    name = "exllamav2"

    def __init__(
        self,
        model_dir: Path,
        max_seq_len: int | None = None,
        cache: str = "q4",
        gpu_split: str | list[float] = "auto",
        max_batch_size: int = 1,
        chat_template: str = "auto",
        chat_template_fallback: str = "chatml",
    ) -> None:
        super().__init__()
        self.model_dir = Path(model_dir)
        self.requested_seq_len = max_seq_len
        self.cache_kind = cache
        self.gpu_split = gpu_split
        self.max_batch_size = max_batch_size
        self.chat_template_choice = chat_template
        self.chat_template_fallback = chat_template_fallback
        self.seq_len: int | None = None
        self.paged: bool | None = None
        self._lib: Any = None
        self._gen_lib: Any = None
        self._config: Any = None
        self._model: Any = None
        self._cache: Any = None
        self._tokenizer: Any = None
        self._template: ChatTemplate | None = None
        self._stop_ids: list[int] = []
        self._add_bos = False
        self._worker: GeneratorThread | None = None
        self._load_lock = threading.Lock()

    def describe(self) -> str:
        detail = f"{self.cache_kind} cache"
        if self.seq_len:
            detail = f"{self.seq_len} tokens, {detail}, {'paged' if self.paged else 'unpaged'}"
        return f"exllamav2 @ {self.model_dir} ({detail})"

    def _settings(self, seq_len: int | None = None) -> LoadSettings:
        size = seq_len or self.seq_len or self.requested_seq_len or AUTO_SEQ_LEN
        return LoadSettings(self.model_dir, size, self.cache_kind, self.gpu_split)

    # -- loading --------------------------------------------------------------------------------

    def load(self, progress: ProgressCallback | None = None) -> None:
        with self._load_lock:
            if self._worker is not None:
                return
            self._check_files()
            self._import_library()
            try:
                self._load_model(progress)
                self._prepare_prompting()
                self._start_worker()
            except EngineError:
                self._unload()
                raise
            except Exception as exc:
                self._unload()
                raise EngineError(explain_failure(exc, self._settings())) from None

    def _check_files(self) -> None:
        if not self.model_dir.is_dir():
            raise EngineError(f"the model folder {self.model_dir} does not exist")
        for needed in ("config.json", "tokenizer.json"):
            if not (self.model_dir / needed).is_file():
                raise EngineError(
                    explain_failure(FileNotFoundError(f"Can't find {needed}"), self._settings())
                )

    def _import_library(self) -> None:
        try:
            self._lib = importlib.import_module("exllamav2")
            self._gen_lib = importlib.import_module("exllamav2.generator")
        except Exception as exc:  # ImportError, or OSError/RuntimeError from CUDA and the extension
            raise EngineError(explain_import_failure(exc)) from None

    def _load_model(self, progress: ProgressCallback | None) -> None:
        lib = self._lib
        config = lib.ExLlamaV2Config(str(self.model_dir))
        config.arch_compat_overrides(quiet=True)
        native = int(config.max_seq_len)
        # Beyond the model's trained length needs RoPE scaling, which we do not configure.
        ceiling = max(PAGE, native // PAGE * PAGE)
        if self.requested_seq_len is not None:
            sizes = [min(self.requested_seq_len, ceiling)]
        else:
            first = min(AUTO_SEQ_LEN, ceiling)
            sizes = [first]
            while sizes[-1] // 2 >= SMALLEST_AUTO_SEQ_LEN:
                sizes.append(sizes[-1] // 2)
        for attempt, seq_len in enumerate(sizes):
            try:
                self._load_at(config, seq_len, progress)
                self.seq_len = seq_len
                self._config = config
                return
            except Exception as exc:
                self._unload()
                if attempt + 1 == len(sizes) or not _is_out_of_memory(exc):
                    raise EngineError(explain_failure(exc, self._settings(seq_len))) from None
                if progress:
                    progress(LoadProgress(0, 1, f"{seq_len} tokens do not fit; trying {sizes[attempt + 1]}"))

    def _load_at(self, config: Any, seq_len: int, progress: ProgressCallback | None) -> None:
        lib = self._lib
        config.max_seq_len = seq_len  # before the model is built: it sizes the RoPE tables
        config.max_output_len = 16  # text only: no need for full-length logits (as TabbyAPI does)
        self._model = model = lib.ExLlamaV2(config)
        cache_class = getattr(lib, CACHE_CLASSES[self.cache_kind])

        def report(index: int, total: int) -> None:
            if progress:
                progress(LoadProgress(index, total, f"loading layer {index}/{total} ({seq_len}-token cache)"))

        if self.gpu_split == "auto":
            self._cache = cache_class(model, max_seq_len=seq_len, lazy=True)
            model.load_autosplit(self._cache, callback=report)
        else:
            model.load(list(self.gpu_split), callback=report)
            self._cache = cache_class(model, max_seq_len=seq_len)
        self._tokenizer = lib.ExLlamaV2Tokenizer(config)

    def _prepare_prompting(self) -> None:
        self._template = find_chat_template(
            self.model_dir, self.chat_template_fallback, self.chat_template_choice
        )
        tokenizer, config = self._tokenizer, self._config
        stop: list[int] = []
        eos = (getattr(config, "generation_config", None) or {}).get("eos_token_id") or []
        stop.extend(eos if isinstance(eos, list) else [eos])
        if tokenizer.eos_token_id is not None:
            stop.append(tokenizer.eos_token_id)
        for marker in self._template.end_markers():
            token_id = tokenizer.single_id(marker)
            if token_id is not None:
                stop.append(token_id)
        self._stop_ids = list(dict.fromkeys(int(t) for t in stop))
        settings = self._tokenizer_settings()
        self._add_bos = bool(settings.get("add_bos_token", False))

    def _tokenizer_settings(self) -> dict[str, Any]:
        try:
            data = json.loads((self.model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _start_worker(self) -> None:
        self.paged = paged_attention_usable(self._config)
        # Unpaged mode runs one job at a time (the library's limit).
        batch = self.max_batch_size if self.paged else 1
        model, cache, tokenizer = self._model, self._cache, self._tokenizer
        generator_class = self._gen_lib.ExLlamaV2DynamicGenerator

        def make_generator() -> Any:
            return generator_class(
                model=model, cache=cache, tokenizer=tokenizer, max_batch_size=batch, paged=self.paged
            )

        worker = GeneratorThread(make_generator)
        worker.start()
        self._worker = worker

    # -- prompts and counting -------------------------------------------------------------------

    def _require_loaded(self) -> None:
        if self._worker is None:
            self.load()

    def render_prompt(self, messages: list[ChatMessage]) -> str:
        self._require_loaded()
        assert self._template is not None
        return render_chat(
            self._template,
            messages,
            bos_token=self._tokenizer.bos_token or "",
            eos_token=self._tokenizer.eos_token or "",
        )

    def _encode(self, prompt: str) -> Any:
        bos = self._tokenizer.bos_token or ""
        # Most templates write the BOS text themselves; add the id only when they don't.
        add_bos = self._add_bos and not (bos and prompt.startswith(bos))
        return self._tokenizer.encode(prompt, add_bos=add_bos, encode_special_tokens=True)

    def count_tokens(self, messages: list[ChatMessage]) -> TokenCount:
        ids = self._encode(self.render_prompt(messages))
        return TokenCount(int(ids.shape[-1]), exact=True)

    def max_context(self) -> int | None:
        return self.seq_len

    def max_concurrent_streams(self) -> int:
        """Jobs batched together in the one generator: max_batch_size when paged, else one at a time
        (more streams still work; the generator thread queues them)."""
        if self._worker is None or not self.paged:
            return 1
        return max(1, self.max_batch_size)

    # -- generation -----------------------------------------------------------------------------

    def _generate(self, request: GenerationRequest, cancel: threading.Event) -> Iterator[StreamItem]:
        ids = self._encode(self.render_prompt(request.messages))
        prompt_tokens = int(ids.shape[-1])
        assert self.seq_len is not None and self._worker is not None
        room = self.seq_len - prompt_tokens
        if room < 1:
            raise EngineError(
                f"the prompt has {prompt_tokens} tokens but the model's context is {self.seq_len}; "
                "shorten the task's context or raise max_seq_len"
            )
        max_new = max(1, min(request.settings.max_new_tokens, room))
        job_class = self._gen_lib.ExLlamaV2DynamicJob
        gen_settings = sampler_settings(self._gen_lib.ExLlamaV2Sampler, request.settings)
        stop_conditions = [*self._stop_ids, *[s for s in request.settings.stop if s]]

        def make_job(identifier: int) -> Any:
            return job_class(
                input_ids=ids,
                max_new_tokens=max_new,
                gen_settings=gen_settings,
                stop_conditions=stop_conditions,
                seed=request.settings.seed,
                identifier=identifier,
            )

        work = GenerationWork(make_job=make_job, cancel=cancel)
        self._worker.submit(work)
        while True:
            item = work.results.get()
            if isinstance(item, Chunk):
                yield item
            elif isinstance(item, WorkCancelled):
                yield FinalRecord("cancelled", prompt_tokens, item.new_tokens, None, None, False)
                return
            elif isinstance(item, WorkFailed):
                raise EngineError(explain_failure(item.error, self._settings()))
            elif isinstance(item, WorkFinished):
                yield self._final_record(item.result, prompt_tokens)
                return

    @staticmethod
    def _final_record(result: dict[str, Any], prompt_tokens: int) -> FinalRecord:
        new_tokens = int(result.get("new_tokens", 0))
        generate_time = float(result.get("time_generate") or 0.0)
        enqueued, prefill = result.get("time_enqueued"), result.get("time_prefill")
        first_token = (
            float(enqueued) + float(prefill) if enqueued is not None and prefill is not None else None
        )
        return FinalRecord(
            finish_reason="length" if result.get("eos_reason") == "max_new_tokens" else "stop",
            prompt_tokens=int(result.get("prompt_tokens", prompt_tokens)),
            new_tokens=new_tokens,
            time_to_first_token=first_token,
            tokens_per_second=new_tokens / generate_time if generate_time > 0 else None,
            tokens_estimated=False,
        )

    # -- shutting down --------------------------------------------------------------------------

    def _unload(self) -> None:
        if self._model is not None:
            with contextlib.suppress(Exception):
                self._model.unload()
        self._model = self._cache = self._tokenizer = None
        _free_cuda_memory()

    def close(self) -> None:
        self.cancel()
        with self._load_lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None
            self._unload()


def _is_out_of_memory(exc: BaseException) -> bool:
    text = str(exc).lower()
    return type(exc).__name__ == "OutOfMemoryError" or "out of memory" in text or "insufficient vram" in text
