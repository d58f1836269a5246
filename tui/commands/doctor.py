"""`patchbay doctor [--model NAME] [--json]`: what this machine has for the chosen model, as a
checklist to fix from or paste into a bug report. Exit 0 when everything the model needs is here."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.config import ExLlamaV2Spec, OpenAISpec, ReplaySpec
from tui.doctor.report import Check, exit_code, fail, info, ok, render_json, render_text
from tui.doctor.system import software_checks, terminal_checks
from tui.engine.registry import load_registry
from tui.errors import PatchbayError
from tui.plural import counted

SECTION = "Model"


def run(args: argparse.Namespace) -> int:
    checks = software_checks() + terminal_checks() + model_checks(args.model, args.config)
    print(render_json(checks) if args.json else render_text(checks))
    return exit_code(checks)


def model_checks(name: str | None, config_file: str | None) -> list[Check]:
    try:
        registry = load_registry(Path.cwd(), Path(config_file) if config_file else None)
        name = name or registry.default_name()
        if name is None:
            return [info(SECTION, "model", "none chosen", "pass --model NAME to check one of your models")]
        spec = registry.get(name)
    except PatchbayError as exc:
        return [fail(SECTION, "model", str(exc), "see the README's model registry section")]
    if isinstance(spec, ExLlamaV2Spec):
        from tui.doctor.exllamav2_checks import exllamav2_checks

        return [ok(SECTION, "model", f"{name} (exllamav2)"), *exllamav2_checks(spec)]
    if isinstance(spec, OpenAISpec):
        from tui.doctor.openai_checks import openai_checks

        where = spec.base_url or f"a pool of {counted(len(spec.server_list()), 'server')}"
        return [ok(SECTION, "model", f"{name} (openai @ {where})"), *openai_checks(spec)]
    if isinstance(spec, ReplaySpec):
        detail = f"{name} replays {spec.transcript}"
        if Path(spec.transcript).is_file():
            return [ok(SECTION, "model", detail)]
        return [fail(SECTION, "model", detail, "the transcript file does not exist")]
    return [info(SECTION, "model", f"{name} ({type(spec).__name__})")]
