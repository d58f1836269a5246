"""Line diffs with diff-match-patch: each distinct line becomes one character (the linesToChars
idea), so Myers' algorithm runs over lines; results as difflib-style opcodes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from diff_match_patch import diff_match_patch

Opcode = tuple[str, int, int, int, int]  # tag ("equal", "replace", "delete", "insert"), i1, i2, j1, j2


def _encoder() -> tuple[dict[str, str], Callable[[Sequence[str]], str]]:
    codes: dict[str, str] = {}

    def encode(lines: Sequence[str]) -> str:
        out = []
        for line in lines:
            code = codes.get(line)
            if code is None:
                number = 0x100 + len(codes)
                if number >= 0xD800:  # skip the surrogate block
                    number += 0x800
                code = codes[line] = chr(number)
            out.append(code)
        return "".join(out)

    return codes, encode


def line_opcodes(a: Sequence[str], b: Sequence[str], timeout: float = 2.0) -> list[Opcode]:
    """Opcodes turning lines `a` into lines `b`. `timeout` bounds very large diffs (the result
    stays correct, only less minimal, when it runs out)."""
    _, encode = _encoder()
    text_a, text_b = encode(a), encode(b)
    engine = diff_match_patch()
    engine.Diff_Timeout = timeout
    diffs = engine.diff_main(text_a, text_b, False)
    opcodes: list[Opcode] = []
    i = j = 0
    for op, text in diffs:
        size = len(text)
        if op == 0:
            opcodes.append(("equal", i, i + size, j, j + size))
            i += size
            j += size
        elif op == -1:
            opcodes.append(("delete", i, i + size, j, j))
            i += size
        else:
            opcodes.append(("insert", i, i, j, j + size))
            j += size
    return _merge_replacements(opcodes)


def _merge_replacements(opcodes: list[Opcode]) -> list[Opcode]:
    merged: list[Opcode] = []
    for op in opcodes:
        if merged and op[0] in ("delete", "insert") and merged[-1][0] in ("delete", "insert", "replace"):
            tag, i1, _, j1, _ = merged[-1]
            if tag != op[0] or tag == "replace":
                merged[-1] = ("replace", i1, op[2], j1, op[4])
                continue
        merged.append(op)
    return merged


def group_opcodes(opcodes: list[Opcode], context: int = 3) -> list[list[Opcode]]:
    """Changes with `context` equal lines around them; changes closer than 2*context share a group."""
    groups: list[list[Opcode]] = []
    current: list[Opcode] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag != "equal":
            current.append((tag, i1, i2, j1, j2))
            continue
        first = not current
        last = index == len(opcodes) - 1
        if first:
            if not last or len(opcodes) == 1:
                keep = min(context, i2 - i1)
                if keep and index + 1 < len(opcodes):
                    current.append(("equal", i2 - keep, i2, j2 - keep, j2))
            continue
        if last or i2 - i1 > 2 * context:
            keep = min(context, i2 - i1)
            if keep:
                current.append(("equal", i1, i1 + keep, j1, j1 + keep))
            groups.append(current)
            current = []
            if not last:
                keep = min(context, i2 - i1)
                current.append(("equal", i2 - keep, i2, j2 - keep, j2))
        else:
            current.append((tag, i1, i2, j1, j2))
    if current and any(op[0] != "equal" for op in current):
        groups.append(current)
    return groups
