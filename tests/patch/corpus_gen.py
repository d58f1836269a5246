"""A deterministic corpus of model answers built from real Python sources in the venv.

Good cases: a real file, realistic edits (renamed function, inserted lines, changed and deleted
lines), the correct difflib diff, then "dressed" the way small models write diffs (shifted or
missing @@ numbers, wrong counts, blank context without its space, trailing spaces, missing
---/+++ headers with the path in prose, CRLF, a drifted file, dedented hunks, bare diffs,
unterminated fences ...). Each carries the exact bytes every file must have afterwards.

Bad cases must be refused with the tree untouched: hallucinated removed lines, a diff meant for
another file, path escapes, ambiguous placements, re-applying an applied diff, binary targets.
"""

from __future__ import annotations

import difflib
import importlib.util
import itertools
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("rich", "pygments", "httpx", "jinja2", "textual")
SEED = 20260521


@dataclass
class Case:
    name: str
    good: bool
    files: dict[str, bytes]  # the tree before (relative path -> bytes)
    answer: str
    expected: dict[str, bytes | None] = field(default_factory=dict)  # good: files after
    tags: list[str] = field(default_factory=list)
    files_to_modify: list[str] | None = None
    outside: dict[str, bytes] = field(default_factory=dict)  # files next to the tree (escapes)
    symlinks: dict[str, str] = field(default_factory=dict)  # link in tree -> "<outside>/..." target
    strip: int = 1  # -p level for patch/git apply (1 for a/ b/ headers)

    def materialize(self, root: Path) -> Path:
        """Write the case under `root`: root/tree is the working tree, root/outside its neighbour."""
        tree = root / "tree"
        outside = root / "outside"
        tree.mkdir(parents=True)
        outside.mkdir(parents=True)
        for rel, data in self.files.items():
            path = tree / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for rel, data in self.outside.items():
            (outside / rel).parent.mkdir(parents=True, exist_ok=True)
            (outside / rel).write_bytes(data)
        for link, target in self.symlinks.items():
            (tree / link).parent.mkdir(parents=True, exist_ok=True)
            (tree / link).symlink_to(Path(target.replace("<outside>", str(outside))))
        return tree


def source_files() -> list[tuple[str, str]]:
    """(tree path, text) of real modules: 80-2500 lines, LF, UTF-8, sorted for determinism."""
    found: list[tuple[str, str]] = []
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        base = Path(next(iter(spec.submodule_search_locations)))
        for path in sorted(base.rglob("*.py")):
            try:
                text = path.read_text("utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            count = text.count("\n")
            if 80 <= count <= 2500 and "\r" not in text and text.endswith("\n") and "\t" not in text:
                found.append((f"{package}/{path.relative_to(base).as_posix()}", text))
    return found


# -- edits -------------------------------------------------------------------------------------


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" "))]


def _body_lines(lines: list[str]) -> list[int]:
    """Indices of plain statements inside functions: indented, not a block opener."""
    out = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if (
            line.startswith("        ")
            and stripped
            and not stripped.endswith((":", ",", "(", "[", "{", "\\"))
            and not stripped.startswith(
                ("#", "@", '"', "'", ")", "]", "}", "elif", "else", "except", "finally")
            )
            and '"""' not in line
            and "'''" not in line
        ):
            out.append(index)
    return out


def edit_insert(lines: list[str], rng: random.Random, at: int) -> list[str]:
    indent = _indent(lines[at])
    extra = rng.choice(
        [
            [f"{indent}_trace = None  # patched"],
            [f"{indent}if _debug_enabled():", f"{indent}    _log('reached line {at}')"],
            [
                f"{indent}# Keep this in sync with the caller.",
                f"{indent}_checked = True",
                f"{indent}del _checked",
            ],
        ]
    )
    return lines[: at + 1] + extra + lines[at + 1 :]


def edit_change(lines: list[str], rng: random.Random, at: int) -> list[str]:
    line = lines[at]
    choice = rng.randrange(3)
    if choice == 0 and "return " in line:
        new = line.replace("return ", "return (", 1) + ")"
    elif choice == 1 and re.search(r"\b\d+\b", line):
        new = re.sub(r"\b(\d+)\b", lambda m: str(int(m.group(1)) + 1), line, count=1)
    else:
        new = line + "  # reviewed"
    return [*lines[:at], new, *lines[at + 1 :]]


def edit_delete(lines: list[str], rng: random.Random, at: int) -> list[str]:
    return lines[:at] + lines[at + 1 :]


def edit_rename(lines: list[str], rng: random.Random) -> list[str] | None:
    names = [m.group(1) for line in lines if (m := re.match(r"\s*def (_?[a-z]\w{3,})\(", line))]
    rng.shuffle(names)
    for name in names:
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        uses = [index for index, line in enumerate(lines) if pattern.search(line)]
        if 1 <= len(uses) <= 4:
            return [pattern.sub(name + "_v2", line) for line in lines]
    return None


def make_edit(lines: list[str], rng: random.Random, count: int) -> list[str] | None:
    """Apply `count` edits at places at least 12 lines apart (bottom-up keeps indices valid)."""
    if rng.random() < 0.15:
        renamed = edit_rename(lines, rng)
        if renamed is not None:
            return renamed
    body = _body_lines(lines)
    if len(body) < count * 2:
        return None
    picked: list[int] = []
    for index in rng.sample(body, min(len(body), 40)):
        if all(abs(index - other) >= 12 for other in picked):
            picked.append(index)
        if len(picked) == count:
            break
    if len(picked) < count:
        return None
    new = list(lines)
    for index in sorted(picked, reverse=True):
        kind = rng.choice([edit_insert, edit_change, edit_change, edit_delete])
        new = kind(new, rng, index)
    return new


# -- diffs and their dressing --------------------------------------------------------------------


@dataclass
class Diff:
    path: str
    old_header: str
    new_header: str
    hunks: list[list[str]]  # each: the @@ line then body lines (without line endings)


def make_diff(path: str, old: list[str], new: list[str]) -> Diff:
    text = list(
        difflib.unified_diff(
            [line + "\n" for line in old], [line + "\n" for line in new], f"a/{path}", f"b/{path}", n=3
        )
    )
    rows = [line.rstrip("\n") for line in text]
    hunks: list[list[str]] = []
    for row in rows[2:]:
        if row.startswith("@@"):
            hunks.append([row])
        else:
            hunks[-1].append(row)
    return Diff(path, rows[0].rstrip(), rows[1].rstrip(), hunks)


_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def dress_hunks(diff: Diff, rng: random.Random, tags: list[str]) -> None:
    """Damage the hunks the way small models do; record what was done in `tags`."""
    if rng.random() < 0.35:
        tags.append("shifted-numbers")
        shift = rng.choice([-25, -9, -4, -2, 2, 3, 7, 15, 40])
        for hunk in diff.hunks:
            m = _HEADER.match(hunk[0])
            if m:
                a, b, c, d = (int(x) if x else 1 for x in m.groups())
                hunk[0] = f"@@ -{max(1, a + shift)},{b} +{max(1, c + shift)},{d} @@"
    elif rng.random() < 0.3:
        tags.append("no-numbers")
        style = rng.choice(["@@ ... @@", "@@", "@@ -?,? +?,? @@"])
        for hunk in diff.hunks:
            hunk[0] = style
    if rng.random() < 0.3:
        tags.append("wrong-counts")
        for hunk in diff.hunks:
            m = _HEADER.match(hunk[0])
            if m:
                hunk[0] = f"@@ -{m.group(1)},{rng.randint(1, 12)} +{m.group(3)},{rng.randint(1, 12)} @@"
    if rng.random() < 0.35:
        tags.append("blank-without-space")
        for hunk in diff.hunks:
            hunk[1:] = ["" if line == " " else line for line in hunk[1:]]
    if rng.random() < 0.25:
        tags.append("trailing-spaces")
        for hunk in diff.hunks:
            hunk[1:] = [
                line + "  " if line.startswith(" ") and rng.random() < 0.5 else line for line in hunk[1:]
            ]
    if rng.random() < 0.2:
        tags.append("short-context")
        for hunk in diff.hunks:
            if len(hunk) > 3 and hunk[1].startswith(" ") and hunk[2].startswith(" "):
                del hunk[1]
    if rng.random() < 0.12 and all(
        line[1:].startswith("    ") or not line[1:].strip() for hunk in diff.hunks for line in hunk[1:]
    ):
        tags.append("dedented")
        for hunk in diff.hunks:
            hunk[1:] = [line[0] + line[5:] if line[1:].strip() else line for line in hunk[1:]]


def diff_text(diff: Diff, rng: random.Random, tags: list[str], headers: bool = True) -> str:
    out: list[str] = []
    if headers:
        if rng.random() < 0.2:
            tags.append("git-header")
            out += [f"diff --git a/{diff.path} b/{diff.path}", "index 3b18e51..a9c2f4d 100644"]
        if rng.random() < 0.15:
            tags.append("no-prefix")
            out += [f"--- {diff.path}", f"+++ {diff.path}"]
        else:
            out += [diff.old_header, diff.new_header]
    for hunk in diff.hunks:
        out += hunk
    return "\n".join(out)


_PATH_STYLES = ["File: {p}", "### {p}", "`{p}`:", "**{p}**", "Changes to `{p}`:", "In {p}:"]
_INTROS = [
    "Here is the change you asked for.",
    "Sure! Below is a unified diff that implements the request.",
    "I updated the code as follows:",
    "The fix is small:",
]
_OUTROS = ["", "This keeps the behaviour the same otherwise.", "Let me know if you need anything else."]


def wrap_answer(blocks: list[tuple[str, str | None]], rng: random.Random, tags: list[str]) -> str:
    """Prose around fenced (or bare) diffs; each block is (diff text, path to name before it)."""
    parts = [rng.choice(_INTROS), ""]
    style = rng.random()
    lang = rng.choice(["diff", "diff", "diff", "patch", "", "python"])
    for index, (text, named) in enumerate(blocks):
        if named is not None:
            parts += [rng.choice(_PATH_STYLES).format(p=named)]
        if style < 0.08 and named is None:
            tags.append("bare")
            parts += [text, ""]
            continue
        parts += [f"```{lang}", text]
        last = index == len(blocks) - 1
        if last and style > 0.93:
            tags.append("unterminated")
            continue
        parts += ["```", ""]
    if "unterminated" not in tags:
        parts.append(rng.choice(_OUTROS))
    answer = "\n".join(parts)
    if rng.random() < 0.15:
        tags.append("crlf")
        answer = answer.replace("\n", "\r\n")
    return answer


def _drift(
    old: list[str], new: list[str], rng: random.Random, tags: list[str]
) -> tuple[list[str], list[str]]:
    """Lines added to the working file since the diff was made, above or between the hunks."""
    opcodes = [op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()]
    changed = [op for op in opcodes if op[0] != "equal"]
    first = changed[0][1]
    candidates = [i for i in range(0, max(first - 5, 0))]
    for a, b in itertools.pairwise(changed):
        candidates += list(range(a[2] + 4, b[1] - 4))
    if not candidates:
        return old, new
    at = rng.choice(candidates)
    block = rng.choice(
        [["import logging"], ["# TODO: revisit", "# (added later)"], ["", "_MARKER = object()", ""]]
    )
    delta = sum((j2 - j1) - (i2 - i1) for tag, i1, i2, j1, j2 in opcodes if tag != "equal" and i2 <= at)
    tags.append("drifted")
    return old[:at] + block + old[at:], new[: at + delta] + block + new[at + delta :]


def _context_drift(diff: Diff, old: list[str], new: list[str], rng: random.Random, tags: list[str]):
    """A context line changed in the working file since: fuzzy placement must cope."""
    for hunk in diff.hunks:
        body = hunk[1:]
        for k, line in enumerate(body):
            neighbours = body[max(0, k - 1) : k + 2]
            if line.startswith(" ") and len(line.strip()) > 8 and all(n.startswith(" ") for n in neighbours):
                text = line[1:]
                if old.count(text) == 1 and new.count(text) == 1:
                    changed = text + "  # tweaked"
                    tags.append("context-drift")
                    return (
                        [changed if x == text else x for x in old],
                        [changed if x == text else x for x in new],
                    )
    return old, new


def good_case(number: int, files: list[tuple[str, str]], rng: random.Random) -> Case | None:
    multi = rng.random() < 0.15
    chosen = rng.sample(files, 2 if multi else 1)
    tags: list[str] = []
    tree: dict[str, bytes] = {}
    expected: dict[str, bytes | None] = {}
    blocks: list[tuple[str, str | None]] = []
    no_headers = not multi and rng.random() < 0.25
    for path, text in chosen:
        old = text.split("\n")[:-1]
        new = make_edit(old, rng, rng.choice([1, 1, 2, 3]))
        if new is None or new == old:
            return None
        diff = make_diff(path, old, new)
        work_old, work_new = old, new
        if rng.random() < 0.25:
            work_old, work_new = _drift(old, new, rng, tags)
        if rng.random() < 0.12:
            work_old, work_new = _context_drift(diff, work_old, work_new, rng, tags)
        dress_hunks(diff, rng, tags)
        tree[path] = ("\n".join(work_old) + "\n").encode()
        expected[path] = ("\n".join(work_new) + "\n").encode()
        if no_headers:
            tags.append("no-headers")
            blocks.append((diff_text(diff, rng, tags, headers=False), path))
        else:
            blocks.append((diff_text(diff, rng, tags), None))
    if multi and rng.random() < 0.5:
        blocks = [("\n".join(text for text, _ in blocks), None)]
        tags.append("one-fence")
    answer = wrap_answer(blocks, rng, tags)
    strip = 0 if "no-prefix" in tags else 1
    return Case(f"good-{number:03d}", True, tree, answer, expected, tags, strip=strip)


# -- bad cases ---------------------------------------------------------------------------------


def bad_cases(files: list[tuple[str, str]], rng: random.Random, count: int) -> list[Case]:
    cases: list[Case] = []
    makers = [_hallucinated, _wrong_file, _escape, _ambiguous, _reapplied, _binary]
    number = 0
    attempts = 0
    while len(cases) < count and attempts < count * 20:
        attempts += 1
        maker = makers[number % len(makers)]
        case = maker(number, files, rng)
        if case is not None:
            cases.append(case)
            number += 1
    return cases


def _simple(files, rng, count=2):
    path, text = rng.choice(files)
    old = text.split("\n")[:-1]
    new = make_edit(old, rng, count)
    if new is None or new == old:
        return None
    return path, old, new, make_diff(path, old, new)


def _hallucinated(number, files, rng) -> Case | None:
    made = _simple(files, rng)
    if made is None:
        return None
    path, old, _new, diff = made
    keys = {" ".join(line.split()) for line in old}
    for hunk in diff.hunks:
        for k, line in enumerate(hunk):
            if line.startswith("-") and len(line.strip()) > 6:
                fake = line.replace("(", "(self, ", 1) if "(" in line else line + " or _fallback"
                fake = fake.replace(" = ", " = _cached_", 1) if fake == line else fake
                if " ".join(fake[1:].split()) in keys:
                    continue
                hunk[k] = fake
                tags = ["hallucinated-removed"]
                answer = wrap_answer([(diff_text(diff, rng, tags), None)], rng, tags)
                return Case(f"bad-{number:03d}-hallucinated", False, {path: _bytes(old)}, answer, tags=tags)
    return None


def _wrong_file(number, files, rng) -> Case | None:
    made = _simple(files, rng, 1)
    if made is None:
        return None
    path, old, _new, diff = made
    other_path, other_text = rng.choice(files)
    if other_path == path:
        return None
    tags = ["wrong-file"]
    diff.old_header, diff.new_header, diff.path = f"--- a/{other_path}", f"+++ b/{other_path}", other_path
    answer = wrap_answer([(diff_text(diff, rng, tags), None)], rng, tags)
    tree = {path: _bytes(old), other_path: other_text.encode()}
    return Case(f"bad-{number:03d}-wrong-file", False, tree, answer, tags=tags)


def _escape(number, files, rng) -> Case | None:
    made = _simple(files, rng, 1)
    if made is None:
        return None
    path, old, _new, diff = made
    kind = rng.choice(["dotdot", "absolute", "git", "symlink"])
    tags = [f"escape-{kind}"]
    outside: dict[str, bytes] = {}
    symlinks: dict[str, str] = {}
    tree = {path: _bytes(old)}
    if kind == "dotdot":
        target = "../outside/" + Path(path).name
        outside[Path(path).name] = _bytes(old)
    elif kind == "absolute":
        target = "/tmp/patchbay-corpus-never/" + Path(path).name
    elif kind == "git":
        target = ".git/" + Path(path).name
        tree[target] = _bytes(old)
    else:
        target = "linked/" + Path(path).name
        outside[Path(path).name] = _bytes(old)
        symlinks["linked"] = "<outside>"
    diff.old_header, diff.new_header = f"--- a/{target}", f"+++ b/{target}"
    diff.path = target  # headers written without a/ b/ name it too
    if kind == "absolute":
        diff.old_header, diff.new_header = f"--- {target}", f"+++ {target}"
    answer = wrap_answer([(diff_text(diff, rng, tags), None)], rng, tags)
    return Case(
        f"bad-{number:03d}-{kind}", False, tree, answer, tags=tags, outside=outside, symlinks=symlinks
    )


def _ambiguous(number, files, rng) -> Case | None:
    path, text = rng.choice(files)
    lines = text.split("\n")[:-1]
    body = _body_lines(lines)
    if not body:
        return None
    at = rng.choice(body)
    block = lines[max(0, at - 6) : at + 7]
    if len(block) < 10:
        return None
    doubled = [*lines, "", "", "def _copy():", *["    " + line for line in block], ""]
    doubled = [*doubled, "", "def _copy2():", *["    " + line for line in block], ""]
    # The same block twice (same indentation), and a hunk without line numbers inside it.
    start = len(lines) + 3
    second = start + len(block) + 3
    old = doubled
    new = list(doubled)
    new[second + 6] = new[second + 6] + "  # changed"
    diff = make_diff(path, old, new)
    for hunk in diff.hunks:
        hunk[0] = "@@ ... @@"
    tags = ["ambiguous"]
    answer = wrap_answer([(diff_text(diff, rng, tags), None)], rng, tags)
    return Case(f"bad-{number:03d}-ambiguous", False, {path: _bytes(old)}, answer, tags=tags)


def _reapplied(number, files, rng) -> Case | None:
    made = _simple(files, rng)
    if made is None:
        return None
    path, _old, new, diff = made
    tags = ["reapplied"]
    answer = wrap_answer([(diff_text(diff, rng, tags), None)], rng, tags)
    return Case(f"bad-{number:03d}-reapplied", False, {path: _bytes(new)}, answer, tags=tags)


def _binary(number, files, rng) -> Case | None:
    made = _simple(files, rng, 1)
    if made is None:
        return None
    path, old, _new, diff = made
    tags = ["binary"]
    answer = wrap_answer([(diff_text(diff, rng, tags), None)], rng, tags)
    data = _bytes(old).replace(b"\n", b"\n\x00", 1)
    return Case(f"bad-{number:03d}-binary", False, {path: data}, answer, tags=tags)


def _bytes(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


# -- similar functions and re-applied insertions ---------------------------------------------------
# Made with their own random stream, so that adding them left every case above unchanged.

_COPIES = ("_copy_a", "_copy_b", "_copy_c")


def _similar_functions(files, rng) -> tuple[str, list[str], list[int], list[str]] | None:
    """A real file with three functions appended whose bodies are the same real block.
    Returns (path, lines, where each copy's def line is, the block)."""
    path, text = rng.choice(files)
    lines = text.split("\n")[:-1]
    body = _body_lines(lines)
    if not body:
        return None
    at = rng.choice(body)
    block = [line for line in lines[max(0, at - 6) : at + 7] if line.strip()]
    if len(block) < 8 or len({line.strip() for line in block}) < len(block):
        return None
    out = list(lines)
    defs = []
    for name in _COPIES:
        out += ["", ""]
        defs.append(len(out))
        out += [f"def {name}():", *["    " + line for line in block]]
    return path, [*out, ""], defs, block


def _neighbour_good(number, files, rng) -> Case | None:
    """A hunk for one of three look-alike functions: its def line is in its context, exact (and
    another context line drifted) or itself drifted with a line number that is about right."""
    made = _similar_functions(files, rng)
    if made is None:
        return None
    path, old, defs, _block = made
    target = rng.randrange(len(_COPIES))
    new = list(old)
    edit_at = defs[target] + rng.randint(1, 3)
    new[edit_at] = new[edit_at] + "  # changed"
    diff = make_diff(path, old, new)
    [hunk] = diff.hunks
    tags = ["similar-functions"]
    define = f" def {_COPIES[target]}():"
    if rng.random() < 0.5:
        tags.append("no-numbers")
        hunk[0] = "@@ ... @@"
        # A context line below the edit drifted in the model's copy: no exact match anywhere.
        for k in range(len(hunk) - 1, 0, -1):
            if hunk[k].startswith(" ") and hunk[k].strip() and hunk[k] != define:
                hunk[k] = hunk[k] + "  # as I remember it"
                break
    else:
        tags.append("drifted-def")
        hunk[1:] = [line.replace("():", "() :") if line == define else line for line in hunk[1:]]
        m = _HEADER.match(hunk[0])
        if m:
            shift = rng.choice([-2, -1, 0, 1, 2])
            hunk[0] = f"@@ -{int(m.group(1)) + shift},{m.group(2)} +{int(m.group(3)) + shift},{m.group(4)} @@"
    answer = wrap_answer([(diff_text(diff, rng, tags), None)], rng, tags)
    return Case(f"good-{number:03d}-neighbour", True, {path: _bytes(old)}, answer, {path: _bytes(new)}, tags)


def _neighbour_conflict(number, files, rng) -> Case | None:
    """The hunk's context names one look-alike function, its removed line is only in another."""
    made = _similar_functions(files, rng)
    if made is None:
        return None
    path, old, defs, _block = made
    named, other = rng.sample(range(len(_COPIES)), 2)
    offset = rng.randint(2, 3)
    unique = old[defs[other] + offset] + "  # only here"
    old[defs[other] + offset] = unique
    lines = [
        *old[defs[named] : defs[named] + offset],
        unique,
        *old[defs[named] + offset + 1 : defs[named] + offset + 3],
    ]
    body = [" " + line for line in lines]
    body[offset] = "-" + unique
    body.insert(offset + 1, "+" + unique.replace("  # only here", "  # fixed"))
    start = defs[named] + 1 if rng.random() < 0.5 else None
    header = f"@@ -{start},{len(lines)} +{start},{len(lines)} @@" if start else "@@ ... @@"
    diff = Diff(path, f"--- a/{path}", f"+++ b/{path}", [[header, *body]])
    tags = ["neighbour-conflict"]
    answer = wrap_answer([(diff_text(diff, rng, tags), None)], rng, tags)
    return Case(f"bad-{number:03d}-neighbour", False, {path: _bytes(old)}, answer, tags=tags)


def _insertion_reapplied(number, files, rng) -> Case | None:
    """An add-only hunk at the top or the end of a file, given to the file that already has it."""
    path, text = rng.choice(files)
    lines = text.split("\n")[:-1]
    added = ["# Added by the model.", "_REGISTERED = True"]
    if rng.random() < 0.5:
        new = added + lines
        body = [*("+" + line for line in added), *(" " + line for line in lines[:3])]
        header = "@@ -1,3 +1,5 @@"
        tags = ["reapplied-insertion", "top"]
    else:
        new = lines + added
        start = len(lines) - 2
        body = [*(" " + line for line in lines[-3:]), *("+" + line for line in added)]
        header = f"@@ -{start},3 +{start},5 @@"
        tags = ["reapplied-insertion", "end"]
    diff = Diff(path, f"--- a/{path}", f"+++ b/{path}", [[header, *body]])
    answer = wrap_answer([(diff_text(diff, rng, tags), None)], rng, tags)
    return Case(f"bad-{number:03d}-reinserted", False, {path: _bytes(new)}, answer, tags=tags)


def _more_cases(files, makers, count: int, first: int, rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    attempts = 0
    while len(cases) < count and attempts < count * 20:
        attempts += 1
        case = makers[len(cases) % len(makers)](first + len(cases), files, rng)
        if case is not None:
            cases.append(case)
    return cases


def build_corpus(good: int = 200, bad: int = 60, seed: int = SEED, similar: int = 20) -> list[Case]:
    """`good` and `bad` sloppy answers, then `similar` more of each kind about look-alike
    functions and re-applied insertions."""
    rng = random.Random(seed)
    files = source_files()
    cases: list[Case] = []
    number = 0
    while number < good:
        case = good_case(number, files, rng)
        if case is not None:
            cases.append(case)
            number += 1
    cases.extend(bad_cases(files, rng, bad))
    more = random.Random(seed + 1)
    cases.extend(_more_cases(files, [_neighbour_good], similar, good, more))
    cases.extend(_more_cases(files, [_neighbour_conflict, _insertion_reapplied], similar, bad, more))
    return cases
