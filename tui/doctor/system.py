"""Python, Patchbay and Textual versions, and the terminal (without importing Textual)."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys

from tui.doctor.report import Check, fail, info, ok

SECTION = "Patchbay"
TERMINAL = "Terminal"


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def software_checks() -> list[Check]:
    python = ".".join(str(p) for p in sys.version_info[:3])
    checks = [
        ok(SECTION, "Python", python)
        if sys.version_info >= (3, 10)
        else fail(SECTION, "Python", python, "Patchbay needs Python 3.10 or newer")
    ]
    patchbay = _version("patchbay")
    checks.append(
        ok(SECTION, "Patchbay", patchbay) if patchbay else info(SECTION, "Patchbay", "run from a source tree")
    )
    textual = _version("textual")
    checks.append(
        ok(SECTION, "Textual", textual)
        if textual
        else fail(SECTION, "Textual", "not installed", "reinstall Patchbay (pip install patchbay)")
    )
    return checks


def terminal_checks(environ: dict[str, str] | None = None) -> list[Check]:
    env = dict(os.environ if environ is None else environ)
    term, colorterm = env.get("TERM", ""), env.get("COLORTERM", "")
    checks = [info(TERMINAL, "TERM", term or "not set", "" if term else "run Patchbay in a terminal")]
    if colorterm.lower() in ("truecolor", "24bit"):
        checks.append(ok(TERMINAL, "colours", f"truecolor (COLORTERM={colorterm})"))
    elif "256color" in term:
        checks.append(
            info(
                TERMINAL,
                "colours",
                "256 colours",
                "themes look best with truecolor: set COLORTERM=truecolor if the terminal has it",
            )
        )
    else:
        checks.append(
            info(TERMINAL, "colours", "16 colours or fewer", "use a terminal with 256 colours or truecolor")
        )
    if "NO_COLOR" in env:
        checks.append(
            info(
                TERMINAL, "NO_COLOR", "set: Patchbay shows no colour", "unset NO_COLOR to see diffs in colour"
            )
        )
    if env.get("TMUX"):
        checks.extend(_tmux_checks(env))
    return checks


def _tmux_option(env: dict[str, str], name: str) -> str | None:
    tmux = shutil.which("tmux", path=env.get("PATH"))
    if tmux is None:
        return None
    try:
        result = subprocess.run(
            [tmux, "show-options", "-gqv", name],
            capture_output=True,
            text=True,
            timeout=5,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _tmux_checks(env: dict[str, str]) -> list[Check]:
    checks = []
    escape = _tmux_option(env, "escape-time")
    if escape is None:
        checks.append(info(TERMINAL, "tmux escape-time", "unknown"))
    elif escape.isdigit() and int(escape) > 50:
        checks.append(
            info(
                TERMINAL,
                "tmux escape-time",
                f"{escape} ms",
                "Esc feels slow: add `set -sg escape-time 10` to ~/.tmux.conf",
            )
        )
    else:
        checks.append(ok(TERMINAL, "tmux escape-time", f"{escape} ms"))
    clipboard = _tmux_option(env, "set-clipboard")
    if clipboard in ("on", "external"):
        checks.append(ok(TERMINAL, "tmux set-clipboard", clipboard))
    else:
        checks.append(
            info(
                TERMINAL,
                "tmux set-clipboard",
                clipboard or "unknown",
                "copying to the clipboard needs `set -g set-clipboard on` in ~/.tmux.conf",
            )
        )
    return checks
