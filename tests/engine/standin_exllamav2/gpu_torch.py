"""STAND-IN for the few `torch` calls that describe the GPUs (torch.cuda and torch.version), fed
from the stand-in state's pretend cards. The one thing here that cannot exist without a GPU."""

from __future__ import annotations

import types

from . import STATE as _FIRST_STATE

STATE_REF = [_FIRST_STATE]

__version__ = "2.7.0+cu128"


class _Version:
    @property
    def cuda(self) -> str | None:
        return None if STATE_REF[0].rocm else "12.8"

    @property
    def hip(self) -> str | None:
        return "6.3" if STATE_REF[0].rocm else None


version = _Version()


def _gpu(index: int):
    return STATE_REF[0].gpus[index]


cuda = types.SimpleNamespace(
    device_count=lambda: len(STATE_REF[0].gpus),
    get_device_capability=lambda index=0: _gpu(index).capability,
    get_device_name=lambda index=0: _gpu(index).name,
    mem_get_info=lambda index=0: (_gpu(index).free_bytes, _gpu(index).total_bytes),
    empty_cache=lambda: None,
)
