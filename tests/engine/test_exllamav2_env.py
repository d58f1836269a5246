"""The GPU-box checks made before exllamav2 is imported: flash-attn on or off, the build toolchain,
and the import failures that come from elsewhere (flash-attn) named as such."""

from __future__ import annotations

import importlib
import os
import stat
import sys
from pathlib import Path

import pytest

from tui.engine import exllamav2_backend, exllamav2_env
from tui.engine.base import EngineError
from tui.engine.exllamav2_backend import ExLlamaV2Backend
from tui.engine.exllamav2_env import ExtensionStatus, GpuInfo, TorchInfo, attention_plan, missing_build_tools
from tui.engine.exllamav2_errors import LoadSettings, explain_failure, explain_import_failure

from .test_exllamav2_backend import model_dir, state  # noqa: F401 - fixtures

TURING = GpuInfo(0, "NVIDIA GeForce RTX 2080", (7, 5), 7 << 30, 8 << 30)
AMPERE = GpuInfo(1, "NVIDIA GeForce RTX 3090", (8, 6), 20 << 30, 24 << 30)


@pytest.mark.parametrize(
    ("info", "off"),
    [
        (TorchInfo("2.7.0", "12.8", None, [AMPERE]), False),
        (TorchInfo("2.7.0", "12.8", None, [TURING]), True),
        (TorchInfo("2.7.0", "12.8", None, [AMPERE, TURING]), True),
        (TorchInfo("2.7.0", None, "6.3", [AMPERE]), True),
    ],
)
def test_flash_attn_is_used_only_when_every_gpu_is_ampere_and_not_rocm(info, off):
    assert attention_plan(info).no_flash_attn is off


def _tool(folder: Path, name: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_missing_build_tools_are_named(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    missing = missing_build_tools({"PATH": str(empty)}, None, None, hip=False)
    assert missing == [
        "the CUDA toolkit's nvcc (set CUDA_HOME or put nvcc on PATH)",
        "a C++ compiler (c++)",
        "ninja (pip install ninja)",
    ]
    cuda = tmp_path / "cuda"
    (cuda / "bin").mkdir(parents=True)
    _tool(cuda / "bin", "nvcc")
    _tool(empty, "c++")
    _tool(empty, "ninja")
    assert missing_build_tools({"PATH": str(empty)}, str(cuda), None, hip=False) == []
    assert missing_build_tools({"PATH": str(empty), "CXX": "g++-12"}, str(cuda), None, hip=False) == [
        "a C++ compiler (g++-12)"
    ]


def test_without_a_toolchain_the_load_stops_before_the_first_import(state, model_dir, monkeypatch):  # noqa: F811
    monkeypatch.setattr(exllamav2_backend, "_library_imported", lambda: False)
    monkeypatch.setattr(exllamav2_backend, "_installed", lambda name: True)
    status = ExtensionStatus("cannot-compile", ["ninja (pip install ninja)"])
    monkeypatch.setattr(exllamav2_env, "extension_status", lambda: status)
    with pytest.raises(
        EngineError, match=r"must build it on first use, but ninja \(pip install ninja\) is missing"
    ):
        ExLlamaV2Backend(model_dir, max_seq_len=1024).load()
    assert state.calls == []  # nothing of the library was touched


def test_while_the_extension_compiles_the_status_line_says_so(state, model_dir, monkeypatch):  # noqa: F811
    monkeypatch.setattr(exllamav2_backend, "_library_imported", lambda: False)
    monkeypatch.setattr(exllamav2_backend, "_installed", lambda name: True)
    monkeypatch.setattr(exllamav2_env, "extension_status", lambda: ExtensionStatus("compile"))
    seen = []
    backend = ExLlamaV2Backend(model_dir, max_seq_len=1024)
    backend.load(seen.append)
    assert seen[0].message == "compiling exllamav2's CUDA extension (first use only; minutes)"
    backend.close()


def test_no_gpu_is_one_sentence_before_any_loading(state, model_dir):  # noqa: F811
    state.gpus = []
    with pytest.raises(EngineError, match="PyTorch sees no GPU; ExLlamaV2 needs an NVIDIA"):
        ExLlamaV2Backend(model_dir, max_seq_len=1024).load()
    assert "model.init" not in state.names()


def test_a_flash_attn_build_that_does_not_match_torch_is_blamed_not_exllamav2(tmp_path, monkeypatch):
    package = tmp_path / "flash_attn"
    package.mkdir()
    (package / "__init__.py").write_text(
        "raise ImportError('/venv/lib/flash_attn_2_cuda.cpython-311-x86_64-linux-gnu.so: "
        "undefined symbol: _ZN3c104cuda9SetDeviceEi')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "flash_attn", raising=False)
    with pytest.raises(ImportError) as caught:
        importlib.import_module("flash_attn")
    sentence = explain_import_failure(caught.value)
    assert sentence.startswith("flash-attn is installed but does not load with this PyTorch")
    assert "pip uninstall flash-attn" in sentence and "exllamav2 wheel" not in sentence
    # an undefined symbol in exllamav2's own extension still blames the wheel
    own = explain_import_failure(ImportError(f"{os.sep}exllamav2_ext.so: undefined symbol: _ZN3c10"))
    assert "exllamav2's compiled extension does not match" in own


def test_flash_attn_refusing_an_old_gpu_is_recognised(tmp_path):
    error = RuntimeError("FlashAttention only supports Ampere GPUs or newer.")
    sentence = explain_failure(error, LoadSettings(tmp_path, 4096, "q4", "auto"))
    assert "older than Ampere" in sentence and "EXLLAMA_NO_FLASH_ATTN=1" in sentence


def test_a_cpu_only_torch_is_reported_as_such(monkeypatch):
    cpu_torch = type(sys)("torch")
    cpu_torch.__version__ = "2.13.0+cpu"
    cpu_torch.version = type("V", (), {"cuda": None, "hip": None})()
    monkeypatch.setitem(sys.modules, "torch", cpu_torch)
    assert exllamav2_env.probe_torch().error == "PyTorch 2.13.0+cpu is a CPU-only build"


def test_extension_status_tells_prebuilt_cached_and_to_be_compiled(tmp_path, monkeypatch):
    pytest.importorskip("torch", reason="make test installs a CPU torch")
    monkeypatch.setattr(exllamav2_env, "missing_build_tools", lambda *args: [])
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path / "ext"))
    status = exllamav2_env.extension_status()
    assert (status.state, status.build_dir) == ("compile", str(tmp_path / "ext" / "exllamav2_ext"))
    assert not (tmp_path / "ext").exists()  # looking does not create torch's build folder
    (tmp_path / "ext" / "exllamav2_ext").mkdir(parents=True)
    (tmp_path / "ext" / "exllamav2_ext" / "exllamav2_ext.so").write_bytes(b"")
    assert exllamav2_env.extension_status().state == "cached"
    (tmp_path / "wheel").mkdir()
    (tmp_path / "wheel" / "exllamav2_ext.py").write_text("")  # what a prebuilt wheel installs
    monkeypatch.syspath_prepend(str(tmp_path / "wheel"))
    assert exllamav2_env.extension_status().state == "prebuilt"


def test_on_this_gpu_less_machine_loading_says_so_before_importing(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch", reason="make test installs a CPU torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "tokenizer.json").write_text("{}")
    monkeypatch.delitem(sys.modules, "exllamav2", raising=False)
    monkeypatch.setattr(exllamav2_backend, "_installed", lambda name: True)
    with pytest.raises(EngineError, match=r"ExLlamaV2 needs an NVIDIA \(CUDA\) or AMD \(ROCm\) GPU$"):
        ExLlamaV2Backend(tmp_path, max_seq_len=1024).load()
    assert "exllamav2" not in sys.modules  # no attempt to import (and so to compile)
