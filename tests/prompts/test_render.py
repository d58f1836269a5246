"""Prompt rendering: real template files in temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.prompts.budget import check_budget
from tui.prompts.context import ContextFileError, read_context_file
from tui.prompts.render import ContextFileSpec, PromptError, PromptSource, RetryContext, render_prompt


def make_source(tmp_path: Path, template_text: str, **overrides) -> PromptSource:
    runbook = tmp_path / "rb"
    (runbook / "prompt_templates").mkdir(parents=True)
    (runbook / "prompt_templates" / "t.j2").write_text(template_text, encoding="utf-8")
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "m.py").write_text("".join(f"line {n}\n" for n in range(1, 11)), encoding="utf-8")
    fields = dict(task_id="1.10", name="Do it", runbook_folder=runbook, workdir=workdir, template="t.j2")
    fields.update(overrides)
    return PromptSource(**fields)


def test_template_sees_task_input_context_and_file_slices(tmp_path):
    source = make_source(
        tmp_path,
        "{{ task.id }} {{ class_name }}\n{% for f in context_files %}{{ f.path }}:{{ f.text }}{% endfor %}",
        input_context={"class_name": "BaseAdapter"},
        context_files=[ContextFileSpec("m.py", "3-4")],
    )
    prompt = render_prompt(source)
    assert prompt.user == "1.10 BaseAdapter\nm.py:line 3\nline 4\n"
    assert prompt.system is None
    assert len(prompt.sha256) == 64


def test_missing_variable_names_it_and_the_template_line(tmp_path):
    source = make_source(tmp_path, "first line\nsecond {{ task.name }}\nthird {{ class_name }}\n")
    with pytest.raises(PromptError) as caught:
        render_prompt(source)
    message = str(caught.value)
    assert "t.j2:3" in message
    assert "`class_name`" in message


def test_syntax_error_names_the_line(tmp_path):
    source = make_source(tmp_path, "ok\n{% if %}\n")
    with pytest.raises(PromptError, match=r"t\.j2:2: the template has a syntax error"):
        render_prompt(source)


def test_retry_uses_the_fallback_template_with_the_previous_answer_and_failure(tmp_path):
    source = make_source(tmp_path, "first try", fallback_template="fix.j2")
    (source.runbook_folder / "prompt_templates" / "fix.j2").write_text(
        "was: {{ previous_answer }} / failed: {{ failure }}", encoding="utf-8"
    )
    prompt = render_prompt(source, RetryContext(previous_answer="A", failure="boom"))
    assert prompt.user == "was: A / failed: boom\n"


def test_shipped_templates_are_found_by_bare_name(tmp_path):
    source = make_source(
        tmp_path,
        "unused",
        template="unified_diff.j2",
        system_template="agent_wrapper.j2",
        files_to_modify=["m.py"],
        context_files=[ContextFileSpec("m.py")],
    )
    prompt = render_prompt(source)
    assert "## m.py" in prompt.user and "line 10" in prompt.user
    assert prompt.system is not None and "```diff" in prompt.system
    assert prompt.messages()[0][0] == "system"


def test_sandbox_refuses_attribute_escapes(tmp_path):
    source = make_source(tmp_path, "{{ task.__class__.__mro__ }}")
    with pytest.raises(PromptError):
        render_prompt(source)


def test_missing_template_is_one_sentence(tmp_path):
    source = make_source(tmp_path, "x", template="nope.j2")
    with pytest.raises(PromptError, match=r"nope\.j2 was found neither"):
        render_prompt(source)


@pytest.mark.parametrize(
    ("path", "lines", "message"),
    [
        ("absent.py", None, "does not exist"),
        ("m.py", "20-30", "past its end"),
        ("m.py", "x-y", "not a line range"),
        ("../outside.py", None, "context file ../outside.py"),
    ],
)
def test_bad_context_files_are_clear_errors(tmp_path, path, lines, message):
    source = make_source(tmp_path, "x")
    with pytest.raises(ContextFileError, match=message):
        read_context_file(source.workdir, path, lines)


def test_budget_label_and_explanation():
    check = check_budget(2432, budget=2000, max_seq_len=4096, max_new_tokens=1024)
    assert check.over
    assert check.label() == "2,432 / 2,000 tokens"
    assert "context_budget of 2,000" in check.explain()
    estimate = check_budget(10, exact=False, budget=None)
    assert estimate.label() == "~10 tokens" and not estimate.over
    window = check_budget(3500, budget=4000, max_seq_len=4096, max_new_tokens=1024)
    assert window.over and "context left for the prompt (3,072)" in window.explain()
