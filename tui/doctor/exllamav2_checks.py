"""Checks for an `exllamav2` model: PyTorch and the GPUs, the compiled extension or the tools to
build it, flash-attn, the model folder, and a VRAM estimate. Nothing here imports exllamav2: its
first import may spend minutes compiling."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tui.config import ExLlamaV2Spec
from tui.doctor.report import Check, fail, info, ok
from tui.engine import exllamav2_env, exllamav2_vram
from tui.engine.exllamav2_env import TorchInfo
from tui.engine.exllamav2_errors import explain_import_failure
from tui.engine.exllamav2_sizing import AUTO_SEQ_LEN, length_candidates, round_to_page
from tui.engine.exllamav2_vram import ModelShape, human

GPU = "GPU"
MODEL = "Model folder"

# Every architecture exllamav2 0.3.2 knows (exllamav2/architecture.py); others load as Llama.
SUPPORTED_ARCHITECTURES = frozenset(
    {
        "CohereForCausalLM", "Cohere2ForCausalLM", "DbrxForCausalLM", "GPT2LMHeadModel",
        "GPTBigCodeForCausalLM", "GemmaForCausalLM", "Gemma2ForCausalLM",
        "Gemma3ForConditionalGeneration", "GemmoeForCausalLM", "Glm4ForCausalLM",
        "GraniteForCausalLM", "IndexForCausalLM", "InternLM2ForCausalLM", "LlamaForCausalLM",
        "LlavaForConditionalGeneration", "MiniCPMForCausalLM", "Mistral3ForConditionalGeneration",
        "MistralForCausalLM", "MixtralForCausalLM", "OrionForCausalLM", "Phi3ForCausalLM",
        "Qwen2ForCausalLM", "Qwen2VLForConditionalGeneration", "Qwen2_5_VLForConditionalGeneration",
        "Qwen3ForCausalLM", "Qwen3MoeForCausalLM", "Starcoder2ForCausalLM", "YiForCausalLM",
    }
)  # fmt: skip


def exllamav2_checks(spec: ExLlamaV2Spec, torch_info: TorchInfo | None = None) -> list[Check]:
    checks = _library_checks()
    torch_info = torch_info if torch_info is not None else exllamav2_env.probe_torch()
    checks += _gpu_checks(torch_info)
    if torch_info.error is None and any(c.name == "exllamav2" and c.status == "ok" for c in checks):
        checks.append(_extension_check())
    checks.append(_flash_attn_check(torch_info, spec))
    config, model_checks = _model_checks(Path(spec.model_dir))
    checks += model_checks
    if config is not None:
        checks += _vram_checks(spec, config, torch_info)
    return checks


def _library_checks() -> list[Check]:
    try:
        version = importlib.metadata.version("exllamav2")
    except importlib.metadata.PackageNotFoundError:
        return [
            fail(GPU, "exllamav2", "not installed", "pip install 'patchbay[exllamav2]' on the GPU machine")
        ]
    if version != "0.3.2":
        return [
            fail(
                GPU,
                "exllamav2",
                version,
                "Patchbay is built for exllamav2 0.3.2: pip install exllamav2==0.3.2",
            )
        ]
    checks = [ok(GPU, "exllamav2", version)]
    try:
        importlib.metadata.version("tokenizers")
    except importlib.metadata.PackageNotFoundError:
        checks.append(
            fail(
                GPU,
                "tokenizers",
                "not installed",
                "pip install tokenizers (exllamav2 needs it but does not declare it)",
            )
        )
    return checks


def _gpu_checks(torch_info: TorchInfo) -> list[Check]:
    if torch_info.version is None:
        return [
            fail(
                GPU,
                "PyTorch",
                torch_info.error or "not installed",
                "ExLlamaV2 needs an NVIDIA (CUDA) or AMD (ROCm) GPU and a PyTorch built for it "
                "(pytorch.org); on a machine without one, use an openai model (a server elsewhere)",
            )
        ]
    if torch_info.error is not None:
        return [
            fail(
                GPU,
                "PyTorch",
                torch_info.error,
                "ExLlamaV2 needs an NVIDIA (CUDA) or AMD (ROCm) GPU and a PyTorch built for it; "
                "on a machine without one, use an openai model (a server elsewhere)",
            )
        ]
    runtime = f"ROCm {torch_info.hip}" if torch_info.rocm else f"CUDA {torch_info.cuda}"
    checks = [ok(GPU, "PyTorch", f"{torch_info.version} ({runtime})")]
    driver = _nvidia_driver()
    if driver:
        checks.append(ok(GPU, "driver", f"NVIDIA {driver}"))
    for gpu in torch_info.gpus:
        memory = (
            f", {human(gpu.free_bytes)} free of {human(gpu.total_bytes)}"
            if gpu.free_bytes and gpu.total_bytes
            else ""
        )
        checks.append(
            ok(
                GPU,
                f"GPU {gpu.index}",
                f"{gpu.name}, compute {gpu.capability[0]}.{gpu.capability[1]}{memory}",
            )
        )
    return checks


def _nvidia_driver() -> str | None:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        out = subprocess.run(
            [smi, "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.splitlines()[0].strip() if out.returncode == 0 and out.stdout.strip() else None


def _extension_check() -> Check:
    status = exllamav2_env.extension_status()
    if status.state == "prebuilt":
        return ok(GPU, "extension", "prebuilt (exllamav2_ext is installed)")
    if status.state == "cached":
        return ok(GPU, "extension", f"built earlier, in {status.build_dir}")
    if status.state == "compile":
        return ok(
            GPU,
            "extension",
            "not built yet; compiles on first load",
            "the first load takes minutes (about 50 CUDA/C++ files)",
        )
    return fail(
        GPU,
        "extension",
        "not built, and cannot be built here: missing " + ", ".join(status.missing),
        "install them, or the prebuilt exllamav2 wheel matching your torch and CUDA (github.com/turboderp-org/exllamav2/releases)",
    )


def _flash_attn_check(torch_info: TorchInfo, spec: ExLlamaV2Spec) -> Check:
    version = exllamav2_env.flash_attn_version()
    batching = spec.max_batch_size > 1
    if version is None:
        advice = "batching needs flash-attn 2.5.7+ on an Ampere or newer GPU" if batching else ""
        return info(GPU, "flash-attn", "not installed: unpaged, one job at a time", advice)
    broken = _flash_attn_import_failure(torch_info)
    if broken:
        return fail(GPU, "flash-attn", f"{version} is installed but does not load", broken)
    plan = exllamav2_env.attention_plan(torch_info)
    if plan.no_flash_attn:
        return info(GPU, "flash-attn", f"{version}, not used ({plan.reason}): unpaged, one job at a time")
    parts = [int(p) for p in version.split(".")[:3] if p.isdigit()]
    if parts >= [2, 5, 7]:
        return ok(GPU, "flash-attn", f"{version}, used: paged, so jobs can run in batches")
    return info(GPU, "flash-attn", f"{version}, used unpaged", "2.5.7 or later allows batching (paged mode)")


def _flash_attn_import_failure(torch_info: TorchInfo) -> str | None:
    """exllamav2 imports flash-attn when it is installed and fails with it when it is broken
    (built for another torch); only a GPU build of torch can tell."""
    if torch_info.error is not None:
        return None
    try:
        importlib.import_module("flash_attn")
    except ModuleNotFoundError:  # exllamav2 forgives this one (attn.py) and runs without it
        return None
    except Exception as exc:
        return explain_import_failure(exc)
    return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _model_checks(folder: Path) -> tuple[dict | None, list[Check]]:
    if not folder.is_dir():
        return None, [
            fail(MODEL, "folder", f"{folder} does not exist", "set model_dir to an EXL2 or FP16 model folder")
        ]
    checks = [ok(MODEL, "folder", str(folder))]
    config = _read_json(folder / "config.json")
    if not isinstance(config, dict):
        checks.append(
            fail(
                MODEL,
                "config.json",
                "missing or not JSON",
                "download the model's config.json into the folder",
            )
        )
        return None, checks
    arches = config.get("architectures") or []
    if len(arches) != 1:
        checks.append(
            fail(
                MODEL, "architecture", f"{arches or 'none'}", "config.json must name exactly one architecture"
            )
        )
    elif arches[0] in SUPPORTED_ARCHITECTURES:
        checks.append(ok(MODEL, "architecture", arches[0]))
    else:
        checks.append(
            fail(
                MODEL,
                "architecture",
                f"{arches[0]} is unknown to exllamav2 0.3.2",
                "it would load as Llama, and likely fail or talk nonsense",
                needed=False,
            )
        )
    if (folder / "tokenizer.json").is_file():
        checks.append(ok(MODEL, "tokenizer.json", "present"))
    else:
        checks.append(
            fail(
                MODEL,
                "tokenizer.json",
                "missing",
                "ExLlamaV2 0.3.2 needs tokenizer.json (SentencePiece-only models are not supported)",
            )
        )
    weights = sorted(folder.glob("*.safetensors"))
    if not weights:
        checks.append(
            fail(
                MODEL,
                "weights",
                "no .safetensors files",
                "download the model's .safetensors files into the folder",
            )
        )
        return None, checks
    try:
        size = exllamav2_vram.weight_bytes_from_headers(folder)
    except (OSError, ValueError, KeyError) as exc:
        checks.append(
            fail(MODEL, "weights", f"unreadable safetensors header ({exc})", "download the weights again")
        )
        return None, checks
    checks.append(ok(MODEL, "weights", f"{len(weights)} safetensors file(s), {human(size)} on the GPU"))
    checks.append(info(MODEL, "bits per weight", _bits_per_weight(config)))
    try:
        ModelShape.from_config(config)
    except (KeyError, TypeError, ValueError) as exc:
        checks.append(
            fail(
                MODEL,
                "config.json",
                f"lacks {exc}",
                "the folder is incomplete or not a supported architecture",
            )
        )
        return None, checks
    return config, checks


def _bits_per_weight(config: dict) -> str:
    quant = config.get("quantization_config") or {}
    if quant.get("quant_method") == "exl2" and quant.get("bits"):
        return f"{quant['bits']} (EXL2, head {quant.get('head_bits', 6)} bits)"
    if quant:
        return f"{quant.get('bits', '?')} ({quant.get('quant_method', 'quantised')})"
    return f"16 (unquantised {config.get('torch_dtype', 'float16')})"


def _vram_checks(spec: ExLlamaV2Spec, config: dict, torch_info: TorchInfo) -> list[Check]:
    shape = ModelShape.from_config(config)
    native = int(config.get("max_position_embeddings") or 2048)
    seq_len = min(spec.max_seq_len or AUTO_SEQ_LEN, round_to_page(native))
    paged = not exllamav2_env.attention_plan(torch_info).no_flash_attn and _flash_paged()
    batch = spec.max_batch_size if paged else 1
    cache_tokens = spec.cache_tokens or seq_len * batch
    weights = exllamav2_vram.weight_bytes_from_headers(Path(spec.model_dir))
    need = exllamav2_vram.estimate(weights, shape, spec.cache, cache_tokens)
    text = (
        f"about {human(need.total)}: weights {human(need.weights)} + {cache_tokens}-token {spec.cache} cache "
        f"{human(need.cache)} + {human(need.overhead)} overhead"
    )
    free = sum(g.free_bytes or 0 for g in torch_info.gpus)
    if not free:
        return [info(MODEL, "VRAM", text, "no GPU here to compare with")]
    largest = exllamav2_vram.largest_fitting_length(free, weights, shape, spec.cache, batch)
    largest = min(largest, round_to_page(native))
    hint = f"largest max_seq_len that fits: {largest}" if largest else "the weights alone do not fit"
    if need.total <= free:
        return [ok(MODEL, "VRAM", f"{text}; {human(free)} free", hint)]
    if spec.max_seq_len is None:
        # the backend halves an unset length until model and cache fit
        for length in length_candidates(native, None)[1:]:
            size = spec.cache_tokens or length * batch
            if exllamav2_vram.estimate(weights, shape, spec.cache, size).total <= free:
                return [
                    ok(MODEL, "VRAM", f"{text}; {human(free)} free", f"Patchbay will take {length} tokens")
                ]
    advice = f"{hint}; or use cache: q4" if largest else "use a smaller quantisation (fewer bits per weight)"
    return [fail(MODEL, "VRAM", f"{text}; only {human(free)} free", advice)]


def _flash_paged() -> bool:
    version = exllamav2_env.flash_attn_version()
    return version is not None and [int(p) for p in version.split(".")[:3] if p.isdigit()] >= [2, 5, 7]
