"""Prompt text written as a template renders back to exactly that text, whatever braces it holds."""

from __future__ import annotations

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.plan_import.templates import literal_template

BRACES = st.lists(
    st.sampled_from(["{", "}", "%", "#", " ", "-", "raw", "endraw", "x", "\n"]), max_size=30
).map("".join)


def render(template: str) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(template).render()


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "{{ name }}",
        "{% if x %}",
        "{# note #}",
        "{% raw %}{{ x }}{% endraw %}",
        "a {{ b",
        "{{- x -}}",
    ],
)
def test_literal_templates_render_to_the_text(text: str) -> None:
    assert render(literal_template(text)) == text


@given(st.one_of(BRACES, st.text(max_size=40)))
def test_any_text_renders_to_itself(text: str) -> None:
    # Jinja renders every line break as \n, so that is the one difference allowed.
    assert render(literal_template(text)) == text.replace("\r\n", "\n").replace("\r", "\n")
