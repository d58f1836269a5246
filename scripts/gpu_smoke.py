#!/usr/bin/env python
"""GPU smoke test: real generation through Patchbay's ExLlamaV2 backend on a tiny random model.

Builds a 2-layer FP16 Llama with random weights (config.json, model.safetensors, a byte-level
tokenizer.json, a ChatML template) in a temporary folder, loads it with our backend, streams a
greedy answer, cancels a second one (checking its token count), and prints tokens per second.
The text is gibberish by design; what is checked is that load, counting, streaming, stop/length
and cancel all work. `--no-flash-attn` runs the way a pre-Ampere card (Turing, e.g. RTX 2080)
does on any card: flash-attn off, unpaged, one job at a time.

    python scripts/gpu_smoke.py [--keep DIR] [--cache fp16|q8|q6|q4] [--tokens N] [--no-flash-attn]

Needs: an NVIDIA GPU and `pip install 'patchbay[exllamav2]'` (torch, exllamav2 0.3.2, tokenizers).
Exit status 0 when everything worked.
"""

from __future__ import annotations

import argparse
import json
import random
import struct
import sys
import tempfile
import time
from pathlib import Path

SPECIAL_TOKENS = ["<s>", "</s>", "<|im_start|>", "<|im_end|>"]
HIDDEN, LAYERS, HEADS, INTERMEDIATE = 256, 2, 4, 512  # head_dim 64: fine for every attention path
MAX_POSITIONS = 2048
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def byte_alphabet() -> list[str]:
    """GPT-2's byte-to-character table, in byte order (what a ByteLevel tokenizer expects)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            table[byte] = chr(byte)
        else:
            table[byte] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def tokenizer_json() -> dict:
    """A byte-level BPE tokenizer without merges: one token per byte, plus the special tokens."""
    vocab = {char: index for index, char in enumerate(byte_alphabet())}
    added = []
    for offset, content in enumerate(SPECIAL_TOKENS):
        vocab[content] = 256 + offset
        added.append(
            {
                "id": 256 + offset,
                "content": content,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
        )
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": byte_level,
        "post_processor": None,
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": vocab,
            "merges": [],
        },
    }


def tensor_shapes(vocab: int) -> dict[str, list[int]]:
    shapes = {
        "model.embed_tokens.weight": [vocab, HIDDEN],
        "model.norm.weight": [HIDDEN],
        "lm_head.weight": [vocab, HIDDEN],
    }
    for layer in range(LAYERS):
        prefix = f"model.layers.{layer}"
        shapes[f"{prefix}.input_layernorm.weight"] = [HIDDEN]
        shapes[f"{prefix}.post_attention_layernorm.weight"] = [HIDDEN]
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            shapes[f"{prefix}.self_attn.{name}.weight"] = [HIDDEN, HIDDEN]
        shapes[f"{prefix}.mlp.gate_proj.weight"] = [INTERMEDIATE, HIDDEN]
        shapes[f"{prefix}.mlp.up_proj.weight"] = [INTERMEDIATE, HIDDEN]
        shapes[f"{prefix}.mlp.down_proj.weight"] = [HIDDEN, INTERMEDIATE]
    return shapes


def write_safetensors(path: Path, shapes: dict[str, list[int]], seed: int = 0) -> None:
    """FP16 safetensors written by hand (8-byte header length, JSON header, raw data), so building
    the model needs neither torch nor numpy. Norm weights are 1, the rest N(0, 0.02)."""
    rng = random.Random(seed)
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, shape in shapes.items():
        count = 1
        for size in shape:
            count *= size
        values = (
            [1.0] * count if name.endswith("norm.weight") else [rng.gauss(0.0, 0.02) for _ in range(count)]
        )
        blob = struct.pack(f"<{count}e", *values)
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for blob in blobs:
            handle.write(blob)


def build_tiny_llama(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    vocab = 256 + len(SPECIAL_TOKENS)
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": HIDDEN,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": HEADS,
        "intermediate_size": INTERMEDIATE,
        "vocab_size": vocab,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "max_position_embeddings": MAX_POSITIONS,
        "tie_word_embeddings": False,
        "torch_dtype": "float16",
        "bos_token_id": 256,
        "eos_token_id": 257,
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    (folder / "generation_config.json").write_text(
        json.dumps({"bos_token_id": 256, "eos_token_id": [257, 259]})
    )
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json(), ensure_ascii=False))
    tokenizer_config = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "add_bos_token": False,
        "chat_template": CHATML,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2))
    write_safetensors(folder / "model.safetensors", tensor_shapes(vocab))
    return folder


def run_smoke(model_dir: Path, cache: str, tokens: int, no_flash_attn: bool = False) -> int:
    from tui.engine.base import ChatMessage, Chunk, FinalRecord, GenerationRequest, GenerationSettings
    from tui.engine.exllamav2_backend import ExLlamaV2Backend

    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, cache=cache, no_flash_attn=no_flash_attn)
    started = time.monotonic()
    backend.load(lambda p: print(f"  load {p.step}/{p.total}: {p.message}", flush=True))
    print(f"loaded in {time.monotonic() - started:.2f} s: {backend.describe()}")
    ok = not (no_flash_attn and backend.paged)
    if not ok:
        print("FAILED: --no-flash-attn but the generator is paged")
    messages = [ChatMessage("system", "You are a test."), ChatMessage("user", "Count to ten.")]
    print(f"prompt tokens: {backend.count_tokens(messages)}")

    # Greedy, with no stop strings: random weights may or may not sample an end token.
    request = GenerationRequest(messages, GenerationSettings(max_new_tokens=tokens, temperature=0.0), "smoke")
    pieces, final = [], None
    for item in backend.stream(request):
        if isinstance(item, Chunk):
            pieces.append(item.text)
        else:
            final = item
    assert isinstance(final, FinalRecord), "the stream did not end with a FinalRecord"
    print(f"answer ({final.new_tokens} tokens, {final.finish_reason}): {''.join(pieces)[:80]!r}")
    ttft = f"{final.time_to_first_token * 1000:.1f} ms" if final.time_to_first_token is not None else "n/a"
    speed = f"{final.tokens_per_second:.1f}" if final.tokens_per_second else "n/a"
    print(f"tokens per second: {speed}   time to first token: {ttft}")
    ok = ok and final.finish_reason in ("stop", "length") and final.new_tokens >= 1

    # Sampled this time, cancelled after a few chunks.
    cancel_request = GenerationRequest(
        messages, GenerationSettings(max_new_tokens=900, temperature=0.8, seed=1)
    )
    seen = 0
    last = None
    for item in backend.stream(cancel_request):
        if isinstance(item, Chunk):
            seen += 1
            if seen == 5:
                backend.cancel()
        else:
            last = item
    if last is None:
        print("cancel: FAILED, no final record")
        ok = False
    elif last.finish_reason == "cancelled":
        # every chunk is at least one token; held-back tokens count too (from the job, not the results)
        counted = seen <= last.new_tokens < 900
        print(
            f"cancel: cancelled after {seen} chunks, {last.new_tokens} tokens"
            + ("" if counted else " (WRONG COUNT)")
        )
        ok = ok and counted
    else:
        print(f"cancel: the model ended by itself ({last.finish_reason}) after {seen} chunks")
        ok = ok and seen < 5
    backend.close()
    print("GPU smoke test " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR", type=Path, help="build the model here and keep it")
    parser.add_argument("--cache", default="fp16", choices=["fp16", "q8", "q6", "q4"])
    parser.add_argument("--tokens", type=int, default=256, help="tokens to generate (default 256)")
    parser.add_argument(
        "--no-flash-attn", action="store_true", help="run as on a pre-Ampere card: flash-attn off, unpaged"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="patchbay-tiny-llama-") as scratch:
        folder = build_tiny_llama(args.keep or Path(scratch) / "tiny-llama")
        print(f"tiny random Llama in {folder}")
        try:
            return run_smoke(folder, args.cache, args.tokens, args.no_flash_attn)
        except Exception as exc:  # one line, like the app, but keep the type for a bug report
            print(f"GPU smoke test FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
