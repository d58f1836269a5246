"""The realistic corpus (tests/patch/corpus_gen.py): sloppy diffs made from real sources must
apply byte for byte; bad answers must leave the tree untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.patch.corpus_gen import build_corpus
from tui.errors import PatchbayError
from tui.patch.apply_change import apply_change_set
from tui.patch.extract import build_change_set

CORPUS = build_corpus()


def _run(case, root: Path) -> tuple[bool, dict[str, bytes | None], dict[str, bytes | None]]:
    tree = case.materialize(root)
    before = {rel: (tree / rel).read_bytes() for rel in case.files}
    try:
        change_set = build_change_set(case.answer, tree, files_to_modify=case.files_to_modify)
        apply_change_set(tree, change_set)
        applied = True
    except PatchbayError:
        applied = False
    after = {rel: (tree / rel).read_bytes() if (tree / rel).exists() else None for rel in case.files}
    outside = {rel: (root / "outside" / rel).read_bytes() for rel in case.outside}
    assert outside == case.outside, f"{case.name}: a file outside the tree changed"
    return applied, before, after


def test_corpus_is_large_and_deterministic():
    assert sum(case.good for case in CORPUS) >= 200
    assert sum(not case.good for case in CORPUS) >= 60
    again = build_corpus()
    assert [case.answer for case in again] == [case.answer for case in CORPUS]


def test_good_cases_apply_exactly_and_bad_cases_never(tmp_path: Path):
    good = [case for case in CORPUS if case.good]
    bad = [case for case in CORPUS if not case.good]
    missed: list[str] = []
    for case in good:
        applied, before, after = _run(case, tmp_path / case.name)
        exact = applied and all(after.get(rel) == data for rel, data in case.expected.items())
        if not exact:
            missed.append(f"{case.name} {case.tags}")
            # A refusal must leave every file exactly as it was: no partial writes.
            if not applied:
                assert after == before, f"{case.name}: refused but files changed"
    false_applies: list[str] = []
    for case in bad:
        applied, before, after = _run(case, tmp_path / case.name)
        if applied or after != before:
            false_applies.append(f"{case.name} {case.tags}")
    rate = 1 - len(missed) / len(good)
    assert rate >= 0.97, f"only {rate:.1%} of good cases applied exactly; missed: {missed}"
    assert false_applies == [], f"bad cases applied: {false_applies}"


@pytest.mark.parametrize(
    "tag", ["drifted", "no-headers", "crlf", "no-numbers", "dedented", "context-drift", "similar-functions"]
)
def test_every_kind_of_sloppiness_is_represented(tag: str):
    assert any(tag in case.tags for case in CORPUS if case.good)


@pytest.mark.parametrize("tag", ["neighbour-conflict", "reapplied-insertion", "reapplied", "ambiguous"])
def test_every_kind_of_bad_answer_is_represented(tag: str):
    assert sum(tag in case.tags for case in CORPUS if not case.good) >= 5
