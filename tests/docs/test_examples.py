"""Every shell and YAML example in README.md and docs/ runs or validates as the text says.

Each document gets a sandbox (a temporary folder with links to runbooks/ and to the virtual
environment); its examples run there in order, so a walk-through that writes files and
then runs commands is checked end to end. See doc_blocks.py for the info-string words.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tui.cli import parse

from .doc_blocks import DOCUMENTS, REPO, Block, blocks

SHOWN_ONLY = {"text", "jinja", "diff", "json", "console", "python", "markdown", "toml", "ini", ""}
YAML_ROLES = {"runbook", "detail", "config", "transcript", "theme"}
COMMAND_SECONDS = 180


def _environment(sandbox: Path) -> dict[str, str]:
    home = sandbox / ".home"
    (home / ".config").mkdir(parents=True, exist_ok=True)
    (sandbox / ".tmp").mkdir(exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_", "PATCHBAY", "XDG_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        TMPDIR=str(sandbox / ".tmp"),
        NO_COLOR="1",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Doc Example",
        GIT_AUTHOR_EMAIL="doc@example.invalid",
        GIT_COMMITTER_NAME="Doc Example",
        GIT_COMMITTER_EMAIL="doc@example.invalid",
    )
    return env


def _sandbox(tmp_path: Path) -> Path:
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    # the shipped runbooks themselves: Patchbay copies the demo before running anything on it, and
    # an example that wrote into them would be a bug in the documentation
    (sandbox / "runbooks").symlink_to(REPO / "runbooks", target_is_directory=True)
    (sandbox / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return sandbox


def _run(argv: list[str] | str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        stdin=subprocess.DEVNULL,
    )


def _patchbay(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "tui", *args], cwd, env)


# -- shell -------------------------------------------------------------------------------------------


def _check_shell(block: Block, sandbox: Path, env: dict[str, str]) -> str | None:
    """Run the example; its stdout, for a `text output` block that may follow."""
    if "norun" in block.words:
        _check_command_lines(block)
        return None
    if "gpu" in block.words:
        for path in re.findall(r"[\w./-]+\.py\b", block.text):
            assert (REPO / path).is_file(), f"{block.where}: {path} does not exist"
        return None
    script = "set -eo pipefail\n" + block.text
    result = _run(["bash", "-c", script], sandbox, env)
    expected = int(block.options.get("exit", "0"))
    assert result.returncode == expected, (
        f"{block.where}: exit {result.returncode}, expected {expected}\n"
        f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
    )
    return result.stdout


def _check_command_lines(block: Block) -> None:
    """Lines that open the TUI cannot run here; each must still be a command line Patchbay accepts."""
    targets = re.findall(r"^([\w.-]+):", (REPO / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    for line in block.text.splitlines():
        argv = shlex.split(line, comments=True)
        if not argv:
            continue
        if argv[0] == "make":
            assert set(argv[1:]) <= set(targets), f"{block.where}: no such make target in {line!r}"
            continue
        assert argv[0] in ("patchbay", ".venv/bin/patchbay"), f"{block.where}: not a patchbay line: {line!r}"
        try:
            parse(argv[1:])
        except SystemExit as exc:
            pytest.fail(f"{block.where}: patchbay does not accept {line!r} (exit {exc.code})")


# -- YAML and plans ----------------------------------------------------------------------------------


def _validate(folder: Path, env: dict[str, str], config: Path | None = None) -> str:
    args = ["validate", str(folder)]
    if config is not None:
        args += ["--config", str(config)]
    result = _patchbay(args, folder, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _check_yaml(block: Block, scratch: Path, env: dict[str, str]) -> None:
    roles = block.words & YAML_ROLES
    assert len(roles) == 1 or "file" in block.options, (
        f"{block.where}: a YAML example needs one of {sorted(YAML_ROLES)} or file=PATH"
    )
    if not roles:
        return
    role = next(iter(roles))
    folder = scratch / f"{block.line}-{role}"
    folder.mkdir(parents=True)
    data = yaml.safe_load(block.text)
    if role == "runbook":
        (folder / "runbook.yaml").write_text(block.text, encoding="utf-8")
        _expect_clean(block, _validate(folder, env, _empty_settings(folder)))
    elif role == "detail":
        (folder / "tasks").mkdir()
        (folder / "tasks" / f"{data['id']}.yaml").write_text(block.text, encoding="utf-8")
        entry = {"id": data["id"], "name": data["name"], "task_detail_file": f"tasks/{data['id']}.yaml"}
        (folder / "runbook.yaml").write_text(yaml.safe_dump({"tasks": [entry]}), encoding="utf-8")
        _expect_clean(block, _validate(folder, env, _empty_settings(folder)))
    elif role == "config":
        settings = folder / "settings.yaml"
        settings.write_text(block.text, encoding="utf-8")
        (folder / "runbook.yaml").write_text("tasks: [{id: a, name: A}]\n", encoding="utf-8")
        _validate(folder, env, settings)
        _check_keymap(block, data.get("keymap") or {})
    elif role == "transcript":
        from tui.engine.replay import load_transcript

        path = folder / "transcript.yaml"
        path.write_text(block.text, encoding="utf-8")
        assert load_transcript(path).answers, f"{block.where}: a transcript with no answers"
    elif role == "theme":
        from tui.app.themes import load_theme_file

        path = folder / "theme.yaml"
        path.write_text(block.text, encoding="utf-8")
        load_theme_file(path)


def _empty_settings(folder: Path) -> Path:
    path = folder.parent / f"{folder.name}-settings.yaml"
    path.write_text("", encoding="utf-8")
    return path


def _expect_clean(block: Block, printed: str) -> None:
    assert printed.rstrip().endswith(" 0 errors, 0 warnings"), f"{block.where}:\n{printed}"


def binding_ids() -> set[str]:
    """Every `id=` a Binding in tui/app carries (the names a keymap uses)."""
    ids: set[str] = set()
    for source in (REPO / "tui" / "app").rglob("*.py"):
        ids.update(re.findall(r"\bid=\"([\w.-]+)\"", source.read_text(encoding="utf-8")))
    from tui.app.screens.main import MainScreen  # its ids are built from the action names

    ids.update(binding.id for binding in MainScreen.BINDINGS if binding.id)
    return ids


def _check_keymap(block: Block, keymap: dict[str, str]) -> None:
    unknown = set(keymap) - binding_ids()
    assert not unknown, f"{block.where}: the keymap names bindings that do not exist: {sorted(unknown)}"


def _check_plan(block: Block, scratch: Path, env: dict[str, str]) -> None:
    folder = scratch / f"{block.line}-plan"
    folder.mkdir(parents=True)
    (folder / "plan.md").write_text(block.text, encoding="utf-8")
    result = _patchbay(["import", "plan.md", "-o", "runbook"], folder, env)
    assert result.returncode == 0, f"{block.where}: {result.stderr}"
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == int(block.options.get("warnings", "0")), f"{block.where}: {result.stderr}"
    _expect_clean(block, _validate(folder / "runbook", env, _empty_settings(folder)))


# -- the tests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document", DOCUMENTS, ids=lambda path: path.name if path.parent == REPO else f"docs/{path.name}"
)
def test_every_example_of_the_document_holds(document: Path, tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path)
    scratch = tmp_path / "scratch"
    env = _environment(sandbox)
    printed: str | None = None  # the last shell example's output
    for block in blocks(document):
        if "output" in block.words:
            assert printed is not None, f"{block.where}: an output block must follow a shell example"
            assert block.text.strip() == printed.strip(), f"{block.where}: the example prints\n{printed}"
            continue
        if "file" in block.options:
            target = sandbox / block.options["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
        if block.language == "sh":
            printed = _check_shell(block, sandbox, env)
        elif block.language == "yaml":
            _check_yaml(block, scratch, env)
        elif block.language == "markdown" and "plan" in block.words:
            _check_plan(block, scratch, env)
        else:
            assert block.language in SHOWN_ONLY, f"{block.where}: unknown example kind {block.language!r}"


def test_the_documents_are_found() -> None:
    names = {path.name for path in DOCUMENTS}
    assert {"README.md", "first-runbook.md", "runbook-reference.md"} <= names
