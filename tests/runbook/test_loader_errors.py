"""Every kind of runbook error, reported at its exact file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.runbook.loader import check_runbook, load_runbook
from tui.runbook.problems import Problem, RunbookInvalid


def only_error(folder: Path) -> Problem:
    report = check_runbook(folder)
    assert report.runbook is None
    assert len(report.errors) == 1, [str(p) for p in report.errors]
    return report.errors[0]


def at(problem: Problem) -> tuple[str, int | None, int | None]:
    return problem.location.path.name, problem.location.line, problem.location.column


def test_yaml_syntax_error_points_at_the_bad_character(runbook_dir):
    folder = runbook_dir({"runbook.yaml": "tasks:\n  - id: a\n    name: x\n   bad: [1\n"})
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 4, 4)
    assert problem.sentence.startswith("YAML syntax error:")


def test_wrong_type_is_located_at_the_value(runbook_dir):
    folder = runbook_dir(
        {"runbook.yaml": ("tasks:\n  - id: a\n    name: A\n    type: MANUAL\n    commit: maybe\n")}
    )
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 5, 13)
    assert problem.sentence == "commit must be true or false, not 'maybe'."


def test_budget_must_be_a_whole_number(runbook_dir):
    folder = runbook_dir({"runbook.yaml": "defaults:\n  context_budget: lots\ntasks: []\n"})
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 2, 19)
    assert "context_budget must be a whole number" in problem.sentence


def test_unknown_status_lists_the_valid_ones(runbook_dir):
    folder = runbook_dir({"runbook.yaml": "tasks:\n  - id: a\n    name: A\n    status: FINISHED\n"})
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 4, 13)
    assert problem.sentence == (
        "unknown status `FINISHED`; use one of PENDING, READY, RUNNING, DONE, ERROR, SKIPPED."
    )


def test_lowercase_status_suggests_the_spelling(runbook_dir):
    folder = runbook_dir({"runbook.yaml": "tasks:\n  - id: a\n    name: A\n    status: done\n"})
    assert "(did you mean DONE?)" in only_error(folder).sentence


def test_unknown_type_lists_the_valid_ones(runbook_dir):
    folder = runbook_dir({"runbook.yaml": "tasks:\n  - id: a\n    name: A\n    type: ROBOT\n"})
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 4, 11)
    assert "MANUAL, AI_ASSISTED, AUTOMATED_SCRIPT" in problem.sentence


def test_duplicate_id_names_the_first_place(runbook_dir):
    folder = runbook_dir(
        {
            "runbook.yaml": "tasks:\n  - id: a\n    name: A\n  - id: b\n    name: B\n  - id: a\n    name: A again\n"
        }
    )
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 6, 9)
    assert problem.sentence.startswith("duplicate task id `a`; it is first used at ")
    assert problem.sentence.endswith("runbook.yaml:2:9.")


def test_unknown_dependency_is_located_at_the_item(runbook_dir):
    folder = runbook_dir(
        {
            "runbook.yaml": "tasks:\n  - id: setup\n    name: A\n  - id: b\n    name: B\n    depends_on: [setup, stup]\n"
        }
    )
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 6, 25)
    assert problem.sentence == (
        "task `b` depends on `stup`, which is not a task in this runbook (did you mean `setup`?)."
    )


def test_dependency_cycle_prints_the_cycle(runbook_dir):
    folder = runbook_dir(
        {
            "runbook.yaml": (
                "tasks:\n"
                "  - id: a\n    name: A\n    depends_on: [c]\n"
                "  - id: b\n    name: B\n    depends_on: [a]\n"
                "  - id: c\n    name: C\n    depends_on: [b]\n"
                "  - id: d\n    name: D\n    depends_on: [d]\n"
            )
        }
    )
    report = check_runbook(folder)
    sentences = sorted(p.sentence for p in report.errors)
    assert sentences == ["dependency cycle: a -> c -> b -> a.", "dependency cycle: d -> d."]
    by_sentence = {p.sentence: p for p in report.errors}
    assert at(by_sentence["dependency cycle: a -> c -> b -> a."]) == ("runbook.yaml", 7, 18)
    assert at(by_sentence["dependency cycle: d -> d."]) == ("runbook.yaml", 13, 18)


def test_missing_detail_file_is_located_at_the_reference(runbook_dir):
    folder = runbook_dir(
        {"runbook.yaml": "tasks:\n  - id: a\n    name: A\n    task_detail_file: tasks/nope.yaml\n"}
    )
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 4, 23)
    assert problem.sentence == "the detail file tasks/nope.yaml does not exist."


def test_missing_template_is_located_at_its_name(runbook_dir):
    folder = runbook_dir(
        {
            "runbook.yaml": (
                "tasks:\n  - id: a\n    name: A\n    type: AI_ASSISTED\n"
                "    ai_details:\n      prompt_template: no_such_template.j2\n"
            )
        }
    )
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 6, 24)
    assert problem.sentence.startswith("the template `no_such_template.j2` was not found")


def test_missing_fallback_and_system_templates_are_errors(runbook_dir):
    folder = runbook_dir(
        {
            "prompt_templates/p.j2": "hi",
            "runbook.yaml": (
                "defaults:\n  system_template: wrap_missing.j2\n"
                "tasks:\n  - id: a\n    name: A\n"
                "    ai_details: {prompt_template: p.j2, fallback_prompt_template: fix_missing.j2}\n"
            ),
        }
    )
    report = check_runbook(folder)
    assert sorted((p.location.line, p.location.column) for p in report.errors) == [(2, 20), (6, 67)]


def test_detail_file_with_another_id(runbook_dir):
    folder = runbook_dir(
        {
            "runbook.yaml": "tasks:\n  - id: a\n    name: A\n    task_detail_file: tasks/a.yaml\n",
            "tasks/a.yaml": "# details\nid: b\nname: A\n",
        }
    )
    problem = only_error(folder)
    assert at(problem) == ("a.yaml", 2, 5)
    assert "id `b` differs from its runbook entry's id `a`" in problem.sentence


def test_ai_task_without_template(runbook_dir):
    folder = runbook_dir(
        {"runbook.yaml": "tasks:\n  - id: a\n    name: A\n    type: AI_ASSISTED\n    description: x\n"}
    )
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 4, 11)
    assert problem.sentence == "AI_ASSISTED task `a` has no ai_details.prompt_template."


def test_script_task_without_command(runbook_dir):
    folder = runbook_dir({"runbook.yaml": "tasks:\n  - id: a\n    name: A\n    type: AUTOMATED_SCRIPT\n"})
    assert "has no script_details command" in only_error(folder).sentence


@pytest.mark.parametrize("content", ["", "   \n\n", "\ufeff"])
def test_empty_runbook_file(runbook_dir, content):
    problem = only_error(runbook_dir({"runbook.yaml": content}))
    assert at(problem) == ("runbook.yaml", None, None)
    assert problem.sentence == "the file is empty."


def test_comments_only_runbook(runbook_dir):
    problem = only_error(runbook_dir({"runbook.yaml": "# nothing yet\n"}))
    assert problem.sentence == "the file holds only comments, no YAML document."


def test_empty_detail_file(runbook_dir):
    folder = runbook_dir(
        {
            "runbook.yaml": "tasks:\n  - id: a\n    name: A\n    task_detail_file: tasks/a.yaml\n",
            "tasks/a.yaml": "",
        }
    )
    problem = only_error(folder)
    assert at(problem) == ("a.yaml", None, None)
    assert problem.sentence == "the file is empty."


def test_non_utf8_reports_the_bad_byte(runbook_dir):
    folder = runbook_dir({"runbook.yaml": b"tasks:\n  - id: a\n    name: Caf" + b"\xe9 au lait\n"})
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 3, 14)
    assert problem.sentence == "the file is not UTF-8 text (byte 0xe9 cannot be decoded)."


def test_non_utf8_column_counts_characters(runbook_dir):
    folder = runbook_dir({"runbook.yaml": "name: é€\xff".encode("utf-8", "surrogateescape")})
    text = "name: é€".encode() + b"\xff"
    folder = runbook_dir({"runbook.yaml": text})
    assert at(only_error(folder)) == ("runbook.yaml", 1, 9)


def test_control_character_is_a_located_syntax_error(runbook_dir):
    folder = runbook_dir({"runbook.yaml": "tasks:\n  - id: a\x07\n"})
    problem = only_error(folder)
    assert at(problem)[:2] == ("runbook.yaml", 2)
    assert problem.sentence.startswith("YAML syntax error:")


def test_top_must_be_a_mapping(runbook_dir):
    problem = only_error(runbook_dir({"runbook.yaml": "\n- id: a\n  name: A\n"}))
    assert at(problem) == ("runbook.yaml", 2, 1)
    assert problem.sentence == "the top of runbook.yaml must be a mapping with a `tasks` list, not a list."


def test_missing_tasks(runbook_dir):
    problem = only_error(runbook_dir({"runbook.yaml": "name: x\n"}))
    assert at(problem) == ("runbook.yaml", 1, 1)
    assert problem.sentence == "runbook.yaml has no `tasks` list."


def test_tasks_must_be_a_list(runbook_dir):
    problem = only_error(runbook_dir({"runbook.yaml": "name: x\ntasks: {a: 1}\n"}))
    assert at(problem) == ("runbook.yaml", 2, 8)


def test_entry_without_id_or_name(runbook_dir):
    report = check_runbook(runbook_dir({"runbook.yaml": "tasks:\n  - name: A\n  - id: b\n"}))
    assert [(p.location.line, p.sentence) for p in report.errors] == [
        (2, "this task entry has no `id`."),
        (3, "task `b` has no `name`."),
    ]


def test_key_given_twice(runbook_dir):
    problem = only_error(runbook_dir({"runbook.yaml": "tasks:\n  - id: a\n    name: A\n    name: B\n"}))
    assert at(problem) == ("runbook.yaml", 4, 5)
    assert problem.sentence == "the key `name` is given twice here (first at line 3)."


def test_bad_line_range(runbook_dir):
    folder = runbook_dir(
        {
            "prompt_templates/p.j2": "x",
            "runbook.yaml": (
                "tasks:\n  - id: a\n    name: A\n    ai_details:\n      prompt_template: p.j2\n"
                "      context_files:\n        - {path: a.py, lines: 80-45}\n"
            ),
        }
    )
    problem = only_error(folder)
    assert at(problem) == ("runbook.yaml", 7, 31)


def test_unknown_output_parser(runbook_dir):
    folder = runbook_dir(
        {
            "prompt_templates/p.j2": "x",
            "runbook.yaml": (
                "tasks:\n  - id: a\n    name: A\n    ai_details: {prompt_template: p.j2, output_parser: xml}\n"
            ),
        }
    )
    assert "unknown output_parser `xml`" in only_error(folder).sentence


def test_all_problems_are_collected_in_one_pass(runbook_dir):
    folder = runbook_dir(
        {
            "runbook.yaml": (
                "tasks:\n"
                "  - id: a\n    name: A\n    status: NOPE\n"
                "  - id: b\n    name: B\n    type: NOPE\n    depends_on: [zzz]\n"
                "  - id: c\n    name: C\n    task_detail_file: tasks/missing.yaml\n"
            )
        }
    )
    report = check_runbook(folder)
    assert [p.location.line for p in report.errors] == [4, 7, 11, 8]
    with pytest.raises(RunbookInvalid) as caught:
        load_runbook(folder)
    assert len(caught.value.problems) == 4
    assert str(caught.value).startswith(f"{caught.value.problems[0].where}: unknown status `NOPE`")


def test_unknown_keys_and_models_are_warnings(runbook_dir):
    folder = runbook_dir(
        {
            "prompt_templates/p.j2": "x",
            "runbook.yaml": (
                "colour: blue\n"
                "tasks:\n  - id: a\n    name: A\n    prority: 1\n"
                "    ai_details: {prompt_template: p.j2, model: giant-70b}\n"
            ),
        }
    )
    runbook = load_runbook(folder, known_models={"default", "small"})
    warnings = [(p.location.line, p.location.column, p.sentence) for p in runbook.warnings]
    assert warnings == [
        (1, 1, "unknown key `colour` in runbook.yaml; it is ignored."),
        (5, 5, "unknown key `prority` in the task entry; it is ignored."),
        (6, 48, "the model `giant-70b` is not in the model registry (known: default, small)."),
    ]
    assert load_runbook(folder).warnings[-1].sentence.startswith("unknown key `prority`")  # None: no check


def test_misplaced_ai_key_gets_a_hint(runbook_dir):
    folder = runbook_dir({"runbook.yaml": "tasks:\n  - id: a\n    name: A\n    prompt_template: x.j2\n"})
    [warning] = load_runbook(folder).warnings
    assert (
        warning.sentence
        == "unknown key `prompt_template` in the task entry; it is ignored (it belongs under `ai_details`)."
    )


def test_folder_without_runbook_is_a_clear_error(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "runbook.yaml").write_text("tasks: []\n")
    with pytest.raises(
        RunbookInvalid, match=r"this folder holds no runbook\.yaml; its subfolders hold runbooks"
    ):
        load_runbook(tmp_path)
    with pytest.raises(RunbookInvalid, match="there is no such file or folder"):
        load_runbook(tmp_path / "absent")


def test_deep_nesting_is_an_error_not_a_crash(runbook_dir):
    # libyaml's composer recurses on the C stack; 30,000 levels crashed the interpreter before.
    folder = runbook_dir({"runbook.yaml": "tasks: " + "[" * 30_000})
    with pytest.raises(RunbookInvalid):
        load_runbook(folder)
