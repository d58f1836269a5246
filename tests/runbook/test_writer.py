"""The careful writer changes one value and leaves every other byte of the user's file alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from tui.errors import PatchbayError
from tui.runbook import writer
from tui.runbook.writer import (
    RunbookWriteError,
    append_task_list_item,
    is_own_write,
    set_detail_status,
    set_task_key,
    set_task_status,
)


def write(tmp_path: Path, text: str, name: str = "runbook.yaml", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


RUNBOOK = """\
# My runbook — keep this comment
name: Happy LLM CLI
tasks:
  - id: plain
    name: "Phase 0: Setup"
    status: READY   # after the value
  - id: single
    name: 'It''s single'
    status: 'PENDING'
  - id: double
    name: Ünïcödé 名前 😀
    status: "PENDING"  # quoted comment

  - {id: flow, name: Flow one, status: PENDING}
"""


@pytest.mark.parametrize(
    ("task_id", "old", "new"),
    [
        ("plain", "status: READY   # after the value", "status: DONE   # after the value"),
        ("single", "status: 'PENDING'", "status: 'DONE'"),
        ("double", 'status: "PENDING"  # quoted comment', 'status: "DONE"  # quoted comment'),
        ("flow", "{id: flow, name: Flow one, status: PENDING}", "{id: flow, name: Flow one, status: DONE}"),
    ],
)
def test_status_is_replaced_in_place_keeping_quoting_and_comments(tmp_path, task_id, old, new):
    path = write(tmp_path, RUNBOOK)
    set_task_status(path, task_id, "DONE")
    assert read(path) == RUNBOOK.replace(old, new)


def test_missing_status_is_inserted_after_the_id_line_with_its_indentation(tmp_path):
    text = "tasks:\n- id: a   # first\n  name: A\n-   id: b\n    name: B\n"
    path = write(tmp_path, text)
    set_task_status(path, "a", "READY")
    set_task_status(path, "b", "RUNNING")
    assert read(path) == (
        "tasks:\n- id: a   # first\n  status: READY\n  name: A\n-   id: b\n    status: RUNNING\n    name: B\n"
    )


def test_missing_status_in_a_flow_entry_is_inserted_after_the_id(tmp_path):
    path = write(tmp_path, "tasks:\n  - {id: a, name: b}  # note\n")
    set_task_status(path, "a", "SKIPPED")
    assert read(path) == "tasks:\n  - {id: a, status: SKIPPED, name: b}  # note\n"


def test_status_insert_at_end_of_file_without_trailing_newline(tmp_path):
    path = write(tmp_path, "tasks:\r\n  - name: x\r\n    id: last")
    set_task_status(path, "last", "READY")
    assert read(path) == "tasks:\r\n  - name: x\r\n    id: last\r\n    status: READY"


def test_empty_status_value_gets_a_value_after_the_colon(tmp_path):
    path = write(tmp_path, "tasks:\n  - id: a\n    status:  # todo\n")
    set_task_status(path, "a", "READY")
    assert read(path) == "tasks:\n  - id: a\n    status: READY  # todo\n"


def test_crlf_bom_and_no_trailing_newline_survive(tmp_path):
    text = "tasks:\r\n  - id: a\r\n    name: Zoë\r\n    status: READY\r\n  - id: b\r\n    name: x"
    path = write(tmp_path, text, bom=True)
    set_task_status(path, "a", "DONE")
    set_task_status(path, "b", "READY")
    expected = "tasks:\r\n  - id: a\r\n    name: Zoë\r\n    status: DONE\r\n  - id: b\r\n    status: READY\r\n    name: x"
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.encode("utf-8")


def test_ids_compare_as_written_so_1_1_is_not_1_10(tmp_path):
    text = "tasks:\n  - id: 1.1\n    status: READY\n  - id: 1.10\n    status: READY\n  - id: '2.0'\n    status: READY\n"
    path = write(tmp_path, text)
    set_task_status(path, "1.10", "DONE")
    set_task_status(path, "2.0", "SKIPPED")
    assert read(path) == (
        "tasks:\n  - id: 1.1\n    status: READY\n  - id: 1.10\n    status: DONE\n  - id: '2.0'\n    status: SKIPPED\n"
    )


def test_anchor_on_the_status_is_kept(tmp_path):
    path = write(tmp_path, "tasks:\n  - id: a\n    status: &s READY\n  - id: b\n    status: READY\n")
    set_task_status(path, "a", "DONE")
    assert read(path) == "tasks:\n  - id: a\n    status: &s DONE\n  - id: b\n    status: READY\n"


def test_a_status_shared_through_an_alias_is_refused_rather_than_changing_both(tmp_path):
    text = "tasks:\n  - id: a\n    status: &s READY\n  - id: b\n    status: *s\n"
    path = write(tmp_path, text)
    with pytest.raises(RunbookWriteError, match="anchor"):
        set_task_status(path, "a", "DONE")
    assert read(path) == text


def test_a_status_that_would_misread_as_plain_is_single_quoted(tmp_path):
    path = write(tmp_path, "tasks:\n  - id: a\n    status: READY\n")
    set_task_status(path, "a", "null")
    assert read(path) == "tasks:\n  - id: a\n    status: 'null'\n"
    assert yaml.safe_load(read(path))["tasks"][0]["status"] == "null"


def test_detail_status_is_replaced_and_absent_status_left_alone(tmp_path):
    detail = write(tmp_path, "id: t1\nname: x\nstatus: 'READY' # mirror\n", "t1.yaml")
    set_detail_status(detail, "RUNNING")
    assert read(detail) == "id: t1\nname: x\nstatus: 'RUNNING' # mirror\n"
    bare = write(tmp_path, "id: t2\nname: y\n", "t2.yaml")
    set_detail_status(bare, "RUNNING")
    assert read(bare) == "id: t2\nname: y\n"


@pytest.mark.parametrize(
    ("text", "task_id", "fragment"),
    [
        ("tasks:\n  - id: a\n", "zzz", "no task with id 'zzz'"),
        ("- just a list\n", "a", "not a YAML mapping"),
        ("tasks:\n  - id: a\n    name: [unclosed\n", "a", "cannot be read"),
        ("tasks:\n  - id: a\n  - id: a\n", "a", "appears more than once"),
        ("tasks:\n  - id: a\n    status: READY\n    status: DONE\n", "a", "twice"),
        ("tasks:\n  - id: a\n    status: |\n      READY\n", "a", "not a one-line value"),
        ("a: 1\n---\nb: 2\n", "a", "more than one YAML document"),
    ],
)
def test_bad_files_raise_one_sentence_naming_the_file_and_are_not_written(tmp_path, text, task_id, fragment):
    path = write(tmp_path, text)
    with pytest.raises(RunbookWriteError) as caught:
        set_task_status(path, task_id, "DONE")
    message = str(caught.value)
    assert isinstance(caught.value, PatchbayError)
    assert message.startswith(str(path)) and fragment in message
    assert "\n" not in message
    assert read(path) == text


def test_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "tasks:\n  - id: a\n    name: [unclosed\n")
    with pytest.raises(RunbookWriteError) as caught:
        set_task_status(path, "a", "DONE")
    assert caught.value.location.line is not None and caught.value.location.line >= 3


def test_missing_file_and_non_utf8_file_are_clear_errors(tmp_path):
    with pytest.raises(RunbookWriteError, match="does not exist"):
        set_task_status(tmp_path / "nope.yaml", "a", "DONE")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("tasks:\n  - id: a\n    name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(RunbookWriteError, match="not UTF-8") as caught:
        set_task_status(latin, "a", "DONE")
    assert caught.value.location.line == 3


def test_compare_and_swap_keeps_the_users_edit_and_applies_ours(tmp_path, monkeypatch):
    path = write(tmp_path, "tasks:\n  - id: a\n    status: READY\n  - id: b\n    status: PENDING\n")
    calls = []

    def user_edits_meanwhile(target: Path) -> None:
        if not calls:  # the user saves from an editor once, between Patchbay's read and replace
            target.write_text(read(target).replace("  - id: b", "  # the user's note\n  - id: b"))
        calls.append(target)

    monkeypatch.setattr(writer, "before_replace_hook", user_edits_meanwhile)
    set_task_status(path, "a", "RUNNING")
    assert (
        read(path)
        == "tasks:\n  - id: a\n    status: RUNNING\n  # the user's note\n  - id: b\n    status: PENDING\n"
    )
    assert len(calls) == 2


def test_compare_and_swap_gives_up_when_the_file_never_settles(tmp_path, monkeypatch):
    path = write(tmp_path, "tasks:\n  - id: a\n    status: READY\n")
    counter = iter(range(1000))
    monkeypatch.setattr(
        writer, "before_replace_hook", lambda target: target.write_text(read(target) + f"# {next(counter)}\n")
    )
    with pytest.raises(RunbookWriteError, match="kept changing"):
        set_task_status(path, "a", "DONE")
    assert "status: READY" in read(path)


def test_own_writes_are_recognised_and_user_bytes_are_not(tmp_path):
    path = write(tmp_path, "tasks:\n  - id: a\n    status: READY\n")
    set_task_status(path, "a", "DONE")
    assert is_own_write(path, path.read_bytes())
    assert writer.last_own_write_digest(tmp_path / "." / "runbook.yaml") is not None
    path.write_text(read(path) + "# user\n")
    assert not is_own_write(path, path.read_bytes())


def test_file_mode_is_kept(tmp_path):
    path = write(tmp_path, "tasks:\n  - id: a\n    status: READY\n")
    path.chmod(0o600)
    set_task_status(path, "a", "DONE")
    assert path.stat().st_mode & 0o777 == 0o600


# ---------------------------------------------------------------- last_run


LAST_RUN = {
    "timestamp": dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.timezone.utc),
    "outcome": "SUCCESS",
    "llm_response": "first line\nsecond: 'quoted' \"x\" ünï",
    "model": "default",
    "tokens_in": 812,
    "tokens_per_second": 41.7,
}


def test_last_run_is_added_at_the_end_of_a_detail_file(tmp_path):
    text = "id: t1\r\nname: x   # keep\r\nai_details:\r\n  model: default\r\n  # trailing note\r\n"
    path = write(tmp_path, text, "t1.yaml")
    set_task_key(path, None, "last_run", LAST_RUN)
    out = read(path)
    assert out.startswith("id: t1\r\nname: x   # keep\r\nai_details:\r\n  model: default\r\nlast_run:\r\n")
    assert out.endswith("  # trailing note\r\n")
    assert "\n" not in out.replace("\r\n", "")
    loaded = yaml.safe_load(out)
    assert loaded["last_run"]["timestamp"] == "2026-11-21T10:00:00Z"
    assert loaded["last_run"]["llm_response"] == LAST_RUN["llm_response"]
    assert loaded["ai_details"] == {"model": "default"}


def test_last_run_replaces_the_old_block_only(tmp_path):
    text = (
        "id: t1\n"
        "last_run:\n"
        "  timestamp: 2020-01-01T00:00:00Z\n"
        "  outcome: FAILURE\n"
        "  llm_response: |\n"
        "    old\n"
        "    answer\n"
        "\n"
        "# about issues\n"
        "issues: []\n"
    )
    path = write(tmp_path, text, "t1.yaml")
    set_task_key(path, None, "last_run", {"outcome": "SUCCESS", "tokens_in": 3})
    assert read(path) == (
        "id: t1\nlast_run:\n  outcome: SUCCESS\n  tokens_in: 3\n\n# about issues\nissues: []\n"
    )


def test_last_run_in_an_inline_task_entry_with_nested_ai_details(tmp_path):
    text = (
        "tasks:\n"
        "  - id: a\n"
        "    ai_details:\n"
        "      prompt_template: x.j2\n"
        "      context_files:\n"
        "        - {path: a.py, lines: '1-2'}\n"
        "    # next task\n"
        "  - id: b\n"
        "    last_run: {outcome: FAILURE}  # old\n"
        "    name: B\n"
    )
    path = write(tmp_path, text)
    set_task_key(path, "a", "last_run", {"outcome": "SUCCESS"})
    set_task_key(path, "b", "last_run", {"outcome": "SUCCESS"})
    assert read(path) == (
        "tasks:\n"
        "  - id: a\n"
        "    ai_details:\n"
        "      prompt_template: x.j2\n"
        "      context_files:\n"
        "        - {path: a.py, lines: '1-2'}\n"
        "    last_run:\n"
        "      outcome: SUCCESS\n"
        "    # next task\n"
        "  - id: b\n"
        "    last_run:\n"
        "      outcome: SUCCESS\n"
        "    name: B\n"
    )


def test_last_run_in_a_flow_entry_stays_flow(tmp_path):
    path = write(tmp_path, "tasks:\n  - {id: a, name: b}\n  - {id: c, last_run: {outcome: X}}\n")
    set_task_key(path, "a", "last_run", {"outcome": "SUCCESS"})
    set_task_key(path, "c", "last_run", {"outcome": "FAILURE"})
    assert read(path) == (
        "tasks:\n  - {id: a, name: b, last_run: {outcome: SUCCESS}}\n  - {id: c, last_run: {outcome: FAILURE}}\n"
    )


# ---------------------------------------------------------------- issues


def test_issue_appended_to_a_block_list(tmp_path):
    text = "id: t\nissues:\n  - {type: OLD, detail: kept}   # by hand\nnotes: x\n"
    path = write(tmp_path, text, "t.yaml")
    append_task_list_item(path, None, "issues", {"type": "VALIDATION_FAIL", "detail": "2 failed: x"})
    assert read(path) == (
        "id: t\nissues:\n  - {type: OLD, detail: kept}   # by hand\n"
        "  - type: VALIDATION_FAIL\n    detail: '2 failed: x'\nnotes: x\n"
    )


def test_issue_appended_to_an_indentless_block_list(tmp_path):
    path = write(tmp_path, "issues:\n- a\n- b\n", "t.yaml")
    append_task_list_item(path, None, "issues", {"type": "X"})
    assert read(path) == "issues:\n- a\n- b\n- type: X\n"


def test_issue_into_empty_flow_list_becomes_a_block_list_keeping_the_comment(tmp_path):
    path = write(tmp_path, "id: t\r\nissues: []   # Patchbay appends here\r\nname: n\r\n", "t.yaml")
    append_task_list_item(path, None, "issues", {"type": "X", "detail": "d"})
    assert (
        read(path)
        == "id: t\r\nissues:   # Patchbay appends here\r\n  - type: X\r\n    detail: d\r\nname: n\r\n"
    )


def test_issue_into_non_empty_flow_list_stays_flow(tmp_path):
    path = write(tmp_path, "issues: [{type: A}]  # c\n", "t.yaml")
    append_task_list_item(path, None, "issues", {"type": "B"})
    assert read(path) == "issues: [{type: A}, {type: B}]  # c\n"


def test_issue_key_created_when_missing_in_block_and_flow_entries(tmp_path):
    path = write(tmp_path, "tasks:\n  - id: a\n    name: A\n  - {id: b}\n")
    append_task_list_item(path, "a", "issues", {"type": "X"})
    append_task_list_item(path, "b", "issues", {"type": "Y"})
    append_task_list_item(path, "a", "issues", {"type": "Z"})
    assert read(path) == (
        "tasks:\n  - id: a\n    name: A\n    issues:\n      - type: X\n      - type: Z\n  - {id: b, issues: [{type: Y}]}\n"
    )


def test_issue_into_a_null_value(tmp_path):
    path = write(tmp_path, "issues: ~  # none yet\nother: 1", "t.yaml")
    append_task_list_item(path, None, "issues", {"type": "X"})
    assert read(path) == "issues:  # none yet\n  - type: X\nother: 1"


def test_issue_into_a_non_list_is_refused(tmp_path):
    path = write(tmp_path, "issues: some text\n", "t.yaml")
    with pytest.raises(RunbookWriteError, match="not a list"):
        append_task_list_item(path, None, "issues", {"type": "X"})
    assert read(path) == "issues: some text\n"


def test_pure_python_parser_gives_the_same_result(tmp_path, monkeypatch):
    from tui.runbook import yaml_edit, yaml_edit_tree

    monkeypatch.setattr(yaml_edit_tree, "PARSER_LOADER", yaml.SafeLoader)
    monkeypatch.setattr(yaml_edit, "PARSER_LOADER", yaml.SafeLoader)
    path = write(tmp_path, RUNBOOK.replace("\n", "\r\n"), bom=True)
    set_task_status(path, "double", "DONE")
    set_task_key(path, "flow", "last_run", {"outcome": "SUCCESS"})
    expected = RUNBOOK.replace('status: "PENDING"', 'status: "DONE"').replace(
        "status: PENDING}", "status: PENDING, last_run: {outcome: SUCCESS}}"
    )
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.replace("\n", "\r\n").encode("utf-8")
