"""STAND-IN for the `exllamav2` package (0.3.2), for tests on machines without a CUDA GPU.

This is NOT exllamav2. It mirrors what exllamav2 0.3.2's source does where Patchbay's adapter can
see it: the config checks of config.py (one architecture, required keys, safetensors tensor names
read from the real file headers), flash-attn switched on whenever it is "installed" whatever the
GPU (attn.py), paged mode and its assertions, and the dynamic generator's results with their
stages, held-back text and missing `token_ids` (generator/dynamic.py). The GPUs themselves are a
stand-in `torch` (see `gpu_torch`). Tests inject these as `exllamav2`, `exllamav2.attn`,
`exllamav2.generator` and `torch` through sys.modules. Every call is recorded in `STATE`.
"""

from __future__ import annotations

import glob
import json
import os
import struct
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeGpu:
    name: str = "NVIDIA GeForce RTX 3090"
    capability: tuple[int, int] = (8, 6)
    free_bytes: int = 20 << 30
    total_bytes: int = 24 << 30


@dataclass
class StandInState:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    gpus: list[FakeGpu] = field(default_factory=lambda: [FakeGpu()])
    rocm: bool = False
    flash_attn_version: str | None = None  # the "installed" flash-attn; None: not installed
    # Largest cache (in tokens) the pretend card holds; bigger ones fail like load_autosplit does.
    vram_tokens: int = 1 << 20
    # What the model "writes", one piece per token; pieces that are special tokens end it.
    script: list[str] = field(default_factory=lambda: ["Hello", ",", " world", "<|im_end|>"])
    iterate_error: BaseException | None = None
    generator_error: BaseException | None = None  # raised by the next generator construction
    generators: list[Any] = field(default_factory=list)
    thread_ids: dict[str, set[int]] = field(default_factory=dict)
    # A hook inside iterate(), like a forward pass: tests block it to hold the GPU "busy".
    in_forward_pass: threading.Event = field(default_factory=threading.Event)
    forward_pass_may_end: threading.Event = field(default_factory=lambda: _set(threading.Event()))
    # When set, each forward pass takes one permit, and every finished pass releases `passes_done`.
    passes: threading.Semaphore | None = None
    passes_done: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def record(self, what: str, **details: Any) -> None:
        self.calls.append((what, details))
        self.thread_ids.setdefault(what, set()).add(threading.get_ident())

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def _set(event: threading.Event) -> threading.Event:
    event.set()
    return event


STATE = StandInState()


def reset() -> StandInState:
    global STATE
    STATE = StandInState()
    from . import attn, generator, gpu_torch

    for module in (attn, generator, gpu_torch):
        module.STATE_REF[0] = STATE
    attn.detect()
    return STATE


def _flash_attn_refuses_this_gpu(config: ExLlamaV2Config) -> None:
    """flash-attn's kernels raise this on a pre-Ampere GPU; exllamav2 calls them whenever
    has_flash_attn and not config.no_flash_attn (attn.py), at load (autosplit's test forward
    passes) and at every forward pass."""
    from . import attn

    if attn.has_flash_attn and not config.no_flash_attn and any(g.capability[0] < 8 for g in STATE.gpus):
        raise RuntimeError("FlashAttention only supports Ampere GPUs or newer.")


# -- config.py ---------------------------------------------------------------------------------

LLAMA_LAYER_KEYS = [
    "input_layernorm",
    "post_attention_layernorm",
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
]


def _read(data: dict[str, Any], keys: list[str], default: Any = ...) -> Any:
    """config.py's read() with opt_subkey="text_config": "a->b" looks inside a nested dict."""
    keys = keys + ["text_config->" + key for key in keys]
    for key in keys:
        *outer, last = key.split("->")
        found: Any = data
        for part in outer:
            found = found.get(part) or {}
        if found.get(last) is not None:
            return found[last]
    if default is ...:
        raise ValueError(f"Missing any of the following keys: {keys}")
    return default


def _safetensors_keys(path: str) -> list[str]:
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    return [key for key in header if key != "__metadata__"]


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
        gen_path = os.path.join(self.model_dir, "generation_config.json")
        if os.path.exists(gen_path):
            with open(gen_path, encoding="utf-8") as handle:
                ids = json.load(handle).get("eos_token_id")
            self.generation_config["eos_token_id"] = ids if isinstance(ids, list) else [ids]
        assert len(data["architectures"]) == 1, "Multiple architectures defined in config.json"
        self.architecture = data["architectures"][0]
        self.bos_token_id = data.get("bos_token_id")
        eos = data.get("eos_token_id")
        self.eos_token_id = eos[0] if isinstance(eos, list) else eos
        self.vocab_size = _read(data, ["vocab_size"])
        self.num_hidden_layers = _read(data, ["num_hidden_layers", "n_layers", "n_layer"])
        self.norm_eps = _read(data, ["rms_norm_eps"])
        self.hidden_size = _read(data, ["hidden_size", "d_model", "n_embd"])
        self.intermediate_size = _read(data, ["intermediate_size", "ffn_config->ffn_hidden_size", "n_inner"])
        self.num_attention_heads = _read(data, ["num_attention_heads", "n_heads", "n_head"], 0)
        self.head_dim = data.get("head_dim") or self.hidden_size // self.num_attention_heads
        self.num_key_value_heads = data.get("num_key_value_heads", self.num_attention_heads)
        self.max_seq_len = _read(
            data,
            [
                "max_sequence_length",
                "model_max_length",
                "max_position_embeddings",
                "max_seq_len",
                "n_positions",
            ],
            2048,
        )
        STATE.record("config.prepare", model_dir=self.model_dir)
        if no_tensors:
            return
        files = glob.glob(os.path.join(self.model_dir, "*.safetensors"))
        if not files:
            raise ValueError(f" ## No .safetensors files found in {self.model_dir}")
        keys = {key for file in files for key in _safetensors_keys(file)}
        expected = ["model.embed_tokens", "model.norm"]
        if not data.get("tie_word_embeddings"):
            expected.append("lm_head")
        for layer in range(self.num_hidden_layers):
            expected += [f"model.layers.{layer}.{name}" for name in LLAMA_LAYER_KEYS]
        for prefix in expected:
            if not any(prefix + suffix in keys for suffix in (".q_weight", ".qweight", ".weight", "")):
                raise ValueError(f" ## Could not find {prefix}.* in model")

    def arch_compat_overrides(self, quiet: bool = False, warn_only: bool = False) -> None:
        STATE.record("config.arch_compat_overrides", quiet=quiet)


# -- model.py ----------------------------------------------------------------------------------


class ExLlamaV2:
    def __init__(self, config: ExLlamaV2Config, lazy_load: bool = False, archparams: Any = None) -> None:
        self.config = config
        self.modules = list(range(2 * config.num_hidden_layers + 3))
        STATE.record(
            "model.init",
            max_seq_len=config.max_seq_len,
            max_output_len=config.max_output_len,
            no_flash_attn=config.no_flash_attn,
        )

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
        _flash_attn_refuses_this_gpu(self.config)  # each module runs a test forward pass
        if cache.max_seq_len > STATE.vram_tokens:
            raise RuntimeError("Insufficient VRAM for model and cache")

    def unload(self) -> None:
        STATE.record("model.unload")


# -- cache.py ----------------------------------------------------------------------------------


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


# -- tokenizer ---------------------------------------------------------------------------------


class TokenIds:
    """What `encode` returns: shaped like a (1, n) tensor."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.shape = (1, len(ids))


class ExLlamaV2Tokenizer:
    """Every character is a token, except special tokens (from tokenizer.json added_tokens).
    (The real tokenizer runs in tests/engine/test_exllamav2_real_modules.py.)"""

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
