"""Property tests: whatever is in runbook.yaml, loading raises nothing but RunbookInvalid."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.runbook.loader import load_runbook
from tui.runbook.problems import RunbookInvalid

KEYS = st.sampled_from(
    [
        "id", "name", "status", "type", "tasks", "depends_on", "ai_details", "prompt_template", "defaults",
        "task_detail_file", "context_files", "lines", "path", "last_run", "issues", "script_details",
        "validation_command", "commit", "group", "input_context", "workdir", "<<", "model", "temperature",
    ]
) | st.text(max_size=8)  # fmt: skip
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
    | st.sampled_from(["DONE", "PENDING", "AI_ASSISTED", "MANUAL", "1.10", "tasks/a.yaml", "45-80", "*x", "&a"])
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)
RUNBOOKS = st.dictionaries(KEYS, VALUES, max_size=4) | st.fixed_dictionaries(
    {"tasks": st.lists(st.dictionaries(KEYS, VALUES, max_size=6), max_size=4)}
)


def load_text(data: bytes) -> None:
    folder = Path(tempfile.mkdtemp(prefix="patchbay-fuzz-"))
    try:
        (folder / "runbook.yaml").write_bytes(data)
        (folder / "tasks").mkdir()
        (folder / "tasks" / "a.yaml").write_bytes(data)
        try:
            load_runbook(folder)
        except RunbookInvalid as exc:
            assert exc.problems and str(exc)
    finally:
        shutil.rmtree(folder)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_loader(data):
    load_text(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RUNBOOKS)
def test_arbitrary_yaml_never_crashes_the_loader(document):
    load_text(yaml.safe_dump(document, allow_unicode=True).encode())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "tasks:",
                "\n",
                "  - ",
                "id: a",
                "name: b",
                "{",
                "}",
                "[",
                "]",
                ": ",
                "&x ",
                "*x",
                "<<: ",
                "!!int ",
                "!!binary ",
                "'",
                '"',
                "#",
                "---\n",
                "? ",
                ",",
                "\t",
            ]
        ),
        max_size=40,
    )
)
def test_yaml_shaped_fragments_never_crash_the_loader(parts):
    load_text("".join(parts).encode())
