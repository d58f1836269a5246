"""STAND-IN for `exllamav2.generator` (0.3.2): see the package docstring. Not the real library."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from . import STATE as _FIRST_STATE
from . import attn

PAGE = 256  # PAGED_PAGE_SIZE

STATE_REF = [_FIRST_STATE]  # reset() swaps the state object; the generator reads it from here


def _state():
    return STATE_REF[0]


class ExLlamaV2Sampler:
    @dataclass
    class Settings:
        temperature: float = 0.8
        top_k: int = 50
        top_p: float = 0.8
        top_a: float = 0.0
        min_p: float = 0.0
        typical: float = 0.0
        token_repetition_penalty: float = 1.025

        @staticmethod
        def greedy(**kwargs: Any) -> ExLlamaV2Sampler.Settings:
            return ExLlamaV2Sampler.Settings(
                top_k=1, top_p=0.0, temperature=1.0, token_repetition_penalty=1.0, **kwargs
            )


class ExLlamaV2DynamicJob:
    def __init__(
        self,
        input_ids,
        max_new_tokens,
        min_new_tokens=0,
        max_skips=4,
        gen_settings=None,
        seed=None,
        stop_conditions=None,
        decode_special_tokens=False,
        return_top_tokens=0,
        return_logits=False,
        return_probs=False,
        filters=None,
        filter_prefer_eos=False,
        token_healing=False,
        identifier=None,
        banned_strings=None,
        embeddings=None,
        **kwargs,
    ) -> None:
        assert input_ids.shape[0] == 1, (
            "input_ids must be [1, seq_len] tensor or list of [1, seq_len] tensors"
        )
        assert input_ids.shape[-1] > 0, "Input IDs cannot be empty."
        self.input_ids = input_ids
        self.max_new_tokens = max_new_tokens
        self.gen_settings = gen_settings or ExLlamaV2Sampler.Settings()
        self.seed = seed
        self.stop_conditions = list(stop_conditions) if stop_conditions is not None else []
        self.identifier = identifier
        self.new_tokens = 0
        self.full_completion = ""
        self.held_text = ""
        self.held_tokens: list[int] = []
        self.prefilled = False
        self.generator: Any = None
        self.stop_tokens = {c for c in self.stop_conditions if isinstance(c, int)}
        self.stop_strings = [c for c in self.stop_conditions if isinstance(c, str)]
        _state().record("job.init", job=self)

    def result(self, stage: str, **more: Any) -> dict[str, Any]:
        r: dict[str, Any] = {"job": self, "stage": stage, "eos": False, "serial": 1, **more}
        if self.identifier is not None:
            r["identifier"] = self.identifier
        return r

    def _emit_held(self, r: dict[str, Any]) -> None:
        if self.held_text:
            self.full_completion += self.held_text
            r["text"] = self.held_text
            self.held_text = ""
        if self.held_tokens:
            r["token_ids"] = _Ids(self.held_tokens)
            self.held_tokens = []

    def stream_held(self) -> dict[str, Any]:
        """Emit what is held unless it may begin a stop string; end on a whole stop string."""
        r = self.result("streaming")
        for stop in self.stop_strings:
            at = self.held_text.find(stop)
            if at >= 0:
                rest, self.held_text = self.held_text[at:], self.held_text[:at]
                done = self.finish("stop_string", emit_held=True, eos_triggering_string=stop)
                done["held"] = {"text": rest}
                return done
        if any(
            stop.startswith(self.held_text[i:])
            for stop in self.stop_strings
            for i in range(len(self.held_text))
        ):
            return r  # held back: no text, no token_ids
        self._emit_held(r)
        return r

    def finish(self, reason: str, emit_held: bool = False, **more: Any) -> dict[str, Any]:
        r = self.result("streaming", eos_reason=reason, **more)
        if emit_held:
            self._emit_held(r)
        r.update(
            eos=True,
            full_completion=self.full_completion,
            new_tokens=self.new_tokens,
            prompt_tokens=self.input_ids.shape[-1],
            time_enqueued=0.01,
            time_prefill=0.09,
            time_generate=0.5,
            cached_pages=0,
            cached_tokens=0,
        )
        held: dict[str, Any] = {}
        if self.held_text:
            held["text"] = self.held_text
        if self.held_tokens:
            held["token_ids"] = _Ids(self.held_tokens)
        if held:
            r["held"] = held
        if self.generator is not None and self in self.generator.active_jobs:
            self.generator.active_jobs.remove(self)  # its pages are free again
        return r


class ExLlamaV2DynamicGenerator:
    """Pages, scheduling and result dicts as in generator/dynamic.py: jobs start when their pages
    (prompt + max_new_tokens) are free; unpaged, the whole cache is one page, so one job runs at a
    time; text that may begin a stop string is held back, and a stop-token end leaves it in
    `held` only; results carry `token_ids` only when text is emitted."""

    def __init__(
        self,
        model,
        cache,
        tokenizer,
        max_batch_size=None,
        max_seq_len=None,
        max_chunk_size=None,
        max_q_size=8,
        draft_model=None,
        draft_cache=None,
        num_draft_tokens=4,
        use_ngram_draft=False,
        max_ngram=4,
        max_sampling_threads=16,
        min_sampling_threads=3,
        paged=True,
        filter_background_eval=True,
        **kwargs,
    ) -> None:
        state = _state()
        state.record("generator.init", paged=paged, max_batch_size=max_batch_size)
        if state.generator_error is not None:
            error, state.generator_error = state.generator_error, None
            raise error
        cfg = model.config
        if paged:
            attn.assert_paged_attn()
            assert not cfg.no_flash_attn, (
                "Paged mode requires flash-attn, but flash-attn is disabled in model config."
            )
        assert cache.kind != "fp8", (
            "Dynamic generator does not currently work with 8-bit cache. Use either FP16 or Q4."
        )
        self.max_batch_size = max_batch_size or cfg.max_input_len // max_q_size
        self.paged = paged
        self.page_size = PAGE if paged else cache.max_seq_len
        assert cache.batch_size == 1, "DynamicGenerator requires cache to have batch_size = 1"
        assert cache.max_seq_len % PAGE == 0, (
            f"cache.max_seq_len must be multiple of {PAGE}, received {cache.max_seq_len}"
        )
        self.max_pages = max(cache.max_seq_len // self.page_size, 1)
        self.model, self.cache, self.tokenizer = model, cache, tokenizer
        self.pending_jobs: list[ExLlamaV2DynamicJob] = []
        self.active_jobs: list[ExLlamaV2DynamicJob] = []
        state.generators.append(self)

    def _pages(self, job: ExLlamaV2DynamicJob) -> int:
        return math.ceil((job.input_ids.shape[-1] + job.max_new_tokens) / self.page_size)

    def enqueue(self, job: ExLlamaV2DynamicJob) -> int:
        pages = self._pages(job)
        if pages > self.max_pages:
            raise AssertionError(
                f"Job requires {pages} pages (only {self.max_pages} available) and cannot be enqueued. "
                f"Total cache allocated is {self.max_pages} * {self.page_size} = {self.cache.max_seq_len} tokens"
            )
        _state().record("generator.enqueue", job=job)
        job.generator = self
        self.pending_jobs.append(job)
        return len(self.pending_jobs)

    def num_remaining_jobs(self) -> int:
        return len(self.pending_jobs) + len(self.active_jobs)

    def clear_queue(self) -> None:
        _state().record("generator.clear_queue")
        self.pending_jobs.clear()
        self.active_jobs.clear()

    def cancel(self, job: ExLlamaV2DynamicJob) -> None:
        _state().record("generator.cancel", job=job)
        if job in self.pending_jobs:
            self.pending_jobs.remove(job)
        elif job in self.active_jobs:
            self.active_jobs.remove(job)

    def iterate(self) -> list[dict[str, Any]]:
        state = _state()
        state.record("generator.iterate", active=len(self.active_jobs))
        if state.passes is not None:
            state.passes.acquire()
        state.in_forward_pass.set()
        state.forward_pass_may_end.wait()
        state.in_forward_pass.clear()
        try:
            return self._iterate(state)
        finally:
            state.passes_done.release()

    def _iterate(self, state: Any) -> list[dict[str, Any]]:
        if state.iterate_error is not None:
            raise state.iterate_error
        results: list[dict[str, Any]] = []
        self._start_jobs(results)
        for job in list(self.active_jobs):
            if not job.prefilled:
                job.prefilled = True
                prompt = job.input_ids.shape[-1]
                results.append(job.result("prefill", curr_progress=prompt, max_progress=prompt))
                continue
            self._generate_one(job, state.script, results)
        if self.active_jobs:
            _flash_attn_refuses_this_gpu(self.model.config)
        return results

    def _start_jobs(self, results: list[dict[str, Any]]) -> None:
        used = sum(self._pages(job) for job in self.active_jobs)
        for job in list(self.pending_jobs):
            if len(self.active_jobs) >= self.max_batch_size or used + self._pages(job) > self.max_pages:
                break
            self.pending_jobs.remove(job)
            self.active_jobs.append(job)
            used += self._pages(job)
            results.append(job.result("started"))
        _state().record("generator.scheduled", active=len(self.active_jobs), pending=len(self.pending_jobs))

    def _generate_one(self, job: ExLlamaV2DynamicJob, script: list[str], results: list) -> None:
        piece = script[job.new_tokens % len(script)]
        token_id = self.tokenizer.single_id(piece)
        token_id = token_id if token_id is not None else 5000 + job.new_tokens
        job.new_tokens += 1
        # special tokens decode to "" without decode_special_tokens (get_id_to_piece_list(False))
        job.held_text += "" if token_id in self.tokenizer.special.values() else piece
        job.held_tokens.append(token_id)
        if token_id in job.stop_tokens:
            results.append(
                job.finish("stop_token", eos_triggering_token_id=token_id, eos_triggering_token_str=piece)
            )
        elif job.new_tokens >= job.max_new_tokens:
            results.append(job.finish("max_new_tokens", emit_held=True))
        else:
            results.append(job.stream_held())

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("the stand-in models iterate() only")


def _flash_attn_refuses_this_gpu(config: Any) -> None:
    from . import _flash_attn_refuses_this_gpu as check

    check(config)


class _Ids:
    def __init__(self, ids: list[int]) -> None:
        self.ids = list(ids)
        self.shape = (1, len(ids))
