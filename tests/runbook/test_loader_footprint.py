"""What a load keeps and imports: compact models that still read, dump and compare whole; indexes
by digest for every file a run writes; and a check (`validate`) that makes no models at all."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tui.runbook import file_index, writer, yaml_edit, yaml_source
from tui.runbook.loader import check_runbook, load_runbook
from tui.runbook.models import CommandSpec, Issue, LastRun

RUNBOOK = """\
name: Footprint
defaults: {validation_command: "pytest -q"}
tasks:
  - id: plain
    name: Plain
    status: DONE
  - id: ai
    name: AI
    depends_on: [plain]
    ai_details: {prompt_template: generate.j2}
  - id: detailed
    name: Detailed
    task_detail_file: tasks/detailed.yaml
"""
DETAIL = """\
id: detailed
status: PENDING
script_details: {command: make check, timeout: 30}
ai_details:
  prompt_template: generate.j2
  context_files:
    - {path: a.py, lines: "1-5"}
last_run:
  outcome: SUCCESS
  tokens_in: 12
issues:
  - {type: VALIDATION_FAIL, detail: one test failed}
"""


@pytest.fixture(autouse=True)
def fresh_index():
    writer.forget_own_writes()
    yield
    writer.forget_own_writes()


@pytest.fixture
def folder(runbook_dir):
    return runbook_dir(
        {
            "runbook.yaml": RUNBOOK,
            "tasks/detailed.yaml": DETAIL,
            "prompt_templates/generate.j2": "Do {{ it }}\n",
        }
    )


def test_empty_defaults_made_on_first_use_are_dumped_compared_and_never_shared(folder):
    first, second = load_runbook(folder), load_runbook(folder)
    plain, ai = first.task("plain"), first.task("ai")
    dumped = first.model_dump()["tasks"][1]
    assert dumped["issues"] == [] and dumped["ai_details"]["review_points"] == []
    assert dumped["ai_details"]["input_context"] == {} and dumped["ai_details"]["context_files"] == []
    # one read its empty lists, the other not yet: still equal
    assert first.task("detailed").ai_details == second.task("detailed").ai_details
    assert ai.ai_details == second.task("ai").ai_details and ai.ai_details.files_to_modify == []
    plain.issues.append(Issue())
    assert ai.issues == [] and ai.issues is not plain.issues
    assert "issues=[]" in repr(second.task("ai"))


def test_values_read_as_fields_become_their_models_on_load(folder):
    runbook = load_runbook(folder)
    detailed = runbook.task("detailed")
    assert detailed.script_details == CommandSpec(command="make check", timeout=30)
    assert isinstance(detailed.last_run, LastRun) and detailed.last_run.tokens_in == 12
    assert [issue.detail for issue in detailed.issues] == ["one test failed"]
    assert [(item.path, item.lines) for item in detailed.ai_details.context_files] == [("a.py", "1-5")]
    assert runbook.defaults.validation_command == CommandSpec(command="pytest -q")
    assert detailed.origin.detail_status.line == 2 and detailed.origin.status is None
    assert runbook.task("plain").origin.status.line == 6


def test_checking_only_reports_the_same_problems_and_makes_no_runbook(runbook_dir):
    folder = runbook_dir(
        {
            "runbook.yaml": RUNBOOK.replace("status: DONE", "status: done\n    colour: red"),
            "tasks/detailed.yaml": DETAIL.replace("make check", "make check; rm -rf x"),
            "prompt_templates/generate.j2": "Do {{ it }}\n",
        }
    )
    built, checked = check_runbook(folder), check_runbook(folder, build=False)
    assert checked.runbook is None and checked.task_count == built.task_count == 3
    assert [p.formatted() for p in checked.errors] == [p.formatted() for p in built.errors]
    assert [p.formatted() for p in checked.warnings] == [p.formatted() for p in built.warnings]
    assert len(built.errors) == 2 and len(built.warnings) == 1


def test_validate_imports_no_pydantic_without_a_config_file(folder, tmp_path):
    script = (
        "import sys\n"
        "from tui.cli import main\n"
        "code = main(['validate', sys.argv[1]])\n"
        "print(code, sorted(name for name in sys.modules if name.split('.')[0] == 'pydantic'))\n"
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "no-config")}
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder)], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.splitlines()[-1] == "0 []"


def test_the_load_indexes_detail_files_by_digest_so_their_first_write_is_a_splice(folder, monkeypatch):
    detail = folder / "tasks" / "detailed.yaml"
    load_runbook(folder)
    index = file_index.current(detail, detail.read_bytes())
    assert index is not None and index.data is None and index.digest is not None  # not a copy of the bytes
    assert yaml_source._PLAIN_TAGS == {}  # the load's memo of scalar tags is let go

    def not_expected(*_args, **_kwargs):
        raise AssertionError("the detail file was indexed again")

    edited: list[str] = []

    def spying(edit):
        def spy(text, *args):
            edited.append(text)
            return edit(text, *args)

        return spy

    monkeypatch.setattr(file_index, "build_index", not_expected)
    monkeypatch.setattr(yaml_edit, "set_task_key", spying(yaml_edit.set_task_key))
    monkeypatch.setattr(yaml_edit, "append_task_list_item", spying(yaml_edit.append_task_list_item))
    whole = detail.read_text(encoding="utf-8")
    writer.set_task_key(detail, None, "last_run", {"outcome": "FAILURE"})
    writer.append_task_list_item(detail, None, "issues", {"type": "NOTE", "detail": "second"})
    assert edited and all(len(text) < len(whole) / 2 for text in edited)  # regions, not the document
    text = detail.read_text(encoding="utf-8")
    assert "last_run:\n  outcome: FAILURE\n" in text and text.endswith("detail: second\n")
    assert text.startswith(DETAIL[: DETAIL.index("last_run:")])


def test_an_index_by_digest_is_not_used_for_other_bytes_of_the_same_size(folder):
    path = folder / "runbook.yaml"
    load_runbook(folder)
    data = path.read_bytes()
    other = data.replace(b"id: plain", b"id: plane")
    assert len(other) == len(data)
    assert file_index.current(path, data) is not None and file_index.current(path, other) is None
