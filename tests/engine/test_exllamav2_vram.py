"""The VRAM estimator against figures published by exllamav2's author and users."""

from __future__ import annotations

import math

import pytest

from tui.engine.exllamav2_vram import (
    GIB,
    MIB,
    ModelShape,
    cache_bytes_per_token,
    estimate,
    largest_fitting_length,
    weight_bytes_from_bits,
    weight_bytes_from_headers,
)

from .test_gpu_smoke import load_script

KIB = 1024


def llama_decoder_params(layers: int, hidden: int, kv_heads: int, head_dim: int, intermediate: int) -> int:
    attention = 2 * hidden * hidden + 2 * hidden * kv_heads * head_dim
    return layers * (attention + 3 * hidden * intermediate + 2 * hidden) + hidden


LLAMA2_70B = ModelShape(layers=80, kv_heads=8, head_dim=128, hidden=8192, vocab=32000)
LLAMA2_13B = ModelShape(layers=40, kv_heads=40, head_dim=128, hidden=5120, vocab=32000)
LLAMA3_8B = ModelShape(layers=32, kv_heads=8, head_dim=128, hidden=4096, vocab=128256)
PHI3_MINI = ModelShape(layers=32, kv_heads=32, head_dim=96, hidden=3072, vocab=32064)


def test_cache_per_token_matches_the_authors_phi3_mini_figures():
    # turboderp, exllamav2 issue #425: "384 kB per token ... drops to 108 kB with Q4 cache"
    assert cache_bytes_per_token(PHI3_MINI, "fp16") == 384 * KIB
    assert cache_bytes_per_token(PHI3_MINI, "q4") == 108 * KIB


@pytest.mark.parametrize(("cache", "kib"), [("fp16", 128), ("q8", 68), ("q6", 52), ("q4", 36)])
def test_cache_per_token_for_llama3_8b_follows_the_cache_tensor_shapes(cache, kib):
    assert cache_bytes_per_token(LLAMA3_8B, cache) == kib * KIB


def test_llama2_70b_at_2_55_bpw_with_2048_tokens_fits_a_24_gb_card():
    # exllamav2 README: "allows Llama2 70B to run on a single 24 GB GPU with a 2048-token context
    # ... with 2.55 bits per weight"
    params = llama_decoder_params(80, 8192, 8, 128, 28672)
    need = estimate(weight_bytes_from_bits(params, 2.55, LLAMA2_70B), LLAMA2_70B, "fp16", 2048)
    assert 20 * GIB < need.total < 24 * GIB
    assert need.cache == 640 * MIB
    # and at 3.0 bpw it would not: the estimate must tell these apart
    bigger = estimate(weight_bytes_from_bits(params, 3.0, LLAMA2_70B), LLAMA2_70B, "fp16", 2048)
    assert bigger.total > 24 * GIB


def test_llama2_13b_at_2_65_bpw_runs_within_8_gb():
    # exllamav2 README: "13B models run at 2.65 bits within 8 GB of VRAM"
    params = llama_decoder_params(40, 5120, 40, 128, 13824)
    weights = weight_bytes_from_bits(params, 2.65, LLAMA2_13B)
    assert estimate(weights, LLAMA2_13B, "fp16", 2048).total < 8 * GIB
    assert largest_fitting_length(8 * GIB, weights, LLAMA2_13B, "fp16") >= 2048


def test_llama3_8b_with_a_64k_q4_cache_is_below_the_measured_figure():
    # exllamav2 issue #575: Llama 3 8B (5.0 bpw) with a Q4 cache and 64k max_seq_len "used to take
    # around 8788" MiB; that run kept the library's default full-chunk logits buffer (2048 x 128256
    # floats, ~1 GiB) that Patchbay avoids with max_output_len = 16.
    params = llama_decoder_params(32, 4096, 8, 128, 14336)
    need = estimate(weight_bytes_from_bits(params, 5.0, LLAMA3_8B), LLAMA3_8B, "q4", 65536)
    logits_buffer = 2048 * 128256 * 4
    assert need.cache == 2304 * MIB
    assert 0.9 * 8788 * MIB < need.total + logits_buffer < 1.05 * 8788 * MIB


def test_weights_are_read_from_the_headers_without_the_embedding(tmp_path):
    folder = load_script().build_tiny_llama(tmp_path / "tiny")
    shapes = load_script().tensor_shapes(260)
    expected = sum(2 * math.prod(shape) for name, shape in shapes.items() if "embed" not in name)
    assert weight_bytes_from_headers(folder) == expected
