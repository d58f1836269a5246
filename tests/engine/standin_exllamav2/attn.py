"""STAND-IN for `exllamav2.attn` (0.3.2): the import-time flash-attn detection. Not the library.

As in attn.py: flash-attn is used whenever it imports, on any GPU (a pre-Ampere card only gets a
printed warning), and 2.5.7 or later adds paged attention."""

from __future__ import annotations

from . import STATE as _FIRST_STATE

STATE_REF = [_FIRST_STATE]

has_flash_attn = False
has_flash_attn_with_paged = False


def detect() -> None:
    """What importing attn.py decides, from the state's "installed" flash-attn."""
    global has_flash_attn, has_flash_attn_with_paged
    version_text = STATE_REF[0].flash_attn_version
    has_flash_attn = has_flash_attn_with_paged = False
    if version_text is None:
        return
    version = [int(part) for part in version_text.split(".") if part.isdigit()]
    has_flash_attn = version >= [2, 2, 1]
    has_flash_attn_with_paged = version >= [2, 5, 7]


def assert_paged_attn() -> None:
    assert has_flash_attn_with_paged, "Paged attention required Flash Attention 2.5.7 or later"
