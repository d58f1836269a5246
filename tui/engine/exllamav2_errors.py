"""Turn ExLlamaV2 / PyTorch failures into one sentence with advice (reference/exllamav2.md §3.2)."""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from pathlib import Path

INSTALL_ADVICE = "install patchbay[exllamav2] on a machine with an NVIDIA GPU"


@dataclass(frozen=True)
class LoadSettings:
    """What the advice may mention: the model folder and the sizes asked for."""

    model_dir: Path
    max_seq_len: int
    cache: str
    gpu_split: str | list[float]
    cache_tokens: int | None = None  # None: the same as max_seq_len


def explain_missing_toolchain(missing: list[str]) -> str:
    return (
        "exllamav2 has no compiled CUDA extension here and must build it on first use, but "
        f"{_join(missing)} {'is' if len(missing) == 1 else 'are'} missing; install "
        f"{'it' if len(missing) == 1 else 'them'}, or install the prebuilt exllamav2 wheel for your "
        "torch and CUDA versions (run patchbay doctor for details)"
    )


def explain_import_failure(exc: BaseException) -> str:
    text = str(exc)
    if _from_flash_attn(exc):
        # exllamav2's attn.py only forgives a missing flash-attn, not a broken one.
        return (
            f"flash-attn is installed but does not load with this PyTorch ({_short(text)}), and exllamav2 "
            "imports it; uninstall it (pip uninstall flash-attn) to run without it, or rebuild it for "
            "your torch (pip install --no-build-isolation --force-reinstall flash-attn)"
        )
    if "undefined symbol" in text or "DLL load failed" in text:
        return (
            "exllamav2's compiled extension does not match the installed PyTorch; install the exllamav2 "
            "wheel built for your torch and CUDA versions (or delete the exllamav2_ext folder under "
            "~/.cache/torch_extensions and let it rebuild)"
        )
    return f"exllamav2 cannot be loaded here ({_short(text) or type(exc).__name__}); {INSTALL_ADVICE}"


def explain_failure(exc: BaseException, load: LoadSettings) -> str:
    """One sentence for a failure while loading or generating."""
    text = str(exc)
    lowered = text.lower()
    name = type(exc).__name__
    if "insufficient vram for model and cache" in lowered:
        cache_tokens = load.cache_tokens or load.max_seq_len
        advice = "lower max_seq_len or use cache: q4"
        if cache_tokens > load.max_seq_len:
            advice = "lower cache_tokens, max_batch_size or max_seq_len, or use cache: q4"
        return (
            f"there is not enough GPU memory for the model and a {cache_tokens}-token {load.cache} "
            f"cache; {advice}"
        )
    if "insufficient space in device allocation" in lowered:
        return (
            f"gpu_split {load.gpu_split} GB is too small for the model's weights; raise it or use "
            "gpu_split: auto"
        )
    if name == "OutOfMemoryError" or "out of memory" in lowered:
        return (
            "the GPU ran out of memory (CUDA out of memory); lower max_seq_len, use cache: q4, or close "
            "other programs using the GPU"
        )
    if "cannot be enqueued" in lowered:
        return (
            "the request needs more cache than this model has (prompt plus max_new_tokens); lower "
            "max_new_tokens or the task's context, or raise max_seq_len"
        )
    if "no supported tokenizer found" in lowered or "tokenizer.json" in lowered:
        return (
            f"the model folder {load.model_dir} has no tokenizer.json; ExLlamaV2 0.3.2 needs one "
            "(SentencePiece-only models are not supported)"
        )
    if "config.json" in lowered and ("can't find" in lowered or isinstance(exc, FileNotFoundError)):
        return (
            f"the model folder {load.model_dir} has no config.json; point model_dir at an EXL2 or FP16 model"
        )
    if "missing any of the following keys" in lowered:
        return (
            f"the model's config.json in {load.model_dir} lacks a setting ExLlamaV2 needs ({_short(text)}); "
            "the folder is incomplete or holds an architecture ExLlamaV2 does not support"
        )
    if "multiple architectures defined" in lowered:
        return (
            f"the model's config.json in {load.model_dir} lists more than one architecture; ExLlamaV2 "
            "needs exactly one"
        )
    if "no .safetensors files found" in lowered:
        return f"the model folder {load.model_dir} has no .safetensors weights"
    if "could not find" in lowered and "in model" in lowered:
        return (
            f"the weights in {load.model_dir} are incomplete or of an architecture ExLlamaV2 does not "
            f"support ({_short(text)})"
        )
    if "flashattention only supports ampere" in lowered:
        return (
            "flash-attn was used on a GPU older than Ampere (compute capability 8.0), which it does not "
            "support; set EXLLAMA_NO_FLASH_ATTN=1 or uninstall flash-attn (pip uninstall flash-attn)"
        )
    if "paged attention" in lowered or "flash attention" in lowered or "flash-attn" in lowered:
        return f"flash-attn cannot be used on this GPU ({_short(text)}); uninstall flash-attn to run unpaged"
    if "cuda" in lowered and ("not available" in lowered or "no cuda" in lowered or "driver" in lowered):
        return f"CUDA is not usable here ({_short(text)}); {INSTALL_ADVICE}"
    return f"ExLlamaV2 failed: {_short(text) or name}"


def _from_flash_attn(exc: BaseException) -> bool:
    """True when the import failed inside flash-attn (its Python files or its compiled module)."""
    name = getattr(exc, "name", None) or ""
    if name.startswith(("flash_attn", "flash_attn_2_cuda")) or "flash_attn" in str(exc):
        return True
    frames = traceback.extract_tb(exc.__traceback__)
    return any(f"{os.sep}flash_attn{os.sep}" in frame.filename for frame in frames)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _short(text: str) -> str:
    text = " ".join(text.replace("##", "").replace("!!", "").split())
    return text if len(text) <= 200 else text[:199] + "…"
