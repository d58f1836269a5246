"""Random Markdown never crashes the importer: it either writes a runbook that passes our checks or
raises PatchbayError with one sentence."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.errors import PatchbayError
from tui.plan_import import import_plan

from .runbook_checks import assert_runbook_valid

FRAGMENTS = [
    "# Plan", "## Phase 1 – Core", "### Phase 2 — Edge", "## Dependency graph", "",
    "| ID | Task | ⬆ | Output | 📝 Agent Prompt |", "|---|---|---|---|---|", "|:-|:-:|-:|",
    "| 1.1 | A | – | `a.py` | \"Do `x` {{ y }}\" |", "| 1.2 | B | 1.1 & 2.* | | |",
    "| **1.10** | C | 1.1‑1.3 | x | {% raw %} |", "2.1 | D | 1.2, 9.9 | `b/c.py` | 'q \\| r'",
    "| 2.2 | E | 2.1-2.10 | | {% endraw %} |", "| 2.2 | dup | 2.2 | | |", "| | | | |", "|",
    "```yaml", "```text", "```", "````", "~~~", "task_id: 3.1", "task_id: [1, 2]", "depends_on: [3.1, 1.*]",
    "structured_prompt: |", "  ```python", "  x = {{ 1 }}", "  ```", "validation: pytest", "- task_id: 3.2",
    "context_size: lots", "input: {path: a.py}", "tasks: [{id: 4.1, prompt: p}]", ": : :", "&a [*a]",
    "1. **[Issue #13: Thing](http://x/13)**", "   - **Dependencies**: Issue #13, #14", "2. **Issue #14: Other**",
    "   - **Status**: Blocked (by #13)", "   - **Agent prompt**: \"go\"", "1.1 → 1.2 → 2.*", "a --> b",
    "You are the shared wrapper for every task.",
]  # fmt: skip

lines = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, max_size=25))
def test_random_markdown_never_crashes_the_importer(plan_lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        plan = Path(folder) / "plan.md"
        plan.write_text("\n".join(plan_lines), encoding="utf-8", errors="surrogatepass")
        out = Path(folder) / "out"
        try:
            report = import_plan(plan, out)
        except PatchbayError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
        assert report.tasks >= 1
        assert_runbook_valid(out)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_importer(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        plan = Path(folder) / "plan.md"
        plan.write_bytes(data)
        try:
            import_plan(plan, Path(folder) / "out")
        except PatchbayError:
            return
        assert_runbook_valid(Path(folder) / "out")
