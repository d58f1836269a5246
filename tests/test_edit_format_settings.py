"""A model's edit_format picks the format its tasks are asked for and read in; a task's own
output_parser wins. Real runbook folders, the replay backend, real files."""

from __future__ import annotations

from pathlib import Path

from tui.runner import TaskRun
from tui.session import Session

SHAPES = "def area(w, h):\n    return w * h\n"
SR_ANSWER = (
    "src/shapes.py\n```python\n<<<<<<< SEARCH\n    return w * h\n=======\n"
    "    return abs(w * h)\n>>>>>>> REPLACE\n```\n"
)


def _runbook(tmp_path: Path, task_parser: str | None) -> Path:
    folder = tmp_path / "rb"
    (folder / "project" / "src").mkdir(parents=True)
    (folder / "project" / "src" / "shapes.py").write_text(SHAPES)
    parser = f"\n      output_parser: {task_parser}" if task_parser else ""
    (folder / "runbook.yaml").write_text(
        "name: formats\nworkdir: project\ndefaults:\n  model: local\n  system_template: agent_wrapper.j2\n"
        "tasks:\n  - id: abs_area\n    name: Never negative\n    status: PENDING\n    type: AI_ASSISTED\n"
        "    ai_details:\n      prompt_template: edit.j2\n      files_to_modify: [src/shapes.py]"
        f"{parser}\n"
    )
    (folder / "patchbay.yaml").write_text(
        "models:\n  local:\n    backend: replay\n    transcript: replay.yaml\n    edit_format: search_replace\n"
    )
    text = "\n".join("      " + line for line in SR_ANSWER.splitlines())
    (folder / "replay.yaml").write_text(f"rate: 0\nanswers:\n  - task: abs_area\n    text: |\n{text}\n")
    return folder


def test_the_models_edit_format_sets_the_prompt_and_the_parser(tmp_path):
    folder = _runbook(tmp_path, None)
    session = Session(folder, replay_rate=0)
    task = session.task("abs_area")
    assert session.output_parser_for(task) == "search_replace"
    run = TaskRun.begin(session, "abs_area")
    prepared = run.prepare()
    assert "<<<<<<< SEARCH" in prepared.rendered.user and "```diff" not in (prepared.rendered.system or "")
    run.generate()
    change_set = run.review()
    assert [change.edit_format for change in change_set.files] == ["search_replace"]
    run.apply()
    assert (folder / "project/src/shapes.py").read_text() == SHAPES.replace("w * h", "abs(w * h)")


def test_the_tasks_output_parser_wins_over_the_models_edit_format(tmp_path):
    folder = _runbook(tmp_path, "unified_diff")
    session = Session(folder, replay_rate=0)
    task = session.task("abs_area")
    assert session.output_parser_for(task) == "unified_diff"
    assert session.prompt_edit_format(task) == "unified_diff"
    prepared = TaskRun.begin(session, "abs_area").prepare()
    assert "```diff" in prepared.rendered.user and "SEARCH" not in prepared.rendered.user
