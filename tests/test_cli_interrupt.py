"""A Ctrl-C is an interruption wherever it lands, never an "internal error": one landing while a
module is imported lazily reaches the CLI wrapped in another exception (seen as
`RuntimeError: Error calling __set_name__ …` from a class being created)."""

from __future__ import annotations

import tui.commands.status
from tui.cli import main


def interrupted_while_importing(_args) -> int:
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as exc:
        raise RuntimeError("Error calling __set_name__ on 'cached_property' instance") from exc


def interrupted_in_a_handler(_args) -> int:
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise ValueError("raised while handling it") from None  # the context is still the Ctrl-C


def test_a_ctrl_c_wrapped_in_another_error_exits_130_as_interrupted(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(tui.commands.status, "run", interrupted_while_importing)
    assert main(["status", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert err == "patchbay: interrupted\n"


def test_an_error_with_no_ctrl_c_behind_it_is_still_an_internal_error(monkeypatch, capsys, tmp_path):
    def broken(_args) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(tui.commands.status, "run", broken)
    assert main(["status", str(tmp_path)]) == 70
    assert "internal error (RuntimeError: a bug)" in capsys.readouterr().err


def test_a_ctrl_c_suppressed_with_from_none_counts_too(monkeypatch, capsys, tmp_path):
    # `from None` hides the cause from the traceback but the context is kept: still a Ctrl-C.
    monkeypatch.setattr(tui.commands.status, "run", interrupted_in_a_handler)
    assert main(["status", str(tmp_path)]) == 130
