"""Checks on an imported runbook folder: our own structural checks, then `patchbay validate`."""

from __future__ import annotations

import contextlib
import importlib.util
import io
from pathlib import Path

import jinja2
import yaml

from tui.cli import main as patchbay


def validate_available() -> bool:
    return importlib.util.find_spec("tui.commands.validate") is not None


def load_runbook(out: Path) -> dict:
    return yaml.safe_load((out / "runbook.yaml").read_text(encoding="utf-8"))


def task_map(out: Path) -> dict[str, dict]:
    """Every runbook entry by id, with its detail file's keys merged in (as the loader does)."""
    tasks = {}
    for entry in load_runbook(out)["tasks"]:
        merged = dict(entry)
        if "task_detail_file" in entry:
            details = yaml.safe_load((out / entry["task_detail_file"]).read_text(encoding="utf-8"))
            assert details["id"] == entry["id"], entry["task_detail_file"]
            merged.update({key: value for key, value in details.items() if key != "status"})
        tasks[entry["id"]] = merged
    return tasks


def render_prompt(out: Path, task: dict) -> str:
    """The task's prompt template rendered with no variables (a plan's braces must stay literal)."""
    name = task["ai_details"]["prompt_template"]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(out / "prompt_templates"), undefined=jinja2.StrictUndefined
    )
    return env.get_template(name).render(context_files=[])


def assert_runbook_valid(out: Path) -> None:
    runbook = load_runbook(out)
    assert (out / "logs").is_dir()
    ids = [entry["id"] for entry in runbook["tasks"]]
    assert all(isinstance(task_id, str) for task_id in ids)
    assert len(ids) == len(set(ids)), "duplicate ids"
    tasks = task_map(out)
    for task in tasks.values():
        assert task["name"] and "\n" not in task["name"]
        assert set(task["depends_on"]) <= set(ids), task["id"]
        assert task["status"] == ("PENDING" if task["depends_on"] else "READY")
        assert task["type"] in ("AI_ASSISTED", "MANUAL", "AUTOMATED_SCRIPT")
        if task["type"] == "AI_ASSISTED":
            assert (out / "prompt_templates" / task["ai_details"]["prompt_template"]).is_file()
            render_prompt(out, task)
    _assert_acyclic({task_id: task["depends_on"] for task_id, task in tasks.items()})
    template = (runbook.get("defaults") or {}).get("system_template")
    if template:
        jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(
            (out / "prompt_templates" / template).read_text(encoding="utf-8")
        ).render()
    if validate_available():
        assert validate_output(out).endswith(" 0 errors, 0 warnings\n")


def validate_output(out: Path) -> str:
    """What `patchbay validate` prints for the runbook at `out` (the user's own settings left out)."""
    settings = out.parent / f"{out.name}-empty-settings.yaml"
    settings.write_text("", encoding="utf-8")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = patchbay(["validate", str(out), "--config", str(settings)])
    assert code == 0, printed.getvalue()
    return printed.getvalue()


def _assert_acyclic(graph: dict[str, list[str]]) -> None:
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        state[node] = 1
        for dep in graph[node]:
            assert state.get(dep) != 1, f"cycle through {node} and {dep}"
            if dep not in state:
                visit(dep)
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node)
