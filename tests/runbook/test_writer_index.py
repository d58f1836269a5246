"""Writes cost the change: an index kept from the load, checked against the file, spliced, verified locally."""

from __future__ import annotations

import pytest

from tui.runbook import file_index, file_swap, region_edit, writer, yaml_edit
from tui.runbook.loader import load_runbook
from tui.runbook.region_edit import AppendItem, SetKey, SetStatus, edit_indexed
from tui.runbook.writer import RunbookWriteError

ENTRY = "  - id: t{i}\n    name: 'Task {i} — ü'\n    status: PENDING   # note\n    type: MANUAL\n"


def runbook_text(count: int, eol: str = "\n") -> str:
    text = "name: Big\n# the tasks\ntasks:\n" + "".join(ENTRY.format(i=i) for i in range(count))
    return (text + "defaults: {model: m}\n").replace("\n", eol)


@pytest.fixture(autouse=True)
def fresh_index():
    writer.forget_own_writes()
    yield
    writer.forget_own_writes()


def test_the_loader_keeps_an_index_and_a_status_write_touches_only_its_line(tmp_path, monkeypatch):
    folder = tmp_path / "rb"
    folder.mkdir()
    path = folder / "runbook.yaml"
    path.write_text(runbook_text(50), encoding="utf-8")
    load_runbook(folder)
    assert file_index.current(path, path.read_bytes()) is not None

    def whole_document(*_args, **_kwargs):
        raise AssertionError("the whole document was edited")

    monkeypatch.setattr(yaml_edit, "set_task_status", whole_document)
    writer.set_task_status(path, "t17", "READY")
    expected = runbook_text(50).replace(
        "t17\n    name: 'Task 17 — ü'\n    status: PENDING", "t17\n    name: 'Task 17 — ü'\n    status: READY"
    )
    assert path.read_text(encoding="utf-8") == expected
    # the index follows Patchbay's own write, so the next write is fast too
    writer.set_task_status(path, "t18", "DONE")
    assert path.read_text(encoding="utf-8") == expected.replace(
        "18 — ü'\n    status: PENDING", "18 — ü'\n    status: DONE"
    )


def test_an_external_edit_between_index_and_write_is_detected_and_reapplied_on_the_new_bytes(
    tmp_path, monkeypatch
):
    folder = tmp_path / "rb"
    folder.mkdir()
    path = folder / "runbook.yaml"
    path.write_text(runbook_text(20), encoding="utf-8")
    load_runbook(folder)
    # the user inserts lines above the task after the load: every indexed offset below is now wrong
    users = runbook_text(20).replace("  - id: t9\n", "  # moved things around\n  - id: t9\n    # and here\n")
    path.write_text(users, encoding="utf-8")
    used = []

    def spying(data, index, edits):
        used.append(index.holds(data))
        return edit_indexed(data, index, edits)

    monkeypatch.setattr(writer, "edit_indexed", spying)
    writer.set_task_status(path, "t12", "RUNNING")
    assert used == [True]  # the stale index was not used; one was made from the user's bytes
    assert path.read_text(encoding="utf-8") == users.replace(
        "12 — ü'\n    status: PENDING", "12 — ü'\n    status: RUNNING"
    )


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text + "  - id: injected\n",  # a second entry
        lambda text: text.replace("  - id:", "- id:"),  # the entry moved to another column
        lambda text: text.rstrip("\n"),  # the next entry would join its last line
        lambda text: text.replace("    type: MANUAL", "    type: &a MANUAL"),  # an anchor others could use
    ],
    ids=["extra-entry", "dedented", "joined-line", "anchor"],
)
def test_a_splice_that_would_change_the_documents_structure_is_refused(tmp_path, monkeypatch, damage):
    data = runbook_text(5).encode("utf-8")
    path = tmp_path / "runbook.yaml"
    path.write_bytes(data)
    writer.set_task_key(path, "t4", "commit", True)  # builds and keeps the index
    data = path.read_bytes()
    index = file_index.current(path, data)
    assert index is not None
    honest = yaml_edit.set_task_key
    monkeypatch.setattr(yaml_edit, "set_task_key", lambda *args: damage(honest(*args)))
    assert edit_indexed(data, index, [SetKey("t2", "commit", True)]) is None


def test_a_status_line_that_is_not_what_the_index_says_is_not_spliced(tmp_path):
    data = runbook_text(3).encode("utf-8")
    index = file_index.build_index(data, data.decode(), file_index.compose_root(data.decode()))
    assert index is not None and index.entries is not None
    at, end = index.entries.scalar(1)
    assert data[at:end] == b"PENDING"
    # pointed at the name instead: the line reads `name: ...`, not `status: ...`
    name_at = data.index(b"'Task 1")
    assert region_edit._line_splice(data, name_at, data.index(b"\n", name_at), "status", "DONE") is None


FILES = {
    "crlf-bom-runbook": ("\ufeff" + runbook_text(4, "\r\n"), "t2"),
    "flow-and-missing-status": (
        "tasks:\n- {id: a, name: A}\n- id: b\n  name: B\n  issues: []\n- id: c\n  name: C\n  last_run:\n    x: 1\n",
        "b",
    ),
    "detail-file": (
        "id: t1\nname: One\nstatus: 'READY'  # kept\nlast_run:\n  outcome: FAILED\n  tokens_in: 3\n"
        "issues:\n" + "".join(f"  - {{type: VALIDATION_FAIL, detail: number {i}}}\n" for i in range(40)),
        None,
    ),
    "detail-file-indentless-list-no-final-newline": (
        "id: t1\nstatus: DONE\nissues:\n- type: A\n  detail: x\n- type: B\n  detail: y",
        None,
    ),
}
EDITS = [
    lambda task: SetStatus(task, "RUNNING"),
    lambda task: SetKey(
        task, "last_run", {"outcome": "SUCCESS", "tokens_in": 812, "llm_response": "ok: yes"}
    ),
    lambda task: AppendItem(task, "issues", {"type": "VALIDATION_FAIL", "detail": "a: b\n  c"}),
    lambda task: SetKey(task, "review", ["x", {"y": 1}]),
]


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("edit_number", range(len(EDITS)))
def test_the_fast_path_writes_exactly_what_the_whole_document_path_writes(tmp_path, name, edit_number):
    text, task_id = FILES[name]
    edit = EDITS[edit_number](task_id)
    path = tmp_path / "file.yaml"
    path.write_bytes(text.encode("utf-8"))
    body = text.removeprefix("\ufeff")
    if isinstance(edit, SetStatus):
        whole = yaml_edit.set_task_status(body, task_id, edit.status) if task_id else None
        whole = whole if task_id else yaml_edit.set_detail_status(body, edit.status)
        (writer.set_task_status if task_id else lambda p, _t, s: writer.set_detail_status(p, s))(
            path, task_id, edit.status
        )
    elif isinstance(edit, SetKey):
        whole = yaml_edit.set_task_key(body, task_id, edit.key, edit.value)
        writer.set_task_key(path, task_id, edit.key, edit.value)
    else:
        whole = yaml_edit.append_task_list_item(body, task_id, edit.key, edit.item)
        writer.append_task_list_item(path, task_id, edit.key, edit.item)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    assert path.read_bytes() == (bom + whole).encode("utf-8")
    # and a second edit through the index kept from the first one agrees too
    index = file_index.current(path, path.read_bytes())
    if index is not None:
        again = yaml_edit.set_task_key(whole, task_id, "second", 2)
        writer.set_task_key(path, task_id, "second", 2)
        assert path.read_bytes() == (bom + again).encode("utf-8")


def test_many_statuses_are_written_in_one_swap(tmp_path, monkeypatch):
    path = tmp_path / "runbook.yaml"
    path.write_text(runbook_text(30), encoding="utf-8")
    swaps = []
    monkeypatch.setattr(file_swap, "after_fsync_hook", swaps.append)
    wanted = {f"t{i}": "READY" for i in range(5, 25)}
    wanted["t3"] = "SKIPPED"
    writer.set_task_statuses(path, wanted)
    assert len(swaps) == 1
    expected = runbook_text(30)
    for task_id, status in wanted.items():
        number = task_id[1:]
        expected = expected.replace(
            f"Task {number} — ü'\n    status: PENDING", f"Task {number} — ü'\n    status: {status}"
        )
    assert path.read_text(encoding="utf-8") == expected


def test_a_batch_naming_a_missing_task_writes_nothing(tmp_path):
    path = tmp_path / "runbook.yaml"
    path.write_text(runbook_text(5), encoding="utf-8")
    with pytest.raises(RunbookWriteError, match="no task with id 'nope'"):
        writer.set_task_statuses(path, {"t1": "READY", "nope": "READY"})
    assert path.read_text(encoding="utf-8") == runbook_text(5)


def test_a_batch_without_an_index_checks_the_whole_document(tmp_path):
    # flow-style `tasks:` cannot be indexed by region: the whole-document path does the batch
    text = "tasks: [{id: a, status: PENDING}, {id: b}, {id: c, status: 'DONE'}]\n"
    path = tmp_path / "runbook.yaml"
    path.write_text(text, encoding="utf-8")
    writer.set_task_statuses(path, {"a": "READY", "b": "RUNNING", "c": "ERROR"})
    assert path.read_text(encoding="utf-8") == (
        "tasks: [{id: a, status: READY}, {id: b, status: RUNNING}, {id: c, status: 'ERROR'}]\n"
    )
