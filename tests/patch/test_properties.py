"""Property tests: an exact diff of any edit applies exactly; a hunk whose removed lines are
absent never writes."""

from __future__ import annotations

import difflib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tui.errors import PatchbayError
from tui.patch.apply_change import plan_writes
from tui.patch.extract import build_change_set
from tui.patch.unified_parse import parse_unified

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


# -- similar functions: each hunk at its own block or refused, never a neighbour --------------

BODY = st.lists(
    st.sampled_from(["x = load()", "y = x + 1", "check(x)", "", "log(y)", "return y"]), min_size=2, max_size=6
)


def _functions(names: list[str], body: list[str]) -> list[str]:
    lines: list[str] = []
    for name in names:
        lines.append(f"def {name}():")
        lines.extend(f"    {line}" if line else "" for line in body)
        lines.extend(["", ""])
    return lines


def _owner(lines: list[str], position: int) -> str | None:
    for index in range(min(position, len(lines) - 1), -1, -1):
        if lines[index].startswith("def "):
            return lines[index][4:].split("(")[0]
    return None


@st.composite
def similar_function_edits(draw):
    count = draw(st.integers(2, 4))
    names = [f"f{n}" for n in range(1, count + 1)]
    body = draw(BODY)
    old = _functions(names, body)
    target = draw(st.integers(0, count - 1))
    start = old.index(f"def {names[target]}():")
    offset = draw(st.integers(1, len(body)))
    new = list(old)
    new[start + offset] = "    changed = True  # edited"
    diff = _diff(old, new)
    # Dress it the way small models do: line numbers dropped, a little off or kept; the def
    # line drifted.
    numbers = draw(st.sampled_from(["keep", "drop", "shift"]))
    if numbers == "drop":
        diff = "\n".join("@@ ... @@" if line.startswith("@@") else line for line in diff.split("\n"))
    elif numbers == "shift":
        # Slightly off, as small models are: still nearer the target than its neighbours.
        period = len(body) + 3
        delta = draw(st.integers(-(period - 1) // 2, (period - 1) // 2))
        diff = "\n".join(_shift(line, delta) if line.startswith("@@") else line for line in diff.split("\n"))
    if draw(st.booleans()):
        diff = diff.replace(f" def {names[target]}():\n", f" def {names[target]}() :\n")
    return old, diff, names[target], start


def _shift(header: str, delta: int) -> str:
    numbers = header.split(" ")
    old_start = int(numbers[1][1:].split(",")[0])
    return header.replace(f"-{old_start}", f"-{max(1, old_start + delta)}", 1)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(similar_function_edits())
def test_hunk_for_one_of_several_similar_functions_lands_there_or_is_refused(case):
    old, diff, target, _ = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "f.txt").write_text("".join(f"{x}\n" for x in old))
        change_set = build_change_set(diff, root)
        for hunk in change_set.hunks:
            if hunk.edit is None:
                assert hunk.placement.reason, "a refusal says why"
                continue
            touched = range(hunk.edit.start, max(hunk.edit.end, hunk.edit.start + 1))
            owners = {_owner(old, position) for position in touched}
            assert owners == {target}, f"{hunk.placement.describe()} landed in {owners}, meant for {target}"


# -- apply twice: the second time is "already applied" and writes nothing ---------------------


def _deletion_still_matches(hunk, lines: list[str]) -> bool:
    if any(line.kind == "added" for line in hunk.lines):
        return False
    old = [line.text for line in hunk.lines]
    return any(lines[start : start + len(old)] == old for start in range(len(lines)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits())
def test_applying_the_same_diff_twice_writes_nothing_the_second_time(pair):
    old, new = pair
    if old == new:
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "f.txt").write_text("".join(f"{x}\n" for x in old))
        diff = _diff(old, new)
        # Deleting one of several identical runs leaves another copy of the old side: nothing
        # in a diff can tell that the deletion was done (GNU patch and git repeat it too).
        assume(
            not any(_deletion_still_matches(hunk, new) for hunk in parse_unified(diff.split("\n"))[0].hunks)
        )
        [write] = plan_writes(build_change_set(diff, root))
        (root / "f.txt").write_bytes(write.new)
        again = build_change_set(diff, root)
        try:
            writes = plan_writes(again)
        except PatchbayError:
            return
        raise AssertionError(
            f"applied twice: {[h.placement.describe() for h in again.hunks]} -> {writes[0].new!r}"
        )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4), BODY, st.data())
def test_context_of_one_function_with_removed_line_of_another_never_writes(count, body, data):
    names = [f"f{n}" for n in range(1, count + 1)]
    old = _functions(names, body)
    named, other = data.draw(st.permutations(range(count)))[:2]
    offset = data.draw(st.integers(1, len(body)))
    # Only `other` has this line; the hunk's context is `named`'s def line and body.
    unique = f"    only_in_{names[other]}()"
    old[old.index(f"def {names[other]}():") + offset] = unique
    start = old.index(f"def {names[named]}():")
    context = old[start : start + offset]
    after = old[start + offset + 1 : start + offset + 3]
    numbers = data.draw(
        st.sampled_from([f"@@ -{start + 1},{offset + 3} +{start + 1},{offset + 3} @@", "@@ ... @@"])
    )
    hunk = (
        "".join(f" {x}\n" for x in context)
        + f"-{unique}\n+    changed()\n"
        + "".join(f" {x}\n" for x in after)
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        original = "".join(f"{x}\n" for x in old).encode()
        (root / "f.txt").write_bytes(original)
        change_set = build_change_set(f"--- a/f.txt\n+++ b/f.txt\n{numbers}\n{hunk}", root)
        assert not change_set.all_placed, [h.placement.describe() for h in change_set.hunks]
        assert (root / "f.txt").read_bytes() == original


HUNK_LINE = st.tuples(
    st.sampled_from(" -+"), st.one_of(WORDS, st.text("abcqrs =()", min_size=1, max_size=12))
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    LINES,
    st.lists(st.lists(HUNK_LINE, min_size=1, max_size=6), min_size=1, max_size=3),
    st.lists(st.one_of(st.none(), st.integers(0, 60)), min_size=3, max_size=3),
)
def test_every_refused_hunk_names_a_closest_region_or_says_why_there_is_none(lines, hunks, starts):
    from tui.patch.place import place_hunks
    from tui.patch.text_file import FileText

    text = []
    for body, start in zip(hunks, starts, strict=False):
        old = sum(1 for kind, _ in body if kind != "+")
        new = sum(1 for kind, _ in body if kind != "-")
        text.append(f"@@ -{start},{old} +{start},{new} @@" if start is not None else "@@ @@")
        text.extend(f"{kind}{line}" for kind, line in body)
    [patch] = parse_unified(["--- a/f.txt", "+++ b/f.txt", *text], lenient=True)
    file = FileText.from_text("".join(f"{x}\n" for x in lines))
    for placement, edit in place_hunks(file, patch.hunks):
        if placement.placed:
            continue
        assert edit is None
        said = placement.describe()
        if placement.closest is None:
            assert "states no line number" in said, said
            continue
        first, last = placement.closest
        assert 1 <= first <= last <= len(lines), said
        assert (
            placement.closest_score is not None or "around its stated line" in said or "past the end" in said
        )
