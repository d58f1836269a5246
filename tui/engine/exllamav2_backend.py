"""In-process ExLlamaV2 0.3.2 backend (reference/exllamav2.md). exllamav2 is imported in `load()`
only: it needs CUDA and cannot even be imported elsewhere."""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tui.engine import exllamav2_env
from tui.engine.base import (
    Backend,
    ChatMessage,
    Chunk,
    EngineError,
    FinalRecord,
    GenerationRequest,
    LoadProgress,
    ProgressCallback,
    StreamItem,
    TokenCount,
)
from tui.engine.chat_template import ChatTemplate, find_chat_template, render_chat
from tui.engine.exllamav2_env import AttentionPlan
from tui.engine.exllamav2_errors import (
    LoadSettings,
    explain_failure,
    explain_import_failure,
    explain_missing_toolchain,
)
from tui.engine.exllamav2_jobs import final_record, sampler_settings
from tui.engine.exllamav2_sizing import AUTO_SEQ_LEN, is_out_of_memory, load_candidates, retry_message
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
COMPILING = "compiling exllamav2's CUDA extension (first use only; minutes)"


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
        cache_tokens: int | None = None,
        no_flash_attn: bool = False,
    ) -> None:
        super().__init__()
        self.model_dir = Path(model_dir)
        self.requested_seq_len = max_seq_len
        self.cache_kind = cache
        self.gpu_split = gpu_split
        self.max_batch_size = max_batch_size
        self.requested_cache_tokens = cache_tokens
        self.force_no_flash_attn = no_flash_attn  # what a Turing card gets, on any card (smoke test)
        self.cache_tokens: int | None = None
        self.attention: AttentionPlan | None = None
        self.close_timeout = 10.0  # seconds to wait for a forward pass before leaving the unload to it
        self.chat_template_choice = chat_template
        self.chat_template_fallback = chat_template_fallback
        self.seq_len: int | None = None
        self.paged: bool | None = None
        self._lib: Any = None
        self._gen_lib: Any = None
        self._attn_lib: Any = None
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
            mode = f"paged, {self.max_concurrent_streams()} at once" if self.paged else "unpaged"
            detail = f"{self.seq_len} tokens, {self.cache_tokens}-token {detail}, {mode}"
        return f"exllamav2 @ {self.model_dir} ({detail})"

    def _settings(self, seq_len: int | None = None, cache_tokens: int | None = None) -> LoadSettings:
        size = seq_len or self.seq_len or self.requested_seq_len or AUTO_SEQ_LEN
        cache = cache_tokens or self.cache_tokens or size
        return LoadSettings(self.model_dir, size, self.cache_kind, self.gpu_split, cache)

    # -- loading --------------------------------------------------------------------------------

    def load(self, progress: ProgressCallback | None = None) -> None:
        with self._load_lock:
            if self._worker is not None:
                return
            self._check_files()
            self._import_library(progress)
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

    def _import_library(self, progress: ProgressCallback | None) -> None:
        imported = _library_imported()
        if not imported and not _installed("exllamav2"):
            raise EngineError(explain_import_failure(ModuleNotFoundError("No module named 'exllamav2'")))
        # Before the import: without a GPU, importing would only fail on a missing CUDA toolkit.
        gpus = exllamav2_env.probe_torch()
        if gpus.error is not None:
            raise EngineError(f"{gpus.error}; ExLlamaV2 needs an NVIDIA (CUDA) or AMD (ROCm) GPU")
        if not imported:
            # Without a toolchain the first import fails after a long wait; with one it compiles
            # for minutes, and the user should know why nothing moves.
            status = exllamav2_env.extension_status()
            if status.state == "cannot-compile":
                raise EngineError(explain_missing_toolchain(status.missing))
            if status.state == "compile" and progress:
                progress(LoadProgress(0, 1, COMPILING))
        try:
            self._lib = importlib.import_module("exllamav2")
            self._gen_lib = importlib.import_module("exllamav2.generator")
            self._attn_lib = importlib.import_module("exllamav2.attn")
        except Exception as exc:  # ImportError, or OSError/RuntimeError from CUDA and the extension
            raise EngineError(explain_import_failure(exc)) from None
        self.attention = exllamav2_env.attention_plan(gpus)
        if self.force_no_flash_attn:
            self.attention = AttentionPlan(True, "flash-attn is off by request")

    def _load_model(self, progress: ProgressCallback | None) -> None:
        lib = self._lib
        assert self.attention is not None
        config = lib.ExLlamaV2Config(str(self.model_dir))
        config.arch_compat_overrides(quiet=True)
        if self.attention.no_flash_attn:
            config.no_flash_attn = True  # before the model is built; attention reads it per call
        self.paged = bool(self._attn_lib.has_flash_attn_with_paged) and not config.no_flash_attn
        candidates = load_candidates(
            int(config.max_seq_len),
            self.requested_seq_len,
            self.max_batch_size,
            self.paged,
            self.requested_cache_tokens,
        )
        for attempt, (seq_len, cache_tokens) in enumerate(candidates):
            try:
                self._load_at(config, seq_len, cache_tokens, progress)
                self.seq_len, self.cache_tokens = seq_len, cache_tokens
                self._config = config
                return
            except Exception as exc:
                self._unload()
                if attempt + 1 == len(candidates) or not is_out_of_memory(exc):
                    raise EngineError(explain_failure(exc, self._settings(seq_len, cache_tokens))) from None
                if progress:
                    progress(
                        LoadProgress(0, 1, retry_message((seq_len, cache_tokens), candidates[attempt + 1]))
                    )

    def _load_at(
        self, config: Any, seq_len: int, cache_tokens: int, progress: ProgressCallback | None
    ) -> None:
        lib = self._lib
        config.max_seq_len = seq_len  # before the model is built: it sizes the RoPE tables
        config.max_output_len = 16  # text only: no need for full-length logits (as TabbyAPI does)
        self._model = model = lib.ExLlamaV2(config)
        cache_class = getattr(lib, CACHE_CLASSES[self.cache_kind])

        def report(index: int, total: int) -> None:
            if progress:
                message = f"loading layer {index}/{total} ({cache_tokens}-token cache)"
                progress(LoadProgress(index, total, message))

        if self.gpu_split == "auto":
            self._cache = cache_class(model, max_seq_len=cache_tokens, lazy=True)
            model.load_autosplit(self._cache, callback=report)
        else:
            model.load(list(self.gpu_split), callback=report)
            self._cache = cache_class(model, max_seq_len=cache_tokens)
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
        # Unpaged mode runs one job at a time (its single page is the whole cache).
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
        """Jobs the generator can run together: as many full-context jobs as the shared cache holds
        (each reserves prompt + max_new_tokens pages), at most max_batch_size; one when unpaged.
        More streams still work: the generator queues them."""
        if self._worker is None or not self.paged or not self.seq_len or not self.cache_tokens:
            return 1
        return max(1, min(self.max_batch_size, self.cache_tokens // self.seq_len))

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
                yield final_record(item.result, prompt_tokens)
                return

    # -- shutting down --------------------------------------------------------------------------

    def _unload(self) -> None:
        _unload_model(self._model, self._cache)
        self._model = self._cache = self._tokenizer = None

    def close(self) -> None:
        self.cancel()
        with self._load_lock:
            worker, self._worker = self._worker, None
            if worker is not None and not worker.stop(self.close_timeout):
                # A forward pass is still running on the GPU: freeing the model under it would
                # crash it, so the generator thread unloads when the pass ends.
                model, cache = self._model, self._cache
                self._model = self._cache = self._tokenizer = None
                if worker.finish_with(lambda: _unload_model(model, cache)):
                    return
                self._model, self._cache = model, cache
            self._unload()


def _unload_model(model: Any, cache: Any) -> None:
    if model is not None:
        with contextlib.suppress(Exception):
            model.unload()
    del model, cache
    _free_cuda_memory()


def _library_imported() -> bool:
    return sys.modules.get("exllamav2") is not None


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
