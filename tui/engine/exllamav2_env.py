"""What the GPU box offers ExLlamaV2, found without importing exllamav2 (whose first import may
compile CUDA code for minutes): the GPUs and their compute capability, flash-attn, and whether the
compiled extension is there or could be built. Used by the backend before loading and by
`patchbay doctor`."""

from __future__ import annotations

import glob
import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

AMPERE = 8  # flash-attn 2 runs on compute capability 8.0 and newer only


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    capability: tuple[int, int]
    free_bytes: int | None
    total_bytes: int | None


@dataclass(frozen=True)
class TorchInfo:
    """PyTorch and the GPUs it sees; `error` says why there is nothing to see."""

    version: str | None = None
    cuda: str | None = None  # the CUDA version torch was built for
    hip: str | None = None  # set on ROCm builds
    gpus: list[GpuInfo] = field(default_factory=list)
    error: str | None = None

    @property
    def rocm(self) -> bool:
        return self.hip is not None


def probe_torch() -> TorchInfo:
    try:
        torch = importlib.import_module("torch")
    except Exception as exc:  # absent, or a broken install
        return TorchInfo(error=f"PyTorch cannot be imported ({type(exc).__name__}: {exc})")
    version_info = getattr(torch, "version", None)
    info = TorchInfo(
        version=str(getattr(torch, "__version__", "?")),
        cuda=getattr(version_info, "cuda", None),
        hip=getattr(version_info, "hip", None),
    )
    if info.cuda is None and info.hip is None:
        return TorchInfo(info.version, error=f"PyTorch {info.version} is a CPU-only build")
    try:
        count = int(torch.cuda.device_count())
        gpus = [_gpu(torch, index) for index in range(count)]
    except Exception as exc:  # the driver is missing or too old
        return TorchInfo(info.version, info.cuda, info.hip, error=f"CUDA is not usable ({exc})")
    if not gpus:
        return TorchInfo(info.version, info.cuda, info.hip, error="PyTorch sees no GPU")
    return TorchInfo(info.version, info.cuda, info.hip, gpus)


def _gpu(torch: Any, index: int) -> GpuInfo:
    major, minor = torch.cuda.get_device_capability(index)
    free = total = None
    try:
        free, total = torch.cuda.mem_get_info(index)
    except Exception:  # some drivers refuse; the rest of the facts still help
        pass
    return GpuInfo(index, str(torch.cuda.get_device_name(index)), (int(major), int(minor)), free, total)


@dataclass(frozen=True)
class AttentionPlan:
    """exllamav2 turns flash-attn on whenever it imports, on any GPU (attn.py), and unpaged
    attention still calls it unless config.no_flash_attn is set; so it must be set by us."""

    no_flash_attn: bool
    reason: str


def attention_plan(torch_info: TorchInfo) -> AttentionPlan:
    if torch_info.rocm:
        return AttentionPlan(True, "flash-attn is off on ROCm")
    old = [g for g in torch_info.gpus if g.capability[0] < AMPERE]
    if old:
        names = ", ".join(f"{g.name} (compute {g.capability[0]}.{g.capability[1]})" for g in old)
        return AttentionPlan(True, f"flash-attn is off: it needs Ampere or newer and {names} is older")
    if not torch_info.gpus:
        return AttentionPlan(True, "flash-attn is off: no GPU is visible")
    return AttentionPlan(False, "every GPU is Ampere or newer")


def flash_attn_version() -> str | None:
    """The installed flash-attn's version, read from its metadata (importing it may fail)."""
    for name in ("flash-attn", "flash_attn"):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


ExtensionState = Literal["prebuilt", "cached", "compile", "cannot-compile"]


@dataclass(frozen=True)
class ExtensionStatus:
    """Whether importing exllamav2 will find its compiled extension or build it (the PyPI wheel
    builds ~50 CUDA/C++ files through torch.utils.cpp_extension on first import)."""

    state: ExtensionState
    missing: list[str] = field(default_factory=list)
    build_dir: str | None = None

    @property
    def compiles(self) -> bool:
        return self.state in ("compile", "cannot-compile")


def extension_status(environ: dict[str, str] | None = None) -> ExtensionStatus:
    if importlib.util.find_spec("exllamav2_ext") is not None:
        return ExtensionStatus("prebuilt")
    environ = dict(os.environ if environ is None else environ)
    build_dir, cuda_home, rocm_home, hip = _torch_build_facts()
    # Even a cached build goes through ninja and needs CUDA_HOME to write its build file.
    missing = missing_build_tools(environ, cuda_home, rocm_home, hip)
    if missing:
        return ExtensionStatus("cannot-compile", missing, build_dir)
    cached = build_dir is not None and glob.glob(os.path.join(build_dir, "exllamav2_ext*.so"))
    return ExtensionStatus("cached" if cached else "compile", [], build_dir)


def _torch_build_facts() -> tuple[str | None, str | None, str | None, bool]:
    try:
        extension = importlib.import_module("torch.utils.cpp_extension")
        torch = importlib.import_module("torch")
    except Exception:
        return None, None, None, False
    hip_version, cuda_version = getattr(torch.version, "hip", None), getattr(torch.version, "cuda", None)
    hip = hip_version is not None
    # Where torch.utils.cpp_extension builds it (its _get_build_directory, which would also
    # create the folder; a check should not).
    root = os.environ.get("TORCH_EXTENSIONS_DIR")
    if root is None:
        try:
            root = extension.get_default_build_root()
        except Exception:
            root = None
        if root is not None:
            accelerator = (
                f"rocm{hip_version.replace('.', '')}"
                if hip
                else f"cu{cuda_version.replace('.', '')}"
                if cuda_version
                else "cpu"
            )
            python = f"py{sys.version_info.major}{sys.version_info.minor}{getattr(sys, 'abiflags', '')}"
            root = os.path.join(root, f"{python}_{accelerator}")
    build_dir = os.path.join(root, "exllamav2_ext") if root else None
    return build_dir, getattr(extension, "CUDA_HOME", None), getattr(extension, "ROCM_HOME", None), hip


def missing_build_tools(
    environ: dict[str, str], cuda_home: str | None, rocm_home: str | None, hip: bool
) -> list[str]:
    """What torch.utils.cpp_extension would need and cannot find, in words."""
    path = environ.get("PATH", "")
    missing = []
    if hip:
        if not rocm_home:
            missing.append("the ROCm toolkit (ROCM_HOME)")
    elif not cuda_home or not _is_file(os.path.join(cuda_home, "bin", "nvcc")):
        missing.append("the CUDA toolkit's nvcc (set CUDA_HOME or put nvcc on PATH)")
    compiler = environ.get("CXX", "c++")
    if shutil.which(compiler, path=path) is None:
        missing.append(f"a C++ compiler ({compiler})")
    if shutil.which("ninja", path=path) is None:
        missing.append("ninja (pip install ninja)")
    return missing


def _is_file(path: str) -> bool:
    return os.path.isfile(path) or os.path.isfile(path + ".exe")


def python_version() -> str:
    return ".".join(str(part) for part in sys.version_info[:3])
