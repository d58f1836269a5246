"""The realistic corpus written in every edit format: the same real-code edits as
tests/patch/corpus_gen.py, written as SEARCH/REPLACE blocks, apply_patch envelopes and whole
files with the sloppiness small models show in each (bare file names, missing paths, marker
lengths, wrong indentation, a missing SEARCH line, drifted anchors, CRLF, missing end markers),
plus answers each format must refuse (text not in the file, a path out of the tree, two equally
good places, left-out code, an edit applied before)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tests.patch.corpus_gen import SEED, Case, make_edit, source_files
from tui.errors import PatchbayError
from tui.patch.apply_change import apply_change_set
from tui.patch.extract import build_change_set
from tui.patch.line_diff import group_opcodes, line_opcodes

FORMATS = ("search_replace", "apply_patch", "whole_file")


@dataclass
class Region:
    """One changed region with its context: old lines [i1, i2) become new lines [j1, j2)."""

    i1: int
    i2: int
    j1: int
    j2: int


def regions(old: list[str], new: list[str], context: int) -> list[Region]:
    return [
        Region(group[0][1], group[-1][2], group[0][3], group[-1][4])
        for group in group_opcodes(line_opcodes(old, new), context=context)
    ]


def unique_regions(old: list[str], new: list[str]) -> list[Region]:
    """Regions with as much context as makes each one's old lines occur once in the file, as
    both formats ask of a model (3 lines, more where the code repeats itself)."""
    for context in (3, 5, 8, 12):
        found = regions(old, new, context)
        if all(_occurrences(old, old[r.i1 : r.i2]) == 1 for r in found):
            return found
    return found


def _occurrences(lines: list[str], block: list[str]) -> int:
    if not block:
        return 0
    size = len(block)
    return sum(1 for start in range(len(lines) - size + 1) if lines[start : start + size] == block)


def _text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _dedent(lines: list[str]) -> list[str]:
    widths = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(widths) if widths else 0
    return [line[cut:] for line in lines]


# -- writers with sloppiness ---------------------------------------------------------------------


def _path_style(path: str, rng: random.Random, tags: list[str], single: bool) -> str:
    roll = rng.random()
    if single and roll < 0.1:
        tags.append("no-path")
        return ""
    if roll < 0.25 and "/" in path:
        tags.append("bare-name")
        return PurePosixPath(path).name
    return path


def write_search_replace(
    files: list[tuple[str, list[str], list[str]]], rng: random.Random, tags: list[str]
) -> str:
    out = ["I made the change with SEARCH/REPLACE blocks.", ""]
    marker = rng.choice([7, 7, 7, 5, 6, 8, 9])
    if marker != 7:
        tags.append(f"markers-{marker}")
    inside = rng.random() < 0.25
    bare = not inside and rng.random() < 0.15
    tags.extend(["path-in-fence"] if inside else ["no-fence"] if bare else [])
    dedent = rng.random() < 0.15
    drop_line = rng.random() < 0.15
    unterminated = not bare and rng.random() < 0.08
    for path, old, new in files:
        shown = _path_style(path, rng, tags, single=len(files) == 1)
        blocks = []
        for region in unique_regions(old, new):
            search, replace = old[region.i1 : region.i2], new[region.j1 : region.j2]
            if dedent:
                tags.append("dedented")
                search, replace = _dedent(search), _dedent(replace)
                dedent = False
            if drop_line:
                dropped = _drop_context_line(search, replace)
                if dropped is not None:
                    search, replace = dropped
                    tags.append("missing-line")
                    drop_line = False
            blocks.append(
                f"{'<' * marker} SEARCH\n{_text(search)}{'=' * marker}\n{_text(replace)}{'>' * marker} REPLACE\n"
            )
        body = "".join(blocks)
        if unterminated:
            body = body[: body.rstrip("\n").rfind("\n") + 1]
            tags.append("no-replace-marker")
            unterminated = False
        if bare:
            out.append((shown + "\n" if shown else "") + body)
        elif inside:
            out.append("```python\n" + (shown + "\n" if shown else "") + body + "```\n")
        else:
            out.append((shown + "\n" if shown else "") + "```python\n" + body + "```\n")
    return "\n".join(out)


def _drop_context_line(search: list[str], replace: list[str]) -> tuple[list[str], list[str]] | None:
    """Leave out one unchanged line from the middle of both sides (as a model's slip would)."""
    ops = line_opcodes(search, replace)
    for tag, i1, i2, j1, _ in ops[1:-1] if len(ops) > 2 else []:
        if tag == "equal" and i2 - i1 >= 3:
            middle = i1 + 1
            offset = middle - i1
            return search[:middle] + search[middle + 1 :], replace[: j1 + offset] + replace[j1 + offset + 1 :]
    if ops and ops[0][0] == "equal" and ops[0][2] >= 3:  # the leading context: drop its middle line
        return search[:1] + search[2:], replace[:1] + replace[2:]
    return None


def _anchor(old: list[str], before: int, rng: random.Random, tags: list[str]) -> str:
    defs = [line.strip() for line in old[:before] if re.match(r"\s*(?:async\s+)?(?:def|class)\s", line)]
    if not defs:
        return ""
    if rng.random() < 0.15 and len(defs) > 1:
        tags.append("drifted-anchor")
        return defs[-2].rstrip(":")
    return defs[-1].rstrip(":")


def write_apply_patch(
    files: list[tuple[str, list[str], list[str]]], rng: random.Random, tags: list[str]
) -> str:
    anchors = rng.random() < 0.6
    trailing = " " if rng.random() < 0.15 else ""
    no_end = rng.random() < 0.15
    no_space = rng.random() < 0.2
    fenced = rng.random() < 0.5
    tags.extend(
        name
        for name, on in (
            ("anchors", anchors),
            ("marker-spaces", trailing),
            ("no-end-patch", no_end),
            ("blank-context-bare", no_space),
            ("fenced", fenced),
        )
        if on
    )
    out = [f"*** Begin Patch{trailing}"]
    for path, old, new in files:
        out.append(f"*** Update File: {path}{trailing}")
        for region in unique_regions(old, new):
            anchor = _anchor(old, region.i1, rng, tags) if anchors else ""
            out.append(f"@@ {anchor}".rstrip())
            for tag, a1, a2, b1, b2 in line_opcodes(old[region.i1 : region.i2], new[region.j1 : region.j2]):
                if tag == "equal":
                    out.extend(
                        ("" if no_space and not line else " " + line)
                        for line in old[region.i1 + a1 : region.i1 + a2]
                    )
                    continue
                out.extend("-" + line for line in old[region.i1 + a1 : region.i1 + a2])
                out.extend("+" + line for line in new[region.j1 + b1 : region.j1 + b2])
            if region.i2 == len(old):
                out.append("*** End of File")
    if not no_end:
        out.append("*** End Patch")
    body = "\n".join(out) + "\n"
    return ("Here is the patch.\n\n```\n" + body + "```\n") if fenced else body


def write_whole_file(
    files: list[tuple[str, list[str], list[str]]], rng: random.Random, tags: list[str]
) -> str:
    out = ["Here are the updated files.", ""]
    for path, _old, new in files:
        # A file holding ``` lines needs a longer fence, as Markdown (and a careful model) does.
        tick = "````" if any(line.lstrip().startswith("```") for line in new) else "```"
        roll = rng.random()
        if roll < 0.25:
            tags.append("path-in-info")
            out.append(f"{tick}python path={path}\n{_text(new)}{tick}\n")
        elif roll < 0.4 and "/" in path:
            tags.append("bare-name")
            out.append(f"{PurePosixPath(path).name}\n{tick}python\n{_text(new)}{tick}\n")
        else:
            out.append(f"`{path}`:\n{tick}python\n{_text(new)}{tick}\n")
    return "\n".join(out)


WRITERS = {
    "search_replace": write_search_replace,
    "apply_patch": write_apply_patch,
    "whole_file": write_whole_file,
}


def _crlf(answer: str, rng: random.Random, tags: list[str]) -> str:
    if rng.random() < 0.1:
        tags.append("crlf")
        return answer.replace("\n", "\r\n")
    return answer


# -- cases -------------------------------------------------------------------------------------


def _bytes(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def good_case(fmt: str, number: int, files: list[tuple[str, str]], rng: random.Random) -> Case | None:
    multi = rng.random() < 0.15
    chosen = rng.sample(files, 2 if multi else 1)
    if multi and PurePosixPath(chosen[0][0]).name == PurePosixPath(chosen[1][0]).name:
        return None
    edits = []
    for path, text in chosen:
        old = text.split("\n")[:-1]
        new = make_edit(old, rng, rng.choice([1, 1, 2, 3]))
        if new is None or new == old:
            return None
        edits.append((path, old, new))
    tags: list[str] = []
    answer = _crlf(WRITERS[fmt](edits, rng, tags), rng, tags)
    tree = {path: _bytes(old) for path, old, _ in edits}
    expected: dict[str, bytes | None] = {path: _bytes(new) for path, _, new in edits}
    scope = [edits[0][0]] if "no-path" in tags else None
    return Case(f"{fmt}-good-{number:03d}", True, tree, answer, expected, tags, files_to_modify=scope)


def _one_change(files: list[tuple[str, str]], rng: random.Random) -> tuple[str, list[str], list[str]] | None:
    path, text = rng.choice(files)
    old = text.split("\n")[:-1]
    new = make_edit(old, rng, 1)
    return None if new is None or new == old else (path, old, new)


def bad_case(
    fmt: str, kind: str, number: int, files: list[tuple[str, str]], rng: random.Random
) -> Case | None:
    picked = _one_change(files, rng)
    if picked is None:
        return None
    path, old, new = picked
    tags = [kind]
    name = f"{fmt}-bad-{kind}-{number:03d}"
    tree = {path: _bytes(old)}
    if kind == "hallucinated":
        # The removed lines as the model misremembers them: not in the file.
        region = regions(old, new, 3)[0]
        fake = [line + "  # was different" if line.strip() else line for line in old[region.i1 : region.i2]]
        wrong = old[: region.i1] + fake + old[region.i2 :]
        if fmt == "whole_file":
            return None
        answer = WRITERS[fmt](
            [(path, wrong, wrong[: region.i1] + new[region.j1 : region.j2] + wrong[region.i2 :])], rng, []
        )
        return Case(name, False, tree, answer, tags=tags)
    if kind == "escape":
        target = "../outside/" + PurePosixPath(path).name
        answer = WRITERS[fmt]([(target, old, new)], rng, [])
        answer = answer.replace(PurePosixPath(path).name + "\n", target + "\n")  # no bare-name shortcut
        return Case(name, False, {}, answer, tags=tags, outside={PurePosixPath(path).name: _bytes(old)})
    if kind == "ambiguous":
        return _ambiguous(fmt, name, files, rng, tags)
    if kind == "reapplied":
        if fmt == "whole_file":
            return None
        answer = WRITERS[fmt]([(path, old, new)], random.Random(number), [])
        return Case(name, False, {path: _bytes(new)}, answer, tags=tags)
    if kind == "elided" and fmt == "whole_file":
        region = regions(old, new, 3)[0]
        short = [*new[: region.j2], "    # ... rest of the file unchanged ..."]
        answer = f"{path}\n```python\n{_text(short)}```\n"
        return Case(name, False, tree, answer, tags=tags)
    return None


def _ambiguous(
    fmt: str, name: str, files: list[tuple[str, str]], rng: random.Random, tags: list[str]
) -> Case | None:
    """A change to lines that occur twice in the file, shown with no context that tells them apart."""
    if fmt == "whole_file":
        return None
    path, text = rng.choice(files)
    old = text.split("\n")[:-1]
    seen: dict[tuple[str, str], list[int]] = {}
    for index in range(len(old) - 1):
        pair = (old[index], old[index + 1])
        if all(len(line.strip()) > 8 for line in pair):
            seen.setdefault(pair, []).append(index)
    twice = [places for places in seen.values() if len(places) == 2 and places[1] - places[0] > 2]
    if not twice:
        return None
    first = rng.choice(twice)[0]
    search = old[first : first + 2]
    replace = [search[0], search[1] + "  # changed"]
    if fmt == "search_replace":
        answer = (
            f"{path}\n```\n<<<<<<< SEARCH\n{_text(search)}=======\n{_text(replace)}>>>>>>> REPLACE\n```\n"
        )
    else:
        answer = f"*** Begin Patch\n*** Update File: {path}\n@@\n {search[0]}\n-{search[1]}\n+{replace[1]}\n*** End Patch\n"
    return Case(name, False, {path: _bytes(old)}, answer, tags=tags)


BAD_KINDS = ("hallucinated", "escape", "ambiguous", "reapplied", "elided")


def build_format_corpus(fmt: str, good: int = 120, bad: int = 40, seed: int = SEED) -> list[Case]:
    """`good` sloppy but correct answers and up to `bad` must-refuse ones, in format `fmt`."""
    rng = random.Random(f"{seed}-{fmt}")
    files = source_files()
    cases: list[Case] = []
    number = 0
    while sum(case.good for case in cases) < good and number < good * 5:
        number += 1
        case = good_case(fmt, number, files, rng)
        if case is not None:
            cases.append(case)
    made = 0
    attempts = 0
    while made < bad and attempts < bad * 20:
        attempts += 1
        kind = BAD_KINDS[attempts % len(BAD_KINDS)]
        case = bad_case(fmt, kind, attempts, files, rng)
        if case is not None:
            cases.append(case)
            made += 1
    return cases


def snapshot(case: Case, root: Path) -> dict[str, bytes | None]:
    """Every file the case could touch: the tree's files (expected ones too) and the neighbours."""
    tree, outside = root / "tree", root / "outside"
    names = set(case.files) | set(case.expected)
    state = {rel: (tree / rel).read_bytes() if (tree / rel).is_file() else None for rel in names}
    state.update({f"outside/{rel}": (outside / rel).read_bytes() for rel in case.outside})
    extra = sorted(
        p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file() and ".patchbay" not in p.parts
    )
    state["(files)"] = "\n".join(extra).encode()
    return state


def outcome(case: Case, root: Path, apply=None) -> str:
    """exact | refused | damaged | partial (good); refused | false_apply | partial (bad).

    `apply(case, tree)` applies the answer (default: Patchbay, format auto) and returns whether
    it said it applied; `partial` is a refusal that still changed something."""
    case.materialize(root)
    tree = root / "tree"
    before = snapshot(case, root)
    applied = (apply or apply_with_patchbay)(case, tree)
    return classify(case, before, snapshot(case, root), applied)


def classify(
    case: Case, before: dict[str, bytes | None], after: dict[str, bytes | None], applied: bool
) -> str:
    changed = after != before
    if case.good:
        if all(after.get(rel) == data for rel, data in case.expected.items()):
            return "exact"
        if not changed:
            return "refused"
        return "damaged" if applied else "partial"
    if not changed:
        return "refused"
    return "false_apply" if applied else "partial"


def apply_with_patchbay(case: Case, tree: Path) -> bool:
    try:
        change_set = build_change_set(
            case.answer, tree, output_parser="auto", files_to_modify=case.files_to_modify
        )
        apply_change_set(tree, change_set)
    except PatchbayError:
        return False
    return True
