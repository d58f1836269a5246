"""The shipped edit-format instructions: each is short, includable per edit_format, and its own
worked example applies through the patch engine as the instructions promise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui.patch.apply_change import apply_change_set
from tui.patch.extract import build_change_set
from tui.prompts.render import PromptSource, render_prompt
from tui.resources import shipped

FORMATS = ("unified_diff", "search_replace", "apply_patch", "whole_file")
SHAPES = "def area(w, h):\n    return w * h\n"


def _source(tmp_path: Path, edit_format: str) -> PromptSource:
    runbook = tmp_path / "rb"
    runbook.mkdir(parents=True)
    workdir = tmp_path / "work"
    (workdir / "src").mkdir(parents=True)
    (workdir / "src" / "shapes.py").write_text(SHAPES)
    return PromptSource(
        task_id="1.1",
        name="Make area never negative",
        runbook_folder=runbook,
        workdir=workdir,
        template="edit.j2",
        system_template="agent_wrapper.j2",
        files_to_modify=["src/shapes.py"],
        edit_format=edit_format,
    )


@pytest.mark.parametrize("edit_format", FORMATS)
def test_each_format_template_is_short_and_included_by_edit_format(tmp_path, edit_format):
    text = (shipped("prompt_templates") / "formats" / f"{edit_format}.j2").read_text()
    assert len(text) < 1200  # a few hundred tokens: fits a 2,000-token budget with the task
    prompt = render_prompt(_source(tmp_path, edit_format))
    assert text.strip().splitlines()[0] in prompt.user
    assert prompt.system is not None
    assert ("```diff" in prompt.system) == (edit_format == "unified_diff")


@pytest.mark.parametrize("edit_format", FORMATS)
def test_each_templates_worked_example_applies_as_promised(tmp_path, edit_format):
    source = _source(tmp_path, edit_format)
    text = (shipped("prompt_templates") / "formats" / f"{edit_format}.j2").read_text()
    example = re.split(r"Example:\n\n", text, maxsplit=1)[1]
    change_set = build_change_set(example, source.workdir, output_parser=edit_format)
    assert [change.edit_format or "unified_diff" for change in change_set.files] == [edit_format]
    apply_change_set(source.workdir, change_set)
    assert (source.workdir / "src" / "shapes.py").read_text() == SHAPES.replace("w * h", "abs(w * h)")
    auto = _source(tmp_path / "again", edit_format)
    apply_change_set(auto.workdir, build_change_set(example, auto.workdir, output_parser="auto"))
    assert "abs(w * h)" in (auto.workdir / "src" / "shapes.py").read_text()
