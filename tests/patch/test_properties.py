"""Property tests: an exact diff of any edit applies exactly; a hunk whose removed lines are
absent never writes."""

from __future__ import annotations

import difflib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.errors import PatchbayError
from tui.patch.apply_change import plan_writes
from tui.patch.extract import build_change_set

WORDS = st.sampled_from(
    ["x = 1", "return y", "", "pass", "if a:", "    b()", "}", "def f():", "# note", "z += 2"]
)
LINES = st.lists(st.one_of(WORDS, st.text("abcdef =()", min_size=1, max_size=12)), min_size=1, max_size=40)


@st.composite
def edits(draw):
    old = draw(LINES)
    new = list(old)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        at = draw(st.integers(0, max(len(new) - 1, 0)))
        if op == "insert":
            new.insert(at, draw(st.text("ghijk", min_size=1, max_size=8)))
        elif op == "delete" and len(new) > 1:
            del new[at]
        else:
            new[at] = draw(st.text("lmnop", min_size=1, max_size=8))
    return old, new


def _diff(old: list[str], new: list[str]) -> str:
    lines = difflib.unified_diff([f"{x}\n" for x in old], [f"{x}\n" for x in new], "a/f.txt", "b/f.txt", n=3)
    return "".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits())
def test_exact_diff_always_applies_exactly(pair):
    old, new = pair
    if old == new:
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "f.txt").write_text("".join(f"{x}\n" for x in old))
        change_set = build_change_set(_diff(old, new), root)
        [write] = plan_writes(change_set)
        assert write.new == "".join(f"{x}\n" for x in new).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LINES, st.integers(0, 39), st.text("qrstuvw", min_size=1, max_size=10))
def test_absent_removed_lines_never_write(lines, at, ghost):
    at = at % len(lines)
    if any(" ".join(ghost.split()) == " ".join(line.split()) for line in lines):
        return
    context_before = lines[max(0, at - 3) : at]
    context_after = lines[at : at + 3]
    hunk = (
        "".join(f" {x}\n" for x in context_before)
        + f"-{ghost}\n+replacement\n"
        + "".join(f" {x}\n" for x in context_after)
    )
    answer = f"--- a/f.txt\n+++ b/f.txt\n@@ -{at + 1},1 +{at + 1},1 @@\n{hunk}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        original = "".join(f"{x}\n" for x in lines).encode()
        (root / "f.txt").write_bytes(original)
        change_set = build_change_set(answer, root)
        assert not change_set.all_placed
        try:
            plan_writes(change_set)
            raise AssertionError("a hunk with absent removed lines was planned")
        except PatchbayError:
            pass
        assert (root / "f.txt").read_bytes() == original
