"""Ways a task run fails, set up on a fresh copy of the demo, shared by the runner tests and the
table-driven test that runs each one through the TUI, `patchbay run`, `--auto` and `--auto --parallel 2`.

Each kind edits real files only: the task's detail file, the runbook's templates and models, or the
project the answer is applied to.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

TASK = "add_type_hints"  # the demo's first AI task: READY from the start


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path} no longer holds {old!r}"
    path.write_text(text.replace(old, new, 1))


def over_budget(demo: Path) -> None:
    _edit(demo / f"tasks/{TASK}.yaml", "context_budget: 2000", "context_budget: 10")


def template_error(demo: Path) -> None:
    folder = demo / "prompt_templates"
    folder.mkdir(exist_ok=True)
    (folder / "broken.j2").write_text("Annotate {{ task.name \n")  # an unclosed expression
    _edit(demo / f"tasks/{TASK}.yaml", "prompt_template: unified_diff.j2", "prompt_template: broken.j2")


def server_down(demo: Path) -> None:
    with (demo / "patchbay.yaml").open("a") as file:
        file.write(
            f"  down:\n    backend: openai\n    base_url: http://127.0.0.1:{closed_port()}/v1\n"
            "    model: nobody-home\n    connect_timeout: 2\n"
        )
    _edit(
        demo / f"tasks/{TASK}.yaml",
        "  output_parser: unified_diff",
        "  output_parser: unified_diff\n  model: down",
    )


def apply_refused(demo: Path) -> None:
    """The file the answer edits no longer holds what the answer's hunks expect."""
    stats = demo / "project/textkit/stats.py"
    stats.write_text('"""Rewritten by hand."""\n\n\ndef total(values):\n    return sum(values)\n')
    subprocess.run(["git", "commit", "-qam", "rewrite stats"], cwd=demo / "project", check=True)


def validation_fails(demo: Path) -> None:
    _edit(
        demo / f"tasks/{TASK}.yaml",
        "last_run: null",
        'validation_command: python3 -c "raise SystemExit(3)"\nlast_run: null',
    )


def validation_edits_then_fails(demo: Path) -> None:
    """The validation command changes the applied file, then fails (issue 17, item 17)."""
    script = "open('textkit/stats.py', 'a').write('# touched by the check\\n'); raise SystemExit(4)"
    _edit(
        demo / f"tasks/{TASK}.yaml",
        "last_run: null",
        f'validation_command: python3 -c "{script}"\nlast_run: null',
    )


KINDS = {
    "over_budget": over_budget,
    "template_error": template_error,
    "server_down": server_down,
    "apply_refused": apply_refused,
    "validation_fails": validation_fails,
}


def slow_validation(demo: Path) -> None:
    """A validation command that says it started, then runs long enough to be cancelled."""
    script = "print('checking', flush=True); import time; time.sleep(60)"
    _edit(
        demo / f"tasks/{TASK}.yaml",
        "last_run: null",
        f'validation_command: python3 -c "{script}"\nlast_run: null',
    )
