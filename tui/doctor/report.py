"""One line of the doctor's checklist, and the list printed as text or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["ok", "fail", "info"]
MARKS = {"ok": "✓", "fail": "✗", "info": "–"}


@dataclass(frozen=True)
class Check:
    """`needed`: a failure means the chosen model cannot run (exit 1); others only advise."""

    section: str
    name: str
    status: Status
    detail: str
    advice: str = ""
    needed: bool = True


def ok(section: str, name: str, detail: str, advice: str = "") -> Check:
    return Check(section, name, "ok", detail, advice)


def fail(section: str, name: str, detail: str, advice: str, needed: bool = True) -> Check:
    return Check(section, name, "fail", detail, advice, needed)


def info(section: str, name: str, detail: str, advice: str = "") -> Check:
    return Check(section, name, "info", detail, advice, needed=False)


def exit_code(checks: list[Check]) -> int:
    return 1 if any(c.status == "fail" and c.needed for c in checks) else 0


def render_text(checks: list[Check]) -> str:
    lines: list[str] = []
    section = None
    width = max((len(c.name) for c in checks), default=0)
    for check in checks:
        if check.section != section:
            section = check.section
            lines.append(("" if not lines else "\n") + section)
        line = f"  {MARKS[check.status]} {check.name.ljust(width)}  {check.detail}"
        lines.append(line.rstrip())
        if check.advice:
            lines.append(f"    {' ' * width}  → {check.advice}")
    verdict = (
        "everything the chosen model needs is here"
        if exit_code(checks) == 0
        else "something needed is missing (✗ above)"
    )
    lines.append(f"\n{verdict}")
    return "\n".join(lines)


def render_json(checks: list[Check]) -> str:
    return json.dumps(
        {"ok": exit_code(checks) == 0, "checks": [asdict(c) for c in checks]}, indent=2, ensure_ascii=False
    )
