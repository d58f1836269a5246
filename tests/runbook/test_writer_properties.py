"""Property tests: on generated runbooks, writes change exactly the intended characters and nothing else.

The generator renders a runbook from a description (ids, quoting, comments, blank lines, flow entries,
line endings, BOM). Setting statuses on the file must give byte-for-byte the rendering of the same
description with those statuses changed — an oracle independent of the writer's own span logic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.runbook import writer, yaml_edit, yaml_edit_tree

STATUSES = ["PENDING", "READY", "RUNNING", "DONE", "ERROR", "SKIPPED"]
NUMERIC_LOOKING = ["1", "1.1", "1.10", "01", "2.0", "10", "1e3", "0x1F", "true", "null", "~", "1_0"]

# YAML-printable text without line breaks (YAML 1.1 also breaks lines at U+0085, U+2028, U+2029)
_TEXT = st.characters(
    blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff\ufffe\uffff"
)


@dataclass(frozen=True)
class Entry:
    task_id: str
    id_style: str  # "" plain, "'" or '"'
    name: str
    name_style: str
    status: str | None
    status_style: str
    status_after_name: bool  # otherwise right after the id, where the writer inserts a missing one
    flow: bool
    id_comment: str | None
    status_comment: str | None
    blank_lines_before: int


@dataclass(frozen=True)
class Book:
    entries: tuple[Entry, ...]
    eol: str
    bom: bool
    trailing_newline: bool
    seq_indent: int
    gap_after_dash: int
    header_comment: str | None
    footer: bool


def quoted(value: str, style: str) -> str:
    if style == '"':
        return json.dumps(value, ensure_ascii=False)
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    return value


def render(book: Book) -> bytes:
    eol = book.eol
    pad = " " * book.seq_indent
    key_pad = " " * (book.seq_indent + 2 + book.gap_after_dash)
    out = []
    if book.header_comment is not None:
        out.append(f"# {book.header_comment}{eol}")
    out.append(f"name: runbook{eol}tasks:{eol}")
    for entry in book.entries:
        out.append(eol * entry.blank_lines_before)
        id_text = quoted(entry.task_id, entry.id_style)
        name_text = quoted(entry.name, entry.name_style)
        status = None if entry.status is None else quoted(entry.status, entry.status_style)
        if entry.flow:
            pairs = [f"id: {id_text}", f"name: {name_text}"]
            if status is not None:
                pairs.insert(2 if entry.status_after_name else 1, f"status: {status}")
            comment = f"  # {entry.id_comment}" if entry.id_comment is not None else ""
            out.append(f"{pad}-{' ' * (1 + book.gap_after_dash)}{{{', '.join(pairs)}}}{comment}{eol}")
            continue
        id_comment = f"  # {entry.id_comment}" if entry.id_comment is not None else ""
        lines = [
            f"{pad}-{' ' * (1 + book.gap_after_dash)}id: {id_text}{id_comment}",
            f"{key_pad}name: {name_text}",
        ]
        if status is not None:
            status_comment = f"   # {entry.status_comment}" if entry.status_comment is not None else ""
            lines.insert(2 if entry.status_after_name else 1, f"{key_pad}status: {status}{status_comment}")
        out.extend(line + eol for line in lines)
    if book.footer:
        out.append(f"defaults: {{model: default}}  # footer{eol}")
    text = "".join(out)
    if not book.trailing_newline:
        text = text[: -len(eol)]
    return (b"\xef\xbb\xbf" if book.bom else b"") + text.encode("utf-8")


@st.composite
def entries(draw) -> Entry:
    task_id = draw(
        st.one_of(st.sampled_from(NUMERIC_LOOKING), st.from_regex(r"[a-z][a-z0-9_.]{0,6}", fullmatch=True))
    )
    has_status = draw(st.booleans())
    flow = draw(st.booleans())
    return Entry(
        task_id=task_id,
        id_style=draw(st.sampled_from(["", "'", '"'])),
        name=draw(st.text(_TEXT, max_size=12)),
        name_style=draw(st.sampled_from(["'", '"'])),
        status=draw(st.sampled_from(STATUSES)) if has_status else None,
        status_style=draw(st.sampled_from(["", "'", '"'])),
        status_after_name=draw(st.booleans()),
        flow=flow,
        id_comment=draw(st.none() | st.text(_TEXT, max_size=8)),
        status_comment=None if flow else draw(st.none() | st.text(_TEXT, max_size=8)),
        blank_lines_before=draw(st.integers(0, 2)),
    )


books = st.builds(
    Book,
    entries=st.lists(entries(), min_size=1, max_size=6, unique_by=lambda entry: entry.task_id).map(tuple),
    eol=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    trailing_newline=st.booleans(),
    seq_indent=st.sampled_from([0, 2]),
    gap_after_dash=st.sampled_from([0, 2]),
    header_comment=st.none() | st.text(_TEXT, max_size=10),
    footer=st.booleans(),
)


def with_status(entry: Entry, status: str) -> Entry:
    if entry.status is None:  # the writer inserts it plain, right after the id
        return replace(entry, status=status, status_style="", status_after_name=False, status_comment=None)
    return replace(entry, status=status)


def load(data: bytes):
    return yaml.safe_load(data.decode("utf-8-sig"))


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(book=books, data=st.data())
def test_status_changes_touch_only_the_status_characters(tmp_path, book, data):
    path = tmp_path / "runbook.yaml"
    original = render(book)
    path.write_bytes(original)
    indexes = data.draw(
        st.lists(st.integers(0, len(book.entries) - 1), unique=True, max_size=len(book.entries))
    )
    changes = {index: data.draw(st.sampled_from(STATUSES)) for index in indexes}

    for index, status in changes.items():
        writer.set_task_status(path, book.entries[index].task_id, status)

    expected_entries = tuple(
        with_status(entry, changes[index]) if index in changes else entry
        for index, entry in enumerate(book.entries)
    )
    result = path.read_bytes()
    # (b) every byte outside the status values is unchanged: the result is the same description rendered
    assert result == render(replace(book, entries=expected_entries))
    # (a) the data read back is the original data with just those statuses changed
    before, after = load(original), load(result)
    for index, status in changes.items():
        before["tasks"][index]["status"] = status
    assert after == before


@PROPERTY_SETTINGS
@given(book=books, data=st.data())
def test_a_batch_of_statuses_equals_the_same_changes_one_by_one(tmp_path, book, data):
    path = tmp_path / "runbook.yaml"
    path.write_bytes(render(book))
    indexes = data.draw(st.lists(st.integers(0, len(book.entries) - 1), unique=True, min_size=1))
    changes = {book.entries[index].task_id: data.draw(st.sampled_from(STATUSES)) for index in indexes}
    writer.set_task_statuses(path, changes)
    expected_entries = tuple(
        with_status(entry, changes[entry.task_id]) if entry.task_id in changes else entry
        for entry in book.entries
    )
    assert path.read_bytes() == render(replace(book, entries=expected_entries))


@PROPERTY_SETTINGS
@given(book=books, data=st.data())
def test_last_run_and_issues_are_pure_insertions(tmp_path, book, data):
    path = tmp_path / "runbook.yaml"
    original = render(book)
    path.write_bytes(original)
    index = data.draw(st.integers(0, len(book.entries) - 1))
    value = data.draw(
        st.dictionaries(
            st.sampled_from(["outcome", "llm_response", "model", "tokens_in"]),
            st.one_of(st.text(_TEXT, max_size=20), st.integers(0, 10**6), st.floats(0, 100, allow_nan=False)),
            min_size=1,
        )
    )
    key, write_it = data.draw(
        st.sampled_from(
            [
                ("last_run", lambda task_id: writer.set_task_key(path, task_id, "last_run", value)),
                ("issues", lambda task_id: writer.append_task_list_item(path, task_id, "issues", value)),
            ]
        )
    )
    write_it(book.entries[index].task_id)

    result = path.read_bytes()
    prefix = next(
        (i for i, (a, b) in enumerate(zip(original, result, strict=False)) if a != b), len(original)
    )
    suffix = len(original) - prefix
    assert result[:prefix] == original[:prefix] and result[len(result) - suffix :] == original[prefix:]
    # the inserted lines use the file's line ending
    assert (result.count(b"\n") == result.count(b"\r\n")) if book.eol == "\r\n" else (b"\r" not in result)
    before, after = load(original), load(result)
    before["tasks"][index][key] = value if key == "last_run" else [value]
    assert after == before


@pytest.mark.parametrize("loader", [yaml.SafeLoader], ids=["pure-python-parser"])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(book=books, data=st.data())
def test_pure_python_parser_agrees(tmp_path, monkeypatch, loader, book, data):
    monkeypatch.setattr(yaml_edit_tree, "PARSER_LOADER", loader)
    monkeypatch.setattr(yaml_edit, "PARSER_LOADER", loader)
    path = tmp_path / "runbook.yaml"
    path.write_bytes(render(book))
    index = data.draw(st.integers(0, len(book.entries) - 1))
    writer.set_task_status(path, book.entries[index].task_id, "DONE")
    entries_after = list(book.entries)
    entries_after[index] = with_status(entries_after[index], "DONE")
    assert path.read_bytes() == render(replace(book, entries=tuple(entries_after)))


def test_generator_renders_what_the_description_says(tmp_path: Path):
    # guards the oracle itself: a quoted numeric-looking id stays a string, a plain one is its text
    entry = Entry("1.10", "'", "It's", "'", None, "", False, False, "c", None, 1)
    book = Book((entry,), "\r\n", True, False, 2, 0, "head", True)
    text = render(book)
    assert text.startswith(b"\xef\xbb\xbf# head\r\n")
    assert load(text)["tasks"][0] == {"id": "1.10", "name": "It's"}
