"""How much GPU memory an ExLlamaV2 model needs: its weights (read from the safetensors headers, or
from a parameter count and bits per weight) plus the cache, sized the way exllamav2 0.3.2's
cache.py shapes its tensors. An estimate for `patchbay doctor`, not a promise: the CUDA context and
scratch buffers vary by card and driver, so a flat allowance covers them."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

from tui.engine.exllamav2_sizing import PAGE

MIB = 1 << 20
GIB = 1 << 30
# load_autosplit keeps 192 MiB free on the first GPU; the CUDA context, the per-chunk scratch of a
# 2048-token forward pass and the 16-row logits buffer Patchbay asks for take roughly as much again.
OVERHEAD_BYTES = 512 * MIB
HEAD_BITS = 6.3  # EXL2's default head quantisation (-hb 6) averages about 6.3 bits (doc/convert.md)
DTYPE_BYTES = {"F16": 2, "BF16": 2, "F32": 4, "I32": 4, "I16": 2, "I8": 1, "U8": 1}


@dataclass(frozen=True)
class ModelShape:
    layers: int
    kv_heads: int
    head_dim: int
    hidden: int
    vocab: int

    @classmethod
    def from_config(cls, config: dict) -> ModelShape:
        """From a config.json (the keys exllamav2 reads for Llama-like models)."""
        hidden = int(config["hidden_size"])
        heads = int(config.get("num_attention_heads") or 0)
        head_dim = int(config.get("head_dim") or (hidden // heads if heads else 128))
        return cls(
            layers=int(config["num_hidden_layers"]),
            kv_heads=int(config.get("num_key_value_heads") or heads),
            head_dim=head_dim,
            hidden=hidden,
            vocab=int(config.get("vocab_size") or 0),
        )


def cache_bytes_per_token(shape: ModelShape, cache: str) -> int:
    """Per token, over all layers: K and V of head_dim values per KV head; the quantised caches
    store 4, 6 or 8 bits per value plus an FP16 scale for every 32 values of K and of V."""
    per_head = {
        "fp16": 4 * shape.head_dim,
        "q8": 2 * shape.head_dim + shape.head_dim // 8,
        "q6": shape.head_dim + shape.head_dim // 2 + shape.head_dim // 8,
        "q4": shape.head_dim + shape.head_dim // 8,
    }[cache]
    return shape.layers * shape.kv_heads * per_head


def weight_bytes_from_headers(model_dir: Path) -> int:
    """Bytes of every tensor in the folder's safetensors files except the embedding, which
    exllamav2 keeps in system memory."""
    total = 0
    for path in sorted(Path(model_dir).glob("*.safetensors")):
        with path.open("rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(length))
        for name, info in header.items():
            if name == "__metadata__" or "embed_tokens" in name or "wte" in name:
                continue
            start, end = info["data_offsets"]
            total += int(end) - int(start)
    return total


def weight_bytes_from_bits(decoder_params: float, bits_per_weight: float, shape: ModelShape) -> int:
    """When the weights are not at hand: the decoder at its bits per weight, the head at ~6.3."""
    head = shape.vocab * shape.hidden * HEAD_BITS / 8
    return int(decoder_params * bits_per_weight / 8 + head)


@dataclass(frozen=True)
class VramEstimate:
    weights: int
    cache: int
    overhead: int

    @property
    def total(self) -> int:
        return self.weights + self.cache + self.overhead


def estimate(weights: int, shape: ModelShape, cache: str, cache_tokens: int) -> VramEstimate:
    return VramEstimate(weights, cache_bytes_per_token(shape, cache) * cache_tokens, OVERHEAD_BYTES)


def largest_fitting_length(free: int, weights: int, shape: ModelShape, cache: str, batch: int = 1) -> int:
    """The largest max_seq_len (a multiple of 256) whose cache of `batch` contexts fits in `free`
    bytes beside the weights; 0 when not even 256 tokens do."""
    room = free - weights - OVERHEAD_BYTES
    per_token = cache_bytes_per_token(shape, cache) * max(1, batch)
    if room <= 0 or per_token <= 0:
        return 0
    return room // per_token // PAGE * PAGE


def human(size: int) -> str:
    return f"{size / GIB:.2f} GiB" if size >= GIB else f"{size / MIB:.0f} MiB"
