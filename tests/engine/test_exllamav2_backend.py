"""The ExLlamaV2 adapter, checked against a STAND-IN for exllamav2 (no CUDA GPU here).

The stand-in (tests/engine/standin_exllamav2) follows the documented 0.3.2 signatures and result
dicts and records every call, so these tests pin down what our adapter asks of the library and how
it maps the answers. Real generation is covered by scripts/gpu_smoke.py on a GPU box.
"""

from __future__ import annotations

import json
import struct
import sys
import threading
from pathlib import Path

import pytest

from tui.engine import exllamav2_sizing
from tui.engine.base import (
    ChatMessage,
    Chunk,
    EngineError,
    FinalRecord,
    GenerationRequest,
    GenerationSettings,
)
from tui.engine.exllamav2_backend import ExLlamaV2Backend
from tui.engine.exllamav2_errors import LoadSettings, explain_failure

from . import standin_exllamav2
from .standin_exllamav2 import FakeGpu, gpu_torch
from .standin_exllamav2 import attn as standin_attn
from .standin_exllamav2 import generator as standin_generator

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = {"<s>": 1, "</s>": 2, "<|im_start|>": 3, "<|im_end|>": 4}
MESSAGES = [ChatMessage("system", "Be brief."), ChatMessage("user", "Say hello.")]


@pytest.fixture
def state(monkeypatch):
    state = standin_exllamav2.reset()
    monkeypatch.setitem(sys.modules, "exllamav2", standin_exllamav2)
    monkeypatch.setitem(sys.modules, "exllamav2.attn", standin_attn)
    monkeypatch.setitem(sys.modules, "exllamav2.generator", standin_generator)
    monkeypatch.setitem(sys.modules, "torch", gpu_torch)  # the GPUs are the one thing we fake
    return state


def write_llama_files(folder: Path, layers: int = 2, leave_out: str | None = None) -> None:
    """config.json and a safetensors file whose header names every tensor a Llama needs (the
    stand-in reads headers only, so each tensor holds a single value)."""
    config = {
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "num_hidden_layers": layers,
        "rms_norm_eps": 1e-5,
        "vocab_size": 260,
        "max_position_embeddings": 4096,
        "bos_token_id": 1,
        "eos_token_id": 2,
    }
    (folder / "config.json").write_text(json.dumps(config))
    names = ["model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"]
    for layer in range(layers):
        names += [f"model.layers.{layer}.{key}.weight" for key in standin_exllamav2.LLAMA_LAYER_KEYS]
    header = {
        name: {"dtype": "F16", "shape": [1], "data_offsets": [2 * i, 2 * i + 2]}
        for i, name in enumerate(n for n in names if n != leave_out)
    }
    encoded = json.dumps(header).encode()
    (folder / "model.safetensors").write_bytes(
        struct.pack("<Q", len(encoded)) + encoded + b"\0\0" * len(header)
    )


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    write_llama_files(folder)
    (folder / "generation_config.json").write_text(json.dumps({"eos_token_id": [2, 4]}))
    added = [{"id": i, "content": c, "special": True} for c, i in SPECIALS.items()]
    (folder / "tokenizer.json").write_text(json.dumps({"added_tokens": added}))
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"chat_template": CHATML, "add_bos_token": False})
    )
    return folder


def calls(state, name):
    return [details for what, details in state.calls if what == name]


def run(backend, **settings) -> tuple[str, FinalRecord]:
    items = list(backend.stream(GenerationRequest(MESSAGES, GenerationSettings(**settings), "t1")))
    assert isinstance(items[-1], FinalRecord)
    return "".join(i.text for i in items[:-1] if isinstance(i, Chunk)), items[-1]


def test_load_sets_length_before_building_and_reports_every_layer(state, model_dir):
    seen = []
    backend = ExLlamaV2Backend(model_dir, max_seq_len=2048, cache="q4")
    backend.load(seen.append)
    assert calls(state, "config.arch_compat_overrides") == [{"quiet": True}]
    assert calls(state, "model.init") == [{"max_seq_len": 2048, "max_output_len": 16, "no_flash_attn": False}]
    assert calls(state, "cache.init") == [{"kind": "q4", "max_seq_len": 2048, "lazy": True}]
    assert len(calls(state, "model.load_autosplit")) == 1
    assert [(p.step, p.total) for p in seen] == [(i, 7) for i in range(8)]  # 2 layers -> 2*2+3 modules
    assert backend.max_context() == 2048
    backend.close()
    assert "model.unload" in state.names()


def test_manual_split_loads_first_then_builds_a_full_cache(state, model_dir):
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, cache="fp16", gpu_split=[6.5])
    backend.load()
    assert calls(state, "model.load") == [{"gpu_split": [6.5]}]
    assert calls(state, "cache.init") == [{"kind": "fp16", "max_seq_len": 1024, "lazy": False}]
    assert state.names().index("model.load") < state.names().index("cache.init")
    backend.close()


def test_without_flash_attn_the_generator_runs_unpaged_one_job_at_a_time(state, model_dir):
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, max_batch_size=4)
    backend.load()
    assert calls(state, "generator.init") == [{"paged": False, "max_batch_size": 1}]
    assert calls(state, "cache.init")[0]["max_seq_len"] == 1024  # unpaged: the cache is the context
    assert backend.max_concurrent_streams() == 1
    assert "unpaged" in backend.describe()
    backend.close()


@pytest.mark.parametrize(
    ("gpus", "rocm"),
    [
        ([FakeGpu("NVIDIA GeForce RTX 2080", (7, 5), 7 << 30, 8 << 30)], False),  # Turing
        ([FakeGpu("Tesla V100", (7, 0))], False),  # Volta
        ([FakeGpu("NVIDIA GeForce RTX 3090", (8, 6)), FakeGpu("Tesla T4", (7, 5))], False),  # mixed rig
        ([FakeGpu("AMD Instinct MI210", (9, 0))], True),  # ROCm
    ],
)
def test_flash_attn_is_switched_off_before_the_model_is_built_unless_every_gpu_is_ampere(
    state, model_dir, gpus, rocm
):
    # exllamav2 turns flash-attn on whenever it imports, whatever the card; on these machines the
    # first forward pass would raise "FlashAttention only supports Ampere GPUs or newer".
    state.gpus, state.rocm, state.flash_attn_version = gpus, rocm, "2.6.3"
    standin_attn.detect()
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, max_batch_size=4)
    backend.load()
    assert calls(state, "model.init")[0]["no_flash_attn"] is True
    assert calls(state, "generator.init") == [{"paged": False, "max_batch_size": 1}]
    text, final = run(backend)
    assert text == "Hello, world" and final.finish_reason == "stop"
    backend.close()


@pytest.mark.parametrize(
    ("version", "paged"), [("2.6.3", True), ("2.5.7", True), ("2.5.6", False), (None, False)]
)
def test_paged_when_the_library_found_flash_attn_2_5_7_and_every_gpu_is_ampere(
    state, model_dir, version, paged
):
    state.gpus = [FakeGpu("NVIDIA RTX A6000", (8, 6)), FakeGpu("NVIDIA H100", (9, 0))]
    state.flash_attn_version = version
    standin_attn.detect()
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, max_batch_size=4)
    backend.load()
    assert calls(state, "model.init")[0]["no_flash_attn"] is False
    assert calls(state, "generator.init") == [{"paged": paged, "max_batch_size": 4 if paged else 1}]
    backend.close()


def test_paged_cache_is_sized_for_the_batch_and_the_real_parallelism_is_reported(state, model_dir):
    state.flash_attn_version = "2.6.3"
    standin_attn.detect()
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, max_batch_size=4)
    backend.load()
    assert calls(state, "cache.init")[0]["max_seq_len"] == 4096  # four full contexts
    assert backend.max_concurrent_streams() == 4
    assert "4096-token q4 cache, paged, 4 at once" in backend.describe()
    backend.close()


def test_when_the_batch_cache_does_not_fit_a_smaller_one_is_tried_and_reported(state, model_dir):
    state.flash_attn_version = "2.6.3"
    state.vram_tokens = 2500
    standin_attn.detect()
    seen = []
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, max_batch_size=4)
    backend.load(seen.append)
    assert [d["max_seq_len"] for d in calls(state, "cache.init")] == [4096, 2048]
    assert backend.max_context() == 1024
    assert backend.max_concurrent_streams() == 2
    assert any("4096-token cache does not fit; trying 2048 tokens (2 at once)" in p.message for p in seen)
    backend.close()


def test_cache_tokens_setting_decides_how_many_jobs_run_together(state, model_dir):
    state.flash_attn_version = "2.6.3"
    standin_attn.detect()
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, max_batch_size=8, cache_tokens=3072)
    backend.load()
    assert calls(state, "cache.init")[0]["max_seq_len"] == 3072
    assert backend.max_concurrent_streams() == 3  # not 8: each full job reserves 1024 tokens
    backend.close()


def test_paged_jobs_really_run_together_up_to_the_reported_figure(state, model_dir, monkeypatch):
    state.flash_attn_version = "2.6.3"
    state.script = ["la"]
    standin_attn.detect()
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, max_batch_size=8, cache_tokens=2048)
    backend.load()
    worker = backend._worker
    submitted = threading.Semaphore(0)
    submit = worker.submit

    def counted_submit(work):
        submit(work)
        submitted.release()

    monkeypatch.setattr(worker, "submit", counted_submit)
    state.forward_pass_may_end.clear()  # hold the first forward pass until all three are queued
    finals: list[FinalRecord] = []

    def consume():
        *_, final = backend.stream(GenerationRequest(MESSAGES, GenerationSettings(max_new_tokens=2000)))
        finals.append(final)

    consumers = [threading.Thread(target=consume) for _ in range(3)]
    for consumer in consumers:
        consumer.start()
    for _ in consumers:
        submitted.acquire()
    state.forward_pass_may_end.set()
    for consumer in consumers:
        consumer.join()
    assert [f.finish_reason for f in finals] == ["length"] * 3
    # each full-context job reserves 1024 of the 2048 cache tokens: two run, the third waits
    most = max(d["active"] for d in calls(state, "generator.scheduled"))
    assert most == backend.max_concurrent_streams() == 2
    assert any(d["pending"] == 1 for d in calls(state, "generator.scheduled"))
    backend.close()


def test_stream_renders_the_models_template_and_stops_on_template_end_token(state, model_dir):
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024)
    backend.load()
    text, final = run(backend, stop=["STOP"])
    assert text == "Hello, world"
    assert final.finish_reason == "stop"
    encoded = calls(state, "tokenizer.encode")[-1]
    assert encoded["text"].startswith("<|im_start|>system\nBe brief.<|im_end|>")
    assert encoded["text"].endswith("<|im_start|>assistant\n")
    assert encoded["encode_special_tokens"] is True
    job = calls(state, "job.init")[0]["job"]
    assert job.stop_conditions == [2, 4, "STOP"]  # EOS ids, template end token, request stops
    assert final.prompt_tokens == backend.count_tokens(MESSAGES).count == job.input_ids.shape[-1]
    assert final.new_tokens == 4
    assert final.time_to_first_token == pytest.approx(0.10)  # time_enqueued + time_prefill
    assert final.tokens_per_second == pytest.approx(4 / 0.5)  # new_tokens / time_generate
    assert final.tokens_estimated is False
    backend.close()


def test_temperature_zero_means_greedy_and_others_drop_library_penalties(state, model_dir):
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024)
    backend.load()
    run(backend, temperature=0.0)
    run(backend, temperature=0.7, top_p=0.9, seed=7)
    greedy, sampled = (d["job"] for d in calls(state, "job.init"))
    assert (greedy.gen_settings.top_k, greedy.gen_settings.top_p, greedy.gen_settings.temperature) == (
        1,
        0.0,
        1.0,
    )
    assert (sampled.gen_settings.temperature, sampled.gen_settings.top_p, sampled.gen_settings.top_k) == (
        0.7,
        0.9,
        0,
    )
    assert sampled.gen_settings.token_repetition_penalty == 1.0
    assert sampled.seed == 7
    backend.close()


def test_max_new_tokens_is_clamped_to_the_context_left(state, model_dir):
    state.script = ["la"]  # never stops by itself
    backend = ExLlamaV2Backend(model_dir, max_seq_len=256)
    backend.load()
    prompt = backend.count_tokens(MESSAGES).count
    text, final = run(backend, max_new_tokens=1024)
    assert calls(state, "job.init")[0]["job"].max_new_tokens == 256 - prompt
    assert final.finish_reason == "length"
    assert text == "la" * (256 - prompt)
    backend.close()


def test_a_prompt_longer_than_the_context_is_one_sentence(state, model_dir):
    backend = ExLlamaV2Backend(model_dir, max_seq_len=256)
    backend.load()
    long = [ChatMessage("user", "x" * 400)]
    with pytest.raises(EngineError, match=r"the prompt has \d+ tokens but the model's context is 256"):
        list(backend.stream(GenerationRequest(long)))
    backend.close()


def test_enqueue_iterate_and_cancel_all_happen_on_one_dedicated_thread(state, model_dir):
    state.script = ["la"]
    state.passes = threading.Semaphore(2)  # the prefill pass and one token, then the cancel
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024)
    backend.load()
    items = backend.stream(GenerationRequest(MESSAGES, GenerationSettings(max_new_tokens=500)))
    assert isinstance(next(items), Chunk)
    backend.cancel()
    state.passes.release()  # the pass that is waiting may end; the cancel is taken after it
    rest = list(items)
    state.passes = None
    assert isinstance(rest[-1], FinalRecord) and rest[-1].finish_reason == "cancelled"
    assert len(calls(state, "generator.cancel")) == 1
    owners = [
        state.thread_ids[name]
        for name in ("generator.init", "generator.enqueue", "generator.iterate", "generator.cancel")
    ]
    assert all(len(ids) == 1 for ids in owners)
    assert len(set.union(*owners)) == 1
    assert threading.get_ident() not in set.union(*owners)
    backend.close()


def test_auto_length_shrinks_until_the_cache_fits(state, model_dir):
    state.vram_tokens = 3000
    seen = []
    backend = ExLlamaV2Backend(model_dir, max_seq_len=None)
    backend.load(seen.append)
    assert [d["max_seq_len"] for d in calls(state, "cache.init")] == [4096, 2048]
    assert backend.max_context() == 2048
    assert any("4096 tokens do not fit" in p.message for p in seen)
    backend.close()


def test_a_fixed_length_that_does_not_fit_gives_advice(state, model_dir):
    state.vram_tokens = 3000
    backend = ExLlamaV2Backend(model_dir, max_seq_len=4096, cache="fp16")
    with pytest.raises(
        EngineError,
        match=r"not enough GPU memory .* 4096-token fp16 cache; lower max_seq_len or use cache: q4",
    ):
        backend.load()
    assert "model.unload" in state.names()


def test_missing_files_are_reported_before_touching_the_library(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "exllamav2", None)  # importing it would fail
    with pytest.raises(EngineError, match="does not exist"):
        ExLlamaV2Backend(tmp_path / "nowhere").load()
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(EngineError, match=r"has no tokenizer\.json"):
        ExLlamaV2Backend(tmp_path).load()


def test_without_exllamav2_the_advice_is_to_install_the_extra(model_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "exllamav2", None)
    with pytest.raises(EngineError, match=r"install patchbay\[exllamav2\] on a machine with an NVIDIA GPU"):
        ExLlamaV2Backend(model_dir).load()


def test_a_failed_iteration_is_one_sentence_and_the_generator_is_rebuilt(state, model_dir):
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024)
    backend.load()
    state.iterate_error = RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
    with pytest.raises(EngineError, match="ran out of memory"):
        run(backend)
    assert len(state.generators) == 2
    state.iterate_error = None
    text, final = run(backend)
    assert text == "Hello, world" and final.finish_reason == "stop"
    backend.close()


def test_fallback_format_when_the_model_has_no_template(state, model_dir):
    (model_dir / "tokenizer_config.json").write_text("{}")
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024, chat_template_fallback="llama3")
    backend.load()
    assert backend.render_prompt(MESSAGES).startswith("<|begin_of_text|><|start_header_id|>system")
    backend.close()


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            AssertionError("Job requires 9 pages (only 8 available) and cannot be enqueued."),
            "lower max_new_tokens",
        ),
        (AssertionError("Insufficient space in device allocation"), "gpu_split [4.0] GB is too small"),
        (FileNotFoundError("No supported tokenizer found."), "has no tokenizer.json"),
        (ValueError(" ## No .safetensors files found in /m"), "no .safetensors weights"),
        (ImportError("undefined symbol: _ZN3c10"), "ExLlamaV2 failed"),
    ],
)
def test_library_failures_become_one_sentence_with_advice(error, expected, tmp_path):
    sentence = explain_failure(error, LoadSettings(tmp_path, 4096, "q4", [4.0]))
    assert expected in sentence and "\n" not in sentence


def test_text_held_back_when_a_stop_token_ends_the_answer_is_shown(state, model_dir):
    # " S" might begin the stop string "STOP", so the library holds it; the end token then leaves
    # it in result["held"] only. It is part of the answer, so it is shown (without the end token).
    state.script = ["Hello", " S", "<|im_end|>"]
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024)
    backend.load()
    text, final = run(backend, stop=["STOP"])
    assert text == "Hello S"
    assert (final.finish_reason, final.new_tokens) == ("stop", 3)
    backend.close()


def test_a_stop_string_is_cut_and_never_shown(state, model_dir):
    state.script = ["Hello", " ST", "OP", " more"]
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024)
    backend.load()
    text, final = run(backend, stop=["STOP"])
    assert text == "Hello "
    assert (final.finish_reason, final.new_tokens) == ("stop", 3)
    backend.close()


def test_a_cancelled_job_counts_the_tokens_it_generated_even_those_held_back(state, model_dir):
    # After "x", every "l" may begin the stop string "lz": the library holds them, and those
    # results carry no token_ids; the count must come from the job.
    state.script = ["x"] + ["l"] * 50
    state.passes = threading.Semaphore(0)
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024)
    backend.load()
    items = backend.stream(GenerationRequest(MESSAGES, GenerationSettings(max_new_tokens=40, stop=["lz"])))
    state.passes.release(2)  # the prefill pass, then the token "x"
    assert next(items) == Chunk("x")
    state.passes.release(3)  # three "l", held back
    for _ in range(5):
        state.passes_done.acquire()
    backend.cancel()
    state.passes.release(1)  # the pass already waiting ends ("l" number four); then the cancel
    rest = list(items)
    assert rest == [FinalRecord("cancelled", rest[-1].prompt_tokens, 5, None, None, False)]
    state.passes = None
    backend.close()


def test_the_automatic_length_fallback_stays_on_page_boundaries(state, model_dir):
    config = json.loads((model_dir / "config.json").read_text())
    (model_dir / "config.json").write_text(json.dumps({**config, "max_position_embeddings": 6400}))
    state.vram_tokens = 4000
    backend = ExLlamaV2Backend(model_dir, max_seq_len=None)
    backend.load()
    # 6400 halves to 3200, which the generator refuses (not a multiple of 256)
    assert [d["max_seq_len"] for d in calls(state, "cache.init")] == [6400, 3072]
    assert backend.max_context() == 3072
    text, _ = run(backend)
    assert text == "Hello, world"
    backend.close()


@pytest.mark.parametrize(
    ("native", "expected"), [(6400, [6400, 3072]), (32768, [8192, 4096, 2048]), (1000, [768])]
)
def test_length_candidates_are_multiples_of_the_page(native, expected):
    assert exllamav2_sizing.length_candidates(native, None) == expected


def test_a_failed_generator_rebuild_leaves_no_failed_jobs_running(state, model_dir):
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024)
    backend.load()
    state.iterate_error = RuntimeError("CUDA error: an illegal memory access was encountered")
    state.generator_error = RuntimeError("CUDA error: an illegal memory access was encountered")
    with pytest.raises(EngineError, match="ExLlamaV2 failed: CUDA error"):
        run(backend)
    assert len(state.generators) == 1  # the rebuild failed: the old generator stays
    assert state.generators[0].num_remaining_jobs() == 0
    state.iterate_error = None
    text, final = run(backend)  # unpaged: a leftover job would hold the only page for ever
    assert text == "Hello, world" and final.finish_reason == "stop"
    backend.close()


def test_close_never_unloads_the_model_under_a_running_forward_pass(state, model_dir):
    state.script = ["la"]
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024)
    backend.load()
    backend.close_timeout = 0.01
    thread = backend._worker.thread
    state.passes = threading.Semaphore(2)  # the prefill pass and one token
    items = backend.stream(GenerationRequest(MESSAGES, GenerationSettings(max_new_tokens=500)))
    assert isinstance(next(items), Chunk)
    state.forward_pass_may_end.clear()
    state.passes.release()
    state.in_forward_pass.wait()  # the GPU is busy in a pass that will not end by itself
    backend.close()
    assert "model.unload" not in state.names()
    state.forward_pass_may_end.set()
    thread.join()
    assert state.names().count("model.unload") == 1
    assert state.names().index("generator.cancel") < state.names().index("model.unload")


def test_cache_tokens_is_a_config_setting_in_pages(tmp_path):
    from pydantic import ValidationError

    from tui.config import ExLlamaV2Spec
    from tui.engine.registry import create_backend

    with pytest.raises(ValidationError, match=r"cache_tokens must be a multiple of 256 \(e\.g\. 1024\)"):
        ExLlamaV2Spec(backend="exllamav2", model_dir=tmp_path, cache_tokens=1000)
    spec = ExLlamaV2Spec(backend="exllamav2", model_dir=tmp_path, max_batch_size=4, cache_tokens=16384)
    assert create_backend(spec).requested_cache_tokens == 16384
