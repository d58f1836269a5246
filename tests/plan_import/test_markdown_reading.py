"""Pipe tables and fences as chat models write them."""

from __future__ import annotations

from tui.plan_import.markdown import parse_markdown, split_row


def test_split_row_with_and_without_outer_pipes() -> None:
    assert split_row("| a | b | c |") == ["a", "b", "c"]
    assert split_row("a | b | c") == ["a", "b", "c"]
    assert split_row("| a | | c |") == ["a", "", "c"]


def test_escaped_pipes_and_pipes_in_code_spans_are_text() -> None:
    assert split_row(r"| 1 | x \| y | `a | b` |") == ["1", "x | y", "`a | b`"]
    assert split_row("| 1 | ``a ` | b`` | c |") == ["1", "``a ` | b``", "c"]
    assert split_row("| 1 | unclosed ` tick | c |") == ["1", "unclosed ` tick", "c"]


def test_a_fence_nested_in_a_yaml_block_scalar_does_not_close_the_block() -> None:
    doc = parse_markdown("```yaml\nprompt: |\n  ```python\n  x = 1\n  ```\nk: v\n```\nafter\n")
    assert len(doc.fences) == 1
    assert doc.fences[0].text == "prompt: |\n  ```python\n  x = 1\n  ```\nk: v"
    assert doc.in_fence == [True] * 7 + [False]


def test_tables_inside_fences_are_not_tables() -> None:
    doc = parse_markdown("```\n| a | b |\n|---|---|\n| 1 | 2 |\n```\n")
    assert doc.tables == []


def test_headings_keep_their_separators_and_lose_bold() -> None:
    doc = parse_markdown("# Plan\n## **Phase 3** — Change Engine ##\n### Phase 4 - Rules\n")
    assert [(h.level, h.text) for h in doc.headings] == [
        (1, "Plan"),
        (2, "Phase 3 — Change Engine"),
        (3, "Phase 4 - Rules"),
    ]
