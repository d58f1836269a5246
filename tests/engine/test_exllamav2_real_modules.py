"""exllamav2 0.3.2's own pure-Python modules (config, architecture, the safetensors header reader,
the tokenizer through the `tokenizers` library), run on this GPU-less machine with a CPU-only torch
and only the compiled CUDA extension (`exllamav2_ext`) replaced by an empty module; none of the
code exercised calls it. Against the model scripts/gpu_smoke.py builds, this catches config and
tokenizer mistakes a hand-written stand-in cannot. `make test` installs exllamav2 (without its
deps) and a CPU torch into .venv; without them the tests are skipped."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
import types
from pathlib import Path

import pytest

from tui.doctor.exllamav2_checks import SUPPORTED_ARCHITECTURES
from tui.engine.base import ChatMessage
from tui.engine.exllamav2_backend import ExLlamaV2Backend
from tui.engine.exllamav2_errors import LoadSettings, explain_failure

from . import standin_exllamav2
from .test_gpu_smoke import load_script

MISSING = [name for name in ("torch", "exllamav2", "tokenizers") if importlib.util.find_spec(name) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"{', '.join(MISSING)} not installed: `make test` installs exllamav2 0.3.2 and a CPU torch",
)


@pytest.fixture(scope="module")
def exllamav2():
    before = set(sys.modules)
    sys.modules["exllamav2_ext"] = types.ModuleType("exllamav2_ext")  # the CUDA extension, absent
    try:
        module = importlib.import_module("exllamav2")
        yield module
    finally:
        for name in set(sys.modules) - before:
            if name.startswith(("exllamav2", "exllamav2_ext")):
                del sys.modules[name]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return load_script().build_tiny_llama(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture
def model_copy(tiny_model, tmp_path) -> Path:
    return Path(shutil.copytree(tiny_model, tmp_path / "model"))


def test_the_real_config_accepts_the_smoke_model(exllamav2, tiny_model):
    config = exllamav2.ExLlamaV2Config(str(tiny_model))
    config.arch_compat_overrides(quiet=True)
    assert config.architecture == "LlamaForCausalLM"
    assert (config.max_seq_len, config.head_dim, config.num_key_value_heads) == (2048, 64, 4)
    assert config.generation_config["eos_token_id"] == [257, 259]
    assert len(config.tensor_file_map) == 3 + 9 * 2  # every tensor found in the header
    model = exllamav2.ExLlamaV2(config)
    assert len(model.modules) == 2 * 2 + 3  # what load progress counts


def test_our_prompting_against_the_real_tokenizer(exllamav2, tiny_model):
    backend = ExLlamaV2Backend(tiny_model, max_seq_len=1024)
    backend._lib = exllamav2
    backend._config = exllamav2.ExLlamaV2Config(str(tiny_model))
    backend._tokenizer = exllamav2.ExLlamaV2Tokenizer(backend._config)
    backend._prepare_prompting()
    backend._worker = object()  # "loaded": rendering and counting need no GPU
    assert backend._stop_ids == [257, 259]  # generation_config's EOS ids, then <|im_end|> (already in)
    messages = [ChatMessage("system", "Be brief."), ChatMessage("user", "héllo")]
    prompt = backend.render_prompt(messages)
    assert prompt.endswith("<|im_start|>assistant\n")
    ids = backend._encode(prompt)[0].tolist()
    assert ids[0] == 258 and ids.count(258) == 3 and ids.count(259) == 2  # special tokens whole
    # one token per byte, but each special token (3 x 12 and 2 x 10 bytes) is one
    assert backend.count_tokens(messages).count == len(ids) == len(prompt.encode()) - 3 * 12 - 2 * 10 + 5
    assert backend._tokenizer.decode(backend._encode("héllo")[0]) == "héllo"
    # what the generator adds to held text for an end token: nothing (the stand-in does the same)
    assert backend._tokenizer.get_id_to_piece_list(False)[259] == ""


def _break(folder: Path, how: str) -> None:
    config = json.loads((folder / "config.json").read_text())
    if how == "lm_head":
        raw = (folder / "model.safetensors").read_bytes()
        (folder / "model.safetensors").write_bytes(raw.replace(b'"lm_head.weight"', b'"lm_hexd.weight"'))
    elif how == "hidden_size":
        del config["hidden_size"]
    elif how == "architectures":
        config["architectures"] = ["LlamaForCausalLM", "MistralForCausalLM"]
    elif how == "safetensors":
        (folder / "model.safetensors").unlink()
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(
    ("how", "sentence"),
    [
        (
            "lm_head",
            "are incomplete or of an architecture ExLlamaV2 does not support (Could not find lm_head.*",
        ),
        ("hidden_size", "lacks a setting ExLlamaV2 needs (Missing any of the following keys"),
        ("architectures", "lists more than one architecture"),
        ("safetensors", "has no .safetensors weights"),
    ],
)
def test_broken_model_folders_fail_alike_in_the_library_and_the_stand_in(
    exllamav2, model_copy, how, sentence
):
    _break(model_copy, how)
    with pytest.raises(Exception) as real:
        exllamav2.ExLlamaV2Config(str(model_copy))
    with pytest.raises(Exception) as standin:
        standin_exllamav2.ExLlamaV2Config(str(model_copy))
    assert (type(standin.value), str(standin.value)) == (type(real.value), str(real.value))
    assert sentence in explain_failure(real.value, LoadSettings(model_copy, 1024, "q4", "auto"))


def test_no_tokenizer_json_is_our_sentence(exllamav2, model_copy):
    (model_copy / "tokenizer.json").unlink()
    config = exllamav2.ExLlamaV2Config(str(model_copy))
    with pytest.raises(Exception) as real:
        exllamav2.ExLlamaV2Tokenizer(config)
    sentence = explain_failure(real.value, LoadSettings(model_copy, 1024, "q4", "auto"))
    assert "has no tokenizer.json; ExLlamaV2 0.3.2 needs one" in sentence


def test_the_stand_in_reads_the_smoke_model_as_the_library_does(exllamav2, tiny_model):
    real = exllamav2.ExLlamaV2Config(str(tiny_model))
    standin = standin_exllamav2.ExLlamaV2Config(str(tiny_model))
    for name in ("max_seq_len", "head_dim", "num_key_value_heads", "num_hidden_layers", "eos_token_id"):
        assert getattr(standin, name) == getattr(real, name), name
    assert standin.generation_config == real.generation_config


def test_flash_attn_detection_without_flash_attn_matches_the_stand_in(exllamav2):
    attn = importlib.import_module("exllamav2.attn")
    assert (attn.has_flash_attn, attn.has_flash_attn_with_paged) == (False, False)


def test_doctors_architecture_list_is_the_librarys(exllamav2):
    source = Path(importlib.util.find_spec("exllamav2.architecture").origin).read_text(encoding="utf-8")
    names = set(re.findall(r'arch_string\s*[=!]=\s*"(\w+)"', source))
    for listed in re.findall(r"arch_string in \[([^\]]*)\]", source):
        names |= set(re.findall(r'"(\w+)"', listed))
    assert names == SUPPORTED_ARCHITECTURES


SIGNATURES = [
    ("exllamav2", "ExLlamaV2Config", "__init__"),
    ("exllamav2", "ExLlamaV2Config", "arch_compat_overrides"),
    ("exllamav2", "ExLlamaV2", "__init__"),
    ("exllamav2", "ExLlamaV2", "load"),
    ("exllamav2", "ExLlamaV2", "load_autosplit"),
    ("exllamav2", "ExLlamaV2Cache_Q4", "__init__"),
    ("exllamav2", "ExLlamaV2Cache", "__init__"),
    ("exllamav2", "ExLlamaV2Tokenizer", "__init__"),
    ("exllamav2", "ExLlamaV2Tokenizer", "encode"),
    ("exllamav2.generator", "ExLlamaV2DynamicGenerator", "__init__"),
    ("exllamav2.generator", "ExLlamaV2DynamicGenerator", "enqueue"),
    ("exllamav2.generator", "ExLlamaV2DynamicGenerator", "iterate"),
    ("exllamav2.generator", "ExLlamaV2DynamicGenerator", "cancel"),
    ("exllamav2.generator", "ExLlamaV2DynamicGenerator", "clear_queue"),
    ("exllamav2.generator", "ExLlamaV2DynamicGenerator", "num_remaining_jobs"),
    ("exllamav2.generator", "ExLlamaV2DynamicJob", "__init__"),
]


@pytest.mark.parametrize(("module", "cls", "method"), SIGNATURES)
def test_the_stand_in_has_the_librarys_signatures(exllamav2, module, cls, method):
    import inspect

    from .standin_exllamav2 import generator as standin_generator

    real = getattr(getattr(importlib.import_module(module), cls), method)
    standin_module = standin_exllamav2 if module == "exllamav2" else standin_generator
    fake = getattr(getattr(standin_module, cls), method)
    assert list(inspect.signature(fake).parameters) == list(inspect.signature(real).parameters)


def test_the_sampler_settings_patchbay_sets_exist(exllamav2):
    settings_class = importlib.import_module("exllamav2.generator").ExLlamaV2Sampler.Settings
    chosen = settings_class()
    for name in ("temperature", "top_p", "top_k", "token_repetition_penalty"):
        assert hasattr(chosen, name), name
    greedy = settings_class.greedy()
    assert (greedy.top_k, greedy.top_p, greedy.temperature, greedy.token_repetition_penalty) == (
        1,
        0.0,
        1.0,
        1.0,
    )
