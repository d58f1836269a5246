"""The real-code corpus in every edit format (tests/patch/format_corpus.py): sloppy answers apply
byte for byte (at least 97% in each format), must-refuse answers never write, and a refusal never
leaves a file half written."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.patch.format_corpus import FORMATS, build_format_corpus, outcome


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_applies_the_corpus_exactly_and_refuses_the_bad_cases(fmt, tmp_path: Path):
    cases = build_format_corpus(fmt, good=100, bad=30)
    results = Counter()
    wrong: list[str] = []
    for case in cases:
        result = outcome(case, tmp_path / case.name)
        results[("good " if case.good else "bad ") + result] += 1
        if result in ("damaged", "partial", "false_apply"):
            wrong.append(f"{case.name} {result} {case.tags}")
    good = sum(case.good for case in cases)
    assert sum(not case.good for case in cases) >= 25
    assert results["good exact"] / good >= 0.97, results
    assert wrong == [], wrong


@pytest.mark.parametrize(
    ("fmt", "tag"),
    [
        ("search_replace", "bare-name"),
        ("search_replace", "no-path"),
        ("search_replace", "path-in-fence"),
        ("search_replace", "dedented"),
        ("search_replace", "missing-line"),
        ("search_replace", "crlf"),
        ("apply_patch", "drifted-anchor"),
        ("apply_patch", "no-end-patch"),
        ("apply_patch", "marker-spaces"),
        ("whole_file", "path-in-info"),
        ("whole_file", "bare-name"),
    ],
)
def test_every_kind_of_sloppiness_is_represented(fmt, tag):
    assert any(tag in case.tags for case in build_format_corpus(fmt, good=100, bad=0) if case.good)
