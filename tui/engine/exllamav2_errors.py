"""Turn ExLlamaV2 / PyTorch failures into one sentence with advice (reference/exllamav2.md §3.2)."""

from __future__ import annotations

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


def explain_import_failure(exc: BaseException) -> str:
    text = str(exc)
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
        return (
            f"there is not enough GPU memory for the model and a {load.max_seq_len}-token {load.cache} "
            "cache; lower max_seq_len or use cache: q4"
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
    if "no .safetensors files found" in lowered:
        return f"the model folder {load.model_dir} has no .safetensors weights"
    if "could not find" in lowered and "in model" in lowered:
        return (
            f"the weights in {load.model_dir} are incomplete or of an architecture ExLlamaV2 does not "
            f"support ({_short(text)})"
        )
    if "paged attention" in lowered or "flash attention" in lowered or "flash-attn" in lowered:
        return f"flash-attn cannot be used on this GPU ({_short(text)}); uninstall flash-attn to run unpaged"
    if "cuda" in lowered and ("not available" in lowered or "no cuda" in lowered or "driver" in lowered):
        return f"CUDA is not usable here ({_short(text)}); {INSTALL_ADVICE}"
    return f"ExLlamaV2 failed: {_short(text) or name}"


def _short(text: str) -> str:
    text = " ".join(text.replace("##", "").replace("!!", "").split())
    return text if len(text) <= 200 else text[:199] + "…"
