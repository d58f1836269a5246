"""The plan as read from Markdown, before it becomes a runbook: tasks, references, notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tui.plural import counted


@dataclass(frozen=True)
class DependencyText:
    """A dependency as the plan wrote it (a table cell, a YAML value, an issue bullet) and where."""

    text: str
    line: int


@dataclass(frozen=True)
class Note:
    """Something the import skipped or doubts; `line` is the plan's line (1-based) when there is one."""

    line: int | None
    message: str


@dataclass(frozen=True)
class ContextRef:
    """A file the prompt should show: the whole file, or `lines` ("68-71") of it."""

    path: str
    lines: str | None = None


@dataclass
class PlanTask:
    """One task found in the plan. `depends_on` is filled by resolving `dependency_texts`."""

    id: str
    name: str
    line: int
    group: str | None = None
    prompt: str | None = None
    description: list[str] = field(default_factory=list)
    output_paths: list[str] = field(default_factory=list)
    validation_command: str | None = None
    context_budget: int | None = None
    context_files: list[ContextRef] = field(default_factory=list)
    review_points: list[str] = field(default_factory=list)
    dependency_texts: list[DependencyText] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    source: str = "table"  # "table" | "yaml" | "backlog": which shape of plan it came from
    # The type the plan wrote down (a Type column): "MANUAL" | "AI_ASSISTED" | "AUTOMATED_SCRIPT";
    # None: AI when there is a prompt, else MANUAL.
    kind: str | None = None
    script_command: str | None = None  # what an AUTOMATED_SCRIPT task runs

    @property
    def task_type(self) -> str:
        if self.kind is not None:
            return self.kind
        return "AI_ASSISTED" if self.prompt and self.prompt.strip() else "MANUAL"

    @property
    def is_ai(self) -> bool:
        return self.task_type == "AI_ASSISTED"

    def add_context_file(self, ref: ContextRef) -> None:
        """Add `ref` once; a file named with lines replaces the same file named whole."""
        if ref in self.context_files:
            return
        if ref.lines is None and any(known.path == ref.path for known in self.context_files):
            return
        if ref.lines is not None:
            self.context_files[:] = [
                known for known in self.context_files if not (known.path == ref.path and known.lines is None)
            ]
        self.context_files.append(ref)


@dataclass(frozen=True)
class GraphEdge:
    """`before -> after` as drawn in a dependency-graph code block (texts not yet resolved)."""

    before: str
    after: str
    line: int


@dataclass
class Plan:
    path: Path
    name: str
    tasks: list[PlanTask]
    wrapper: str | None = None
    graph_edges: list[GraphEdge] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    """What `import_plan` made; `notes` are the skipped or doubtful items, with plan lines."""

    plan: Path
    output: Path
    tasks: int
    groups: int
    dependencies: int
    ai_tasks: int
    manual_tasks: int
    has_wrapper: bool
    notes: tuple[Note, ...]
    script_tasks: int = 0

    def summary(self) -> str:
        return (
            f"imported {counted(self.tasks, 'task')} in {counted(self.groups, 'group')} with "
            f"{counted(self.dependencies, 'dependency')} into {self.output}"
        )

    def note_lines(self) -> list[str]:
        return [
            f"{self.plan}:{note.line}: {note.message}" if note.line else f"{self.plan}: {note.message}"
            for note in self.notes
        ]
