"""The reference pages list exactly the keys the code reads, so the two cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest
import yaml
from jinja2 import meta, nodes

from tui.config import ExLlamaV2Spec, OpenAISpec, PatchbayConfig, ReplaySpec
from tui.runbook import loader, task_fields
from tui.runbook.models import ContextFile, Issue, LastRun

from .doc_blocks import REPO

DOCS = REPO / "docs"


def sections(path: Path, level: int) -> dict[str, str]:
    """The text under each heading of `level` (`##` = 2), by the heading's text."""
    text = path.read_text(encoding="utf-8")
    found: dict[str, str] = {}
    parts = re.split(rf"^{'#' * level} (.+)$", text, flags=re.MULTILINE)
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        found[title.strip()] = re.split(rf"^#{{1,{level}}} ", body, flags=re.MULTILINE)[0]
    return found


def documented_keys(body: str) -> list[str]:
    return re.findall(r"^### `([\w-]+)`$", body, flags=re.MULTILINE)


def _fields(model, *leave_out: str) -> list[str]:
    return [name for name in model.model_fields if name not in leave_out]


REFERENCE = DOCS / "runbook-reference.md"
EXPECTED = {
    "Top level of runbook.yaml": list(loader._TOP_KEYS),
    "`defaults`": list(task_fields.DEFAULT_KEYS),
    "Task keys": list(task_fields.TASK_KEYS),
    "`ai_details`": list(task_fields.AI_KEYS),
    "Commands": list(task_fields._COMMAND_KEYS),
    "`context_files` items": _fields(ContextFile),
    "`last_run`": [*task_fields._LAST_RUN_TEXT, *task_fields._LAST_RUN_INT, *task_fields._LAST_RUN_FLOAT],
    "`issues` items": list(task_fields._ISSUE_TEXT),
}


@pytest.mark.parametrize("section", EXPECTED)
def test_the_reference_documents_every_key_the_loader_reads(section: str) -> None:
    body = sections(REFERENCE, 2)[section]
    assert sorted(documented_keys(body)) == sorted(EXPECTED[section])


def test_the_history_models_hold_the_keys_the_reference_lists() -> None:
    assert set(EXPECTED["`last_run`"]) == set(_fields(LastRun, "extra"))
    assert set(EXPECTED["`issues` items"]) == set(_fields(Issue, "extra"))


def test_each_key_says_what_it_does_its_default_and_an_example() -> None:
    for section in EXPECTED:
        for key, body in sections_of_keys(sections(REFERENCE, 2)[section]).items():
            where = f"{section} / {key}"
            assert re.search(r"^Default: .+", body, re.MULTILINE), f"{where}: no Default line"
            example = re.search(r"^Example: `(.+)`$", body, re.MULTILINE)
            assert example, f"{where}: no Example line"
            assert example.group(1).startswith(f"{key}:"), f"{where}: the example shows another key"
            yaml.safe_load(example.group(1))  # and it is YAML
            prose = body.split("Default:")[0].strip()
            assert len(prose) > 20, f"{where}: say what it does"


def sections_of_keys(body: str) -> dict[str, str]:
    parts = re.split(r"^### `([\w-]+)`$", body, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


# -- the model registry and the config file ----------------------------------------------------------

MODELS = DOCS / "models.md"
CONFIG = DOCS / "configuration.md"


def table_keys(body: str) -> list[str]:
    """The first column of a Markdown table: | `key` | ... |"""
    return re.findall(r"^\| `([\w.-]+)` \|", body, flags=re.MULTILINE)


@pytest.mark.parametrize(
    ("section", "spec"),
    [("`exllamav2`", ExLlamaV2Spec), ("`openai`", OpenAISpec), ("`replay`", ReplaySpec)],
)
def test_every_option_of_every_backend_is_documented(section: str, spec) -> None:
    found = sections(MODELS, 2)
    own = table_keys(found[section])
    shared = table_keys(found.get("Options of every backend", ""))  # settings all backends share
    assert not set(own) & set(shared), "an option is listed twice"
    assert sorted(own + shared) == sorted(spec.model_fields)


def test_every_setting_of_the_config_file_is_documented() -> None:
    body = sections(CONFIG, 2)["Settings"]
    assert sorted(table_keys(body)) == sorted(PatchbayConfig.model_fields)


def test_the_replay_transcript_keys_are_documented() -> None:
    body = sections(MODELS, 2)["Replay transcripts"]
    assert sorted(table_keys(body)) == ["answers", "attempt", "rate", "task", "text"]


# -- the shipped prompt templates --------------------------------------------------------------------

TEMPLATES = DOCS / "prompt-templates.md"


def template_variables(path: Path) -> set[str]:
    """The variables a template reads: top-level names, and `task.<attribute>` for the task."""
    source = path.read_text(encoding="utf-8")
    tree = jinja2.Environment().parse(source)
    names = meta.find_undeclared_variables(tree) - {"task"}
    names |= {
        f"task.{node.attr}"
        for node in tree.find_all(nodes.Getattr)
        if getattr(node.node, "name", "") == "task"
    }
    return names


def test_every_shipped_template_is_documented_with_the_variables_it_uses() -> None:
    shipped = sorted((REPO / "prompt_templates").glob("*.j2"))
    body = sections(TEMPLATES, 2)["The shipped templates"]
    rows = dict(re.findall(r"^\| `([\w.]+\.j2)` \| [^|]+ \| ([^|]+) \|$", body, flags=re.MULTILINE))
    assert sorted(rows) == [path.name for path in shipped]
    for path in shipped:
        documented = set(re.findall(r"`([\w.]+)`", rows[path.name]))
        assert documented == template_variables(path), path.name


def test_the_documented_binding_ids_exist() -> None:
    from .test_examples import binding_ids

    body = sections(CONFIG, 2)["Key bindings"]
    documented = set(table_keys(body))
    assert documented, "no binding table"
    assert documented <= binding_ids(), sorted(documented - binding_ids())
