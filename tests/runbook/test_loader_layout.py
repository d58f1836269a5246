"""Loading what people write: the solo-developer layout, inline details, defaults, workdir, ids."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tui.resources import shipped
from tui.runbook.loader import find_runbooks, find_workdir, load_runbook
from tui.runbook.models import CommandSpec
from tui.runbook.templates import resolve_template

SOLO_RUNBOOK = """\
# Happy LLM CLI plan
tasks:
  - id: phase_0_setup
    name: "Phase 0: Project Setup"
    status: DONE
    depends_on: []
    type: MANUAL
    task_detail_file: tasks/phase_0_setup.yaml
  - id: task_2.1_implement_abc
    name: Implement Base Adapter Class
    status: READY
    depends_on: [phase_0_setup]
    type: AI_ASSISTED
    task_detail_file: tasks/task_2.1_implement_abc.yaml
"""
SOLO_SETUP = """\
id: phase_0_setup
name: "Phase 0: Project Setup"
status: DONE
type: MANUAL
manual_instructions: |
  Create the repository.
"""
SOLO_ABC = """\
id: task_2.1_implement_abc
name: Implement Base Adapter Class
status: PENDING
description: |
  Longer text shown in the prompt pane.
type: AI_ASSISTED
ai_details:
  model: default
  prompt_template: prompt_templates/generate_abc.txt
  input_context: {class_name: BaseAdapter, methods: [generate, close]}
  context_files:
    - {path: happy_llm_cli/providers/base.py, lines: "45-80"}
  files_to_modify: [happy_llm_cli/providers/base.py]
  output_parser: python_code_block
  review_points: [ABC has abstract generate(), type hints present]
output_artifact: happy_llm_cli/providers/base.py
validation_command: python -m pytest -q tests/test_base.py
last_run:
  timestamp: 2026-11-21T10:00:00Z
  outcome: FAILURE
  llm_response: "class BaseAdapter(ABC):"
  cost_estimate: 0.0
  model: default
  tokens_in: 812
  tokens_out: 344
  tokens_per_second: 41.7
issues:
  - {timestamp: 2026-11-21T10:01:00Z, type: VALIDATION_FAIL, detail: missing import, resolution: retried}
"""


def solo_layout(runbook_dir) -> Path:
    return runbook_dir(
        {
            "runbook.yaml": SOLO_RUNBOOK,
            "tasks/phase_0_setup.yaml": SOLO_SETUP,
            "tasks/task_2.1_implement_abc.yaml": SOLO_ABC,
            "prompt_templates/generate_abc.txt": "Write {{ class_name }}.\n",
        }
    )


def test_solo_developer_layout_loads_unchanged(runbook_dir):
    folder = solo_layout(runbook_dir)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    runbook = load_runbook(folder)
    assert runbook.warnings == []
    assert [t.id for t in runbook.tasks] == ["phase_0_setup", "task_2.1_implement_abc"]
    setup, abc = runbook.tasks
    assert setup.manual_instructions == "Create the repository.\n"
    assert abc.status == "READY"  # the runbook's value counts over the detail file's PENDING
    assert abc.depends_on == ["phase_0_setup"]
    assert abc.description == "Longer text shown in the prompt pane.\n"
    assert abc.ai_details.input_context == {"class_name": "BaseAdapter", "methods": ["generate", "close"]}
    assert abc.ai_details.context_files[0].path == "happy_llm_cli/providers/base.py"
    assert abc.ai_details.context_files[0].line_range() == (45, 80)
    assert abc.prompt_template_path == folder / "prompt_templates" / "generate_abc.txt"
    assert abc.output_parser == "python_code_block"
    assert abc.output_artifact == "happy_llm_cli/providers/base.py"
    assert abc.effective_validation_command == CommandSpec(command="python -m pytest -q tests/test_base.py")
    assert abc.last_run.timestamp == "2026-11-21T10:00:00Z"
    assert (abc.last_run.outcome, abc.last_run.tokens_in, abc.last_run.tokens_per_second) == (
        "FAILURE",
        812,
        41.7,
    )
    assert abc.issues[0].type == "VALIDATION_FAIL" and abc.issues[0].resolution == "retried"
    assert abc.task_detail_file == folder / "tasks" / "task_2.1_implement_abc.yaml"
    assert (abc.origin.entry.line, abc.origin.entry.column) == (9, 5)
    assert (abc.origin.status.line, abc.origin.status.column) == (11, 13)
    assert (abc.origin.detail_status.path.name, abc.origin.detail_status.line) == (
        "task_2.1_implement_abc.yaml",
        3,
    )
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before


def test_inline_details_group_and_inherited_defaults(runbook_dir):
    folder = runbook_dir(
        {
            "prompt_templates/gen.j2": "x",
            "prompt_templates/wrap.j2": "y",
            "runbook.yaml": (
                "name: Mine\n"
                "defaults:\n  model: small\n  system_template: wrap.j2\n  context_budget: 2000\n"
                "  max_new_tokens: 512\n  temperature: 0\n"
                "  validation_command: {command: make test | tee out, shell: true, timeout: 60}\n  commit: true\n"
                "tasks:\n"
                "  - id: a\n    name: A\n    group: Phase 1/Adapters\n"
                "    ai_details: {prompt_template: gen.j2, context_budget: 900, model: big}\n"
                "    commit: false\n"
                "  - id: b\n    name: B\n    script_details: make lint\n    validation_command: pytest -q\n"
            ),
        }
    )
    runbook = load_runbook(folder)
    assert runbook.name == "Mine"
    a, b = runbook.tasks
    assert a.type == "AI_ASSISTED" and b.type == "AUTOMATED_SCRIPT"  # inferred from the details given
    assert a.group_path == ("Phase 1", "Adapters")
    assert (a.effective_model, a.effective_context_budget, a.effective_max_new_tokens) == ("big", 900, 512)
    assert a.effective_temperature == 0.0
    assert a.system_template_path == folder / "prompt_templates" / "wrap.j2"
    assert a.effective_commit is False and b.effective_commit is True
    assert a.effective_validation_command == CommandSpec(
        command="make test | tee out", shell=True, timeout=60
    )
    assert b.effective_validation_command.command == "pytest -q"
    assert b.script_details == CommandSpec(command="make lint")
    assert b.effective_model == "small"
    assert a.status == "PENDING"


def test_name_defaults_to_the_folder(runbook_dir):
    assert load_runbook(runbook_dir({"runbook.yaml": "tasks: []\n"})).name == "rb"


def test_ids_keep_their_written_text(runbook_dir):
    folder = runbook_dir(
        {
            "runbook.yaml": (
                "tasks:\n  - id: 1.1\n    name: one\n  - id: 1.10\n    name: ten\n    depends_on: [1.1]\n"
                "  - id: '1.100'\n    name: hundred\n    depends_on: 1.10\n  - id: 010\n    name: octal\n"
            )
        }
    )
    runbook = load_runbook(folder)
    assert [t.id for t in runbook.tasks] == ["1.1", "1.10", "1.100", "010"]
    assert runbook.task("1.10").depends_on == ["1.1"]
    assert runbook.task("1.100").depends_on == ["1.10"]


def test_detail_file_found_by_id_without_a_reference(runbook_dir):
    folder = runbook_dir(
        {
            "runbook.yaml": "tasks:\n  - id: a\n    name: A\n",
            "tasks/a.yaml": "id: a\nmanual_instructions: do it\nstatus: DONE\n",
        }
    )
    task = load_runbook(folder).task("a")
    assert task.manual_instructions == "do it"
    assert task.status == "DONE"  # runbook.yaml says nothing, so the detail file's status is the one there is
    assert task.origin.status is None and task.origin.detail_status.line == 3
    assert task.task_detail_file == folder / "tasks" / "a.yaml"


def test_workdir_relative_to_the_runbook(runbook_dir, tmp_path):
    (tmp_path / "project").mkdir()
    folder = runbook_dir({"runbook.yaml": "workdir: ../project\ntasks: []\n"})
    assert load_runbook(folder).workdir == tmp_path / "project"


def test_workdir_defaults_to_the_git_root(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    folder = tmp_path / "runbooks" / "one"
    folder.mkdir(parents=True)
    (folder / "runbook.yaml").write_text("tasks: []\n")
    assert load_runbook(folder).workdir == tmp_path
    assert find_workdir(folder) == tmp_path


def test_workdir_defaults_to_the_folder_outside_git(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "runbook.yaml").write_text("tasks: []\n")
    if find_workdir(tmp_path) == tmp_path:  # tmp itself is not inside a repository here
        assert load_runbook(folder).workdir == folder


def test_missing_workdir_is_a_warning(runbook_dir):
    runbook = load_runbook(runbook_dir({"runbook.yaml": "workdir: ../nowhere\ntasks: []\n"}))
    assert [w.sentence for w in runbook.warnings] == ["the workdir ../nowhere is not a folder (yet)."]


def test_history_with_odd_values_warns_and_keeps_them(runbook_dir):
    folder = runbook_dir(
        {"runbook.yaml": "tasks:\n  - id: a\n    name: A\n    last_run: {tokens_in: many, note: hi}\n"}
    )
    runbook = load_runbook(folder)
    assert runbook.task("a").last_run.extra == {"tokens_in": "many", "note": "hi"}
    assert [w.location.line for w in runbook.warnings] == [4]


def test_merge_keys_and_anchors(runbook_dir):
    folder = runbook_dir(
        {
            "runbook.yaml": "x-common: &c {group: G, type: MANUAL}\ntasks:\n  - <<: *c\n    id: a\n    name: A\n"
        }
    )
    runbook = load_runbook(folder)
    assert runbook.task("a").group == "G"


def test_find_runbooks(tmp_path):
    for name in ("b", "a"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "runbook.yaml").write_text("tasks: []\n")
    (tmp_path / "not_one").mkdir()
    assert find_runbooks(tmp_path) == [tmp_path / "a" / "runbook.yaml", tmp_path / "b" / "runbook.yaml"]
    assert find_runbooks(tmp_path / "a") == [tmp_path / "a" / "runbook.yaml"]
    assert find_runbooks(tmp_path / "a" / "runbook.yaml") == [tmp_path / "a" / "runbook.yaml"]
    assert find_runbooks(tmp_path / "missing") == []


def test_resolve_template_order(tmp_path):
    (tmp_path / "prompt_templates" / "sub").mkdir(parents=True)
    (tmp_path / "prompt_templates" / "t.j2").write_text("local")
    (tmp_path / "prompt_templates" / "sub" / "s.j2").write_text("nested")
    (tmp_path / "beside.j2").write_text("beside")
    assert resolve_template(tmp_path, "t.j2") == tmp_path / "prompt_templates" / "t.j2"
    assert resolve_template(tmp_path, "prompt_templates/t.j2") == tmp_path / "prompt_templates" / "t.j2"
    assert resolve_template(tmp_path, "sub/s.j2") == tmp_path / "prompt_templates" / "sub" / "s.j2"
    assert resolve_template(tmp_path, "beside.j2") == tmp_path / "beside.j2"
    assert resolve_template(tmp_path, "missing.j2") is None


def test_resolve_template_falls_back_to_shipped(tmp_path):
    shipped_folder = shipped("prompt_templates")
    names = sorted(p.name for p in shipped_folder.glob("*") if p.is_file()) if shipped_folder.is_dir() else []
    if not names:
        return  # nothing shipped in this checkout yet
    assert resolve_template(tmp_path, names[0]) == shipped_folder / names[0]
    (tmp_path / "prompt_templates").mkdir()
    (tmp_path / "prompt_templates" / names[0]).write_text("mine wins")
    assert resolve_template(tmp_path, names[0]) == tmp_path / "prompt_templates" / names[0]


def test_loaded_models_dump_and_do_not_share_mutable_defaults(runbook_dir):
    runbook = load_runbook(
        runbook_dir({"runbook.yaml": "tasks:\n  - {id: a, name: A}\n  - {id: b, name: B}\n"})
    )
    a, b = runbook.tasks
    dumped = runbook.model_dump()
    a.depends_on.append("b")
    assert b.depends_on == [] and a.issues is not b.issues
    assert dumped["tasks"][1]["id"] == "b" and dumped["tasks"][1]["status"] == "PENDING"
    assert type(a).model_validate(dumped["tasks"][1]).depends_on == []
