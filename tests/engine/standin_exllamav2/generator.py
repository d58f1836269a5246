"""STAND-IN for `exllamav2.generator` (0.3.2): see the package docstring. Not the real library."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from . import STATE as _FIRST_STATE

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
        self.completion = ""
        _state().record("job.init", job=self)


class ExLlamaV2DynamicGenerator:
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
        if paged:
            assert state.flash_attn_ok, "Paged attention required Flash Attention 2.5.7 or later"
        assert cache.batch_size == 1
        assert cache.max_seq_len % 256 == 0, (
            f"cache.max_seq_len must be multiple of 256, received {cache.max_seq_len}"
        )
        if not paged:
            assert max_batch_size in (None, 1), "unpaged mode supports batch size 1 only"
        self.cache, self.tokenizer, self.paged, self.max_batch_size = cache, tokenizer, paged, max_batch_size
        self.jobs: list[ExLlamaV2DynamicJob] = []
        state.generators.append(self)
        state.record("generator.init", paged=paged, max_batch_size=max_batch_size)

    def enqueue(self, job: ExLlamaV2DynamicJob) -> int:
        pages = math.ceil((job.input_ids.shape[-1] + job.max_new_tokens) / 256)
        available = self.cache.max_seq_len // 256
        if pages > available:
            raise AssertionError(
                f"Job requires {pages} pages (only {available} available) and cannot be enqueued. "
                f"Total cache allocated is {available} * 256 = {self.cache.max_seq_len} tokens"
            )
        _state().record("generator.enqueue", job=job)
        self.jobs.append(job)
        return len(self.jobs)

    def num_remaining_jobs(self) -> int:
        return len(self.jobs)

    def cancel(self, job: ExLlamaV2DynamicJob) -> None:
        _state().record("generator.cancel", job=job)
        if job in self.jobs:
            self.jobs.remove(job)

    def iterate(self) -> list[dict[str, Any]]:
        state = _state()
        state.record("generator.iterate")
        if state.iterate_delay:
            time.sleep(state.iterate_delay)
        if state.iterate_error is not None:
            raise state.iterate_error
        results = []
        for job in list(self.jobs):
            results.append(self._step(job, state.script))
        return results

    def _step(self, job: ExLlamaV2DynamicJob, script: list[str]) -> dict[str, Any]:
        piece = script[job.new_tokens % len(script)]
        token_id = self.tokenizer.single_id(piece)
        token_id = token_id if token_id is not None else 5000 + job.new_tokens
        job.new_tokens += 1
        result: dict[str, Any] = {
            "job": job,
            "stage": "streaming",
            "eos": False,
            "serial": 1,
            "identifier": job.identifier,
            "token_ids": _Ids(1),
        }
        reason = None
        if token_id in job.stop_conditions:
            reason = "stop_token"
        else:
            job.completion += piece
            result["text"] = piece
            for stop in (s for s in job.stop_conditions if isinstance(s, str)):
                if stop in job.completion:
                    reason = "stop_string"
                    cut = job.completion.index(stop)
                    result["text"] = piece[: max(0, len(piece) - (len(job.completion) - cut))]
                    job.completion = job.completion[:cut]
                    break
        if reason is None and job.new_tokens >= job.max_new_tokens:
            reason = "max_new_tokens"
        if reason is not None:
            self.jobs.remove(job)
            result.update(
                eos=True,
                eos_reason=reason,
                full_completion=job.completion,
                new_tokens=job.new_tokens,
                prompt_tokens=job.input_ids.shape[-1],
                time_enqueued=0.01,
                time_prefill=0.09,
                time_generate=0.5,
                cached_pages=0,
                cached_tokens=0,
                held={},
            )
        return result


class _Ids:
    def __init__(self, n: int) -> None:
        self.shape = (1, n)
