"""STAND-IN for the `exllamav2` package (0.3.2), for tests on machines without a CUDA GPU.

This is NOT exllamav2. It follows the signatures, assertions and result dicts documented in
/work/shared/reference/exllamav2.md closely enough to check what Patchbay's adapter calls and how
it maps the results; nothing here touches a GPU. Tests inject it as `exllamav2` and
`exllamav2.generator` through sys.modules. Everything it is asked to do is recorded in `STATE`.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StandInState:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Largest cache (in tokens) the pretend card holds; bigger ones fail like load_autosplit does.
    vram_tokens: int = 1 << 20
    flash_attn_ok: bool = False  # what the library's own paged-attention check would find
    script: list[str] = field(default_factory=lambda: ["Hello", ",", " world", "<|im_end|>"])
    iterate_error: BaseException | None = None
    generators: list[Any] = field(default_factory=list)
    thread_ids: dict[str, set[int]] = field(default_factory=dict)
    iterate_delay: float = 0.0  # seconds each iterate() takes, like a forward pass

    def record(self, what: str, **details: Any) -> None:
        self.calls.append((what, details))
        self.thread_ids.setdefault(what, set()).add(threading.get_ident())

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


STATE = StandInState()


def reset() -> StandInState:
    global STATE
    STATE = StandInState()
    from . import generator

    generator.STATE_REF[0] = STATE
    return STATE


class ExLlamaV2Config:
    def __init__(self, model_dir: str | None = None) -> None:
        self.max_batch_size = 1
        self.max_input_len = 2048
        self.max_output_len = None
        self.no_flash_attn = "EXLLAMA_NO_FLASH_ATTN" in os.environ
        self.generation_config: dict[str, Any] = {}
        self.model_dir = model_dir
        if model_dir is not None:
            self.prepare()

    def prepare(self, no_tensors: bool = False) -> None:
        path = os.path.join(self.model_dir, "config.json")
        assert os.path.exists(path), "Can't find " + path
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        self.num_hidden_layers = data["num_hidden_layers"]
        self.max_seq_len = data.get("max_position_embeddings", 2048)
        self.bos_token_id = data.get("bos_token_id", 1)
        eos = data.get("eos_token_id", 2)
        self.eos_token_id = eos[0] if isinstance(eos, list) else eos
        gen_path = os.path.join(self.model_dir, "generation_config.json")
        if os.path.exists(gen_path):
            with open(gen_path, encoding="utf-8") as handle:
                gen = json.load(handle)
            ids = gen.get("eos_token_id")
            self.generation_config["eos_token_id"] = ids if isinstance(ids, list) else [ids]
        STATE.record("config.prepare", model_dir=self.model_dir)

    def arch_compat_overrides(self, quiet: bool = False, warn_only: bool = False) -> None:
        STATE.record("config.arch_compat_overrides", quiet=quiet)


class ExLlamaV2:
    def __init__(self, config: ExLlamaV2Config, lazy_load: bool = False, archparams: Any = None) -> None:
        self.config = config
        self.modules = list(range(2 * config.num_hidden_layers + 3))
        STATE.record("model.init", max_seq_len=config.max_seq_len, max_output_len=config.max_output_len)

    def _report(self, callback: Any) -> None:
        total = len(self.modules)
        for index in range(total):
            if callback:
                callback(index, total)
        if callback:
            callback(total, total)

    def load(self, gpu_split=None, lazy=False, stats=False, callback=None, callback_gen=None, progress=False):
        assert not (progress and callback), (
            "Cannot use callback function and console progress bar at the same time."
        )
        STATE.record("model.load", gpu_split=gpu_split)
        self._report(callback)

    def load_autosplit(
        self, cache, reserve_vram=None, last_id_only=False, callback=None, callback_gen=None, progress=False
    ):
        assert not (progress and callback), (
            "Cannot use callback function and console progress bar at the same time."
        )
        assert cache.lazy, "load_autosplit needs a lazy cache"
        STATE.record("model.load_autosplit", cache=cache)
        self._report(callback)
        if cache.max_seq_len > STATE.vram_tokens:
            raise RuntimeError("Insufficient VRAM for model and cache")

    def unload(self) -> None:
        STATE.record("model.unload")


class ExLlamaV2CacheBase:
    kind = "base"

    def __init__(
        self,
        model,
        batch_size=1,
        max_seq_len=-1,
        copy_from=None,
        lazy=False,
        num_key_value_heads=None,
        fixed_device=None,
    ) -> None:
        self.model = model
        self.batch_size = batch_size
        self.max_seq_len = model.config.max_seq_len if max_seq_len == -1 else max_seq_len
        self.lazy = lazy
        STATE.record("cache.init", kind=self.kind, max_seq_len=self.max_seq_len, lazy=lazy)


class ExLlamaV2Cache(ExLlamaV2CacheBase):
    kind = "fp16"


class ExLlamaV2Cache_Q4(ExLlamaV2CacheBase):
    kind = "q4"


class ExLlamaV2Cache_Q6(ExLlamaV2CacheBase):
    kind = "q6"


class ExLlamaV2Cache_Q8(ExLlamaV2CacheBase):
    kind = "q8"


class ExLlamaV2Cache_8bit(ExLlamaV2CacheBase):
    kind = "fp8"


class TokenIds:
    """What `encode` returns: shaped like a (1, n) tensor."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.shape = (1, len(ids))


class ExLlamaV2Tokenizer:
    """Every character is a token, except special tokens (from tokenizer.json added_tokens)."""

    def __init__(self, config, lazy_init=True, force_json=False, force_spm=False) -> None:
        assert not force_spm, "Sentencepiece is no longer supported"
        path = os.path.join(config.model_dir, "tokenizer.json")
        if not os.path.exists(path):
            raise FileNotFoundError("No supported tokenizer found.")
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        self.special = {t["content"]: t["id"] for t in data.get("added_tokens", [])}
        self.eos_token_id = config.eos_token_id
        self.bos_token_id = config.bos_token_id
        by_id = {v: k for k, v in self.special.items()}
        self.eos_token = by_id.get(self.eos_token_id)
        self.bos_token = by_id.get(self.bos_token_id)

    def single_id(self, piece: str) -> int | None:
        return self.special.get(piece)

    def encode(
        self,
        text,
        add_bos=False,
        add_eos=False,
        encode_special_tokens=False,
        return_offsets=False,
        embeddings=None,
    ) -> TokenIds:
        STATE.record(
            "tokenizer.encode", text=text, add_bos=add_bos, encode_special_tokens=encode_special_tokens
        )
        ids = [self.bos_token_id] if add_bos else []
        index = 0
        while index < len(text):
            for piece, token_id in self.special.items():
                if encode_special_tokens and text.startswith(piece, index):
                    ids.append(token_id)
                    index += len(piece)
                    break
            else:
                ids.append(1000 + ord(text[index]))
                index += 1
        return TokenIds(ids)
