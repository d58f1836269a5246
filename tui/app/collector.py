"""The collector and a big runbook: its long-lived objects are set aside from full collections.

A 10,000-task runbook is a heap of long-lived objects; each full collection walks all of them and
pauses the app for 130-230 ms, in the middle of typing a filter or after a status write. After a
load the existing objects are frozen (gc.freeze), so collections walk only what is new. A reload
or a closed review replaces many of them: `renew` unfreezes, collects what is garbage now (the old
runbook, the change set) once, and freezes the rest again, so nothing frozen is leaked.
"""

from __future__ import annotations

import gc


def set_aside() -> None:
    """Freeze what exists now (after a load): later collections do not walk it."""
    gc.freeze()


def renew() -> None:
    """After many long-lived objects were replaced: collect them once, freeze what is still used."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
