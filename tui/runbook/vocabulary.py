"""The words a runbook is written in: statuses, task types, output parsers.

Plain constants, apart from the models, so that checking a runbook (`patchbay validate`) needs no
pydantic: importing it and making the model classes is a third of that command's time.
"""

from __future__ import annotations

from typing import Literal

Status = Literal["PENDING", "READY", "RUNNING", "DONE", "ERROR", "SKIPPED"]
TaskType = Literal["MANUAL", "AI_ASSISTED", "AUTOMATED_SCRIPT"]

STATUSES: tuple[str, ...] = ("PENDING", "READY", "RUNNING", "DONE", "ERROR", "SKIPPED")
TASK_TYPES: tuple[str, ...] = ("MANUAL", "AI_ASSISTED", "AUTOMATED_SCRIPT")
# "<lang>_code_block" (python_code_block, ...) is accepted too.
OUTPUT_PARSERS: tuple[str, ...] = (
    "auto",
    "unified_diff",
    "search_replace",
    "apply_patch",
    "whole_file",
    "code_block",
    "json",
    "text",
)
FINISHED_STATUSES = frozenset({"DONE", "SKIPPED"})

DEFAULT_MODEL = "default"
# auto: whatever edit format the answer is written in (per block); a model's edit_format or the
# task's output_parser narrows it.
DEFAULT_OUTPUT_PARSER = "auto"


def is_output_parser(name: str) -> bool:
    return name in OUTPUT_PARSERS or (name.endswith("_code_block") and len(name) > len("_code_block"))
