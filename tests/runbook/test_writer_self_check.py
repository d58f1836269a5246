"""The self-check refuses any edited text that means more (or less) than the intended change."""

from __future__ import annotations

import pytest

from tui.runbook.yaml_edit_check import same_data, verify_edit
from tui.runbook.yaml_edit_tree import EditRefused, parse_document

OLD = "top: 1\ntasks:\n  - id: a\n    status: READY\n  - id: b\n    status: READY\nend: .nan\n"


def check(new_text: str, task_index: int | None = 0, status: str = "DONE") -> None:
    root, events = parse_document(OLD)
    verify_edit(OLD, root, events, new_text, task_index, lambda m: m.__setitem__("status", status), "it")


def test_the_intended_change_passes_even_next_to_a_nan():
    check(OLD.replace("status: READY", "status: DONE", 1))


@pytest.mark.parametrize(
    "new_text",
    [
        OLD.replace("top: 1", "top: 2").replace("status: READY", "status: DONE", 1),  # outside, before
        OLD.replace("id: b", "id: c").replace("status: READY", "status: DONE", 1),  # outside, after
        OLD.replace("  - id: a\n", "  - id: a\n    extra: 1\n").replace("status: READY", "status: DONE", 1),
        OLD,  # the change itself is missing
        OLD.replace("status: READY", "status: [DONE", 1),  # broken YAML
    ],
)
def test_anything_else_is_refused(new_text):
    with pytest.raises(EditRefused):
        check(new_text)


def test_a_changed_anchor_seen_through_an_alias_is_refused_by_the_full_check():
    old = "tasks:\n  - id: a\n    status: &s READY\n  - id: b\n    status: *s\n"
    root, events = parse_document(old)
    new = old.replace("&s READY", "&s DONE")
    with pytest.raises(EditRefused, match="anchor"):
        verify_edit(old, root, events, new, 0, lambda m: m.__setitem__("status", "DONE"), "it")


def test_same_data_treats_nan_as_equal_but_not_bool_as_int():
    assert same_data({"a": [float("nan")]}, {"a": [float("nan")]})
    assert not same_data({"a": True}, {"a": 1})
    assert not same_data({"a": 1}, {"a": 1, "b": 2})
