"""Held-out answers written by hand, one file each, from real commits of this repository: the
file before the commit, an answer in one edit format (with a slip or two a model makes), and the
file after the commit, which the answer must produce byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui.patch.apply_change import apply_change_set
from tui.patch.extract import build_change_set

HELD_OUT = Path(__file__).with_name("held_out")
FORMATS = {"sr": "search_replace", "ap": "apply_patch", "wf": "whole_file"}
CASES = sorted(path.name for path in HELD_OUT.iterdir() if path.is_dir())


def _files(root: Path) -> dict[str, bytes]:
    files = (path for path in root.rglob("*") if path.is_file() and ".patchbay" not in path.parts)
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in files}


def test_every_format_has_held_out_answers():
    assert {name.rsplit("_", 1)[1] for name in CASES} == set(FORMATS)


@pytest.mark.parametrize("name", CASES)
def test_a_held_out_answer_applies_exactly(name, tmp_path):
    case = HELD_OUT / name
    tree = tmp_path / "tree"
    shutil.copytree(case / "before", tree)
    change_set = build_change_set((case / "answer.md").read_text(), tree, output_parser="auto")
    assert {change.edit_format for change in change_set.files} == {FORMATS[name.rsplit("_", 1)[1]]}
    apply_change_set(tree, change_set)
    assert _files(tree) == _files(case / "after")
