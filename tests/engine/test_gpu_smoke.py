"""scripts/gpu_smoke.py: its tiny model is checked everywhere; the real run needs a CUDA GPU."""

from __future__ import annotations

import importlib.util
import json
import math
import struct
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_smoke.py"


def load_script():
    spec = importlib.util.spec_from_file_location("gpu_smoke", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tiny_model_has_what_exllamav2_needs(tmp_path):
    smoke = load_script()
    folder = smoke.build_tiny_llama(tmp_path / "tiny")
    config = json.loads((folder / "config.json").read_text())
    raw = (folder / "model.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    header.pop("__metadata__")
    expected = smoke.tensor_shapes(config["vocab_size"])
    assert {k: v["shape"] for k, v in header.items()} == expected
    assert len(raw) == 8 + length + max(v["data_offsets"][1] for v in header.values())
    for name, info in header.items():
        start, end = info["data_offsets"]
        count = end - start
        assert count == 2 * math.prod(info["shape"]), name  # FP16: two bytes each
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    ids = set(tokenizer["model"]["vocab"].values())
    assert ids == set(range(config["vocab_size"]))  # every id below vocab_size, none missing
    specials = {t["content"]: t["id"] for t in tokenizer["added_tokens"]}
    assert specials["</s>"] == config["eos_token_id"]
    assert config["hidden_size"] // config["num_attention_heads"] == 64
    assert "chat_template" in json.loads((folder / "tokenizer_config.json").read_text())


@pytest.mark.gpu
@pytest.mark.parametrize("argv", [[], ["--no-flash-attn"]])
def test_real_generation_on_the_gpu(capsys, argv):
    # Checked here rather than at collection: importing exllamav2 may build its CUDA extension.
    torch = pytest.importorskip("torch", reason="needs PyTorch with CUDA (patchbay[exllamav2])")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    pytest.importorskip("exllamav2", reason="needs the exllamav2 extra: pip install 'patchbay[exllamav2]'")
    assert load_script().main(argv) == 0
    out = capsys.readouterr().out
    assert "tokens per second" in out
    if argv:
        assert "unpaged" in out
