"""The layers of STYLE.md as a test that fails (like Harlequin's import-linter contracts): only
tui/app imports Textual; nothing below the app imports it; the headless commands reach no Textual
at import; and no two modules of tui import each other, directly or round a loop.

Read statically from the source (every import statement, at module level or inside a function),
so a lazy import cannot hide a cycle. Imports under `if TYPE_CHECKING:` never run and are left out.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tui"
HEADLESS = ("validate", "status", "next", "reset", "apply", "run", "import_plan")
# The TUI's entry points: they open the app, so they may import it (lazily, when they run).
OPENS_THE_APP = {"tui.commands.open", "tui.commands.demo"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@cache
def imports(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """(imported at module level, imported anywhere) as full dotted names, TYPE_CHECKING left out."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top: set[str] = set()
    anywhere: set[str] = set()

    def visit(node: ast.AST, at_top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking_only(child):
                for other in child.orelse:
                    visit(other, at_top)
                continue
            found: list[str] = []
            if isinstance(child, ast.Import):
                found = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                found = [base] + [f"{base}.{alias.name}" for alias in child.names]
            anywhere.update(found)
            if at_top:
                top.update(found)
            nested = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, at_top and not nested)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return frozenset(top), frozenset(anywhere)


def internal(names: frozenset[str], own: str) -> set[str]:
    return {name for name in names if name in MODULES and name != own}


def imports_textual(names: frozenset[str]) -> bool:
    return any(name == "textual" or name.startswith("textual.") for name in names)


def test_only_the_app_imports_textual():
    offenders = [
        name for name in MODULES if not name.startswith("tui.app") and imports_textual(imports(name)[1])
    ]
    assert offenders == []


def test_nothing_below_the_app_imports_it():
    offenders = sorted(
        f"{name} -> {target}"
        for name in MODULES
        if not name.startswith("tui.app") and name not in OPENS_THE_APP
        for target in imports(name)[1]
        if target == "tui.app" or target.startswith("tui.app.")
    )
    assert offenders == []


def test_the_core_never_imports_commands_or_the_cli():
    core = [n for n in MODULES if not n.startswith(("tui.app", "tui.commands", "tui.cli", "tui.__main__"))]
    offenders = sorted(
        f"{name} -> {target}"
        for name in core
        for target in imports(name)[1]
        if target.startswith("tui.commands") or target == "tui.cli"
    )
    assert offenders == []


def test_headless_commands_reach_no_textual_when_imported():
    for command in HEADLESS:
        start = f"tui.commands.{command}"
        seen: set[str] = set()
        stack = [start, "tui.cli"]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            top, anywhere = imports(name)
            # the command's own lazy imports run when it runs; elsewhere only module level counts
            reached = anywhere if name == start else top
            assert not imports_textual(reached), f"{start} reaches Textual through {name}"
            assert not any(t.startswith("tui.app") for t in reached), (
                f"{start} reaches tui.app through {name}"
            )
            stack.extend(internal(reached, name))


def test_no_import_cycles():
    graph = {name: internal(imports(name)[1], name) for name in MODULES}
    # Tarjan's strongly connected components, iteratively.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    assert cycles == []


def test_the_run_phase_module_imports_only_the_standard_library():
    # The TUI's first frame names Phase and Action from here without loading the runner or what
    # it uses (pydantic, templates, git); the runner's own modules (tui.run_*) are not so bound.
    outside = {name.split(".")[0] for name in imports("tui.run_phase")[1]} - set(sys.stdlib_module_names)
    assert outside == set()
