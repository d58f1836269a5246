"""Loading a runbook folder into models, collecting every problem with its file, line and column."""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from yaml.nodes import MappingNode, Node, SequenceNode

from tui.errors import Location
from tui.runbook.checks import check_tasks
from tui.runbook.file_index import remember_load
from tui.runbook.limits import too_many_tasks
from tui.runbook.node_reader import NodeReader, describe
from tui.runbook.problems import Problem, ProblemLog, RunbookInvalid
from tui.runbook.task_fields import Written, read_defaults, read_task_mapping
from tui.runbook.templates import resolve_template
from tui.runbook.yaml_source import compose_bytes, forget_tags, read_yaml_file

if TYPE_CHECKING:
    from tui.runbook.models import Runbook

RUNBOOK_FILE = "runbook.yaml"
_TOP_KEYS = ("name", "description", "workdir", "defaults", "tasks")


@dataclass
class TaskDraft:
    """One task as read, before the runbook-wide checks: values plus where each was written."""

    entry: MappingNode
    reader: NodeReader
    fields: dict[str, Written]
    ai: dict[str, Written]
    detail_path: Path | None = None
    detail_status: Written | None = None

    @property
    def id(self) -> str | None:
        written = self.fields.get("id")
        return written.value if written else None

    def depends_on(self) -> list[tuple[str, Any]]:
        written = self.fields.get("depends_on")
        return written.value if written else []


@dataclass
class RunbookReport:
    """Everything `validate` says about a runbook; `runbook` is None when there are errors (or when
    it was only checked)."""

    path: Path
    runbook: Runbook | None
    task_count: int
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Checked without models (`build` False) and without errors: a few facts about each task.
    stored: dict[str, StoredTask] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredTask:
    """What a check knows of a task without making its model: enough for `patchbay reset`.

    Small on purpose: keeping the drafts (and through them every composed node) alive after a
    check made the cycle collector walk millions of objects.
    """

    id: str
    status: str  # as stored: the runbook entry's over the detail file's, PENDING if neither
    detail_file: Path | None
    detail_writes_status: bool


Indexes = Literal["all", "runbook", "none"]


def load_runbook(
    path: Path | str, *, known_models: set[str] | None = None, indexes: Indexes = "all"
) -> Runbook:
    """The runbook at `path` (a runbook.yaml or a folder holding one); RunbookInvalid if it has errors.

    `indexes`: which files to keep an index of for the careful writer's writes to come (see
    tui.runbook.file_index): runbook.yaml and every detail file, runbook.yaml only, or none.
    """
    report = check_runbook(path, known_models=known_models, indexes=indexes)
    if report.runbook is None:
        raise RunbookInvalid(report.errors, report.warnings)
    return report.runbook


def check_runbook(
    path: Path | str,
    *,
    known_models: set[str] | None = None,
    indexes: Indexes = "none",
    build: bool = True,
) -> RunbookReport:
    """Read and check a runbook, collecting all errors and warnings (RunbookInvalid only if there is no file).

    `build` False: only check (the report's runbook is None); no models are made, and no pydantic
    is imported for them.
    """
    runbook_file = runbook_file_for(Path(path))
    log = ProblemLog()
    # Loading makes hundreds of thousands of long-lived, acyclic objects (nodes, marks, models);
    # letting the cycle collector rescan them over and over costs a third of the load.
    collecting = gc.isenabled()
    gc.disable()
    try:
        remember = partial(remember_load, runbook_file) if indexes != "none" else None
        top = read_yaml_file(runbook_file, log, remember)
        if top is None:
            return RunbookReport(runbook_file, None, 0, log.errors, log.warnings)
        return _RunbookReading(runbook_file, log, known_models, indexes == "all", build).read(top)
    finally:
        forget_tags()
        if collecting:
            gc.enable()


def runbook_file_for(path: Path) -> Path:
    """The runbook.yaml that `path` names, or RunbookInvalid saying why there is none."""
    absolute = Path(os.path.abspath(path.expanduser()))
    if absolute.is_dir():
        candidate = absolute / RUNBOOK_FILE
        if candidate.is_file():
            return candidate
        inside = find_runbooks(absolute)
        hint = ""
        if inside:
            names = ", ".join(p.parent.name for p in inside[:5])
            hint = f"; its subfolders hold runbooks ({names}), pass one of them"
        raise RunbookInvalid([Problem(Location(absolute), f"this folder holds no {RUNBOOK_FILE}{hint}.")])
    if not absolute.exists():
        raise RunbookInvalid([Problem(Location(absolute), "there is no such file or folder.")])
    return absolute


def find_runbooks(path: Path | str) -> list[Path]:
    """The runbook.yaml files under `path`: itself, the one it holds, or those of its immediate subfolders."""
    folder = Path(path).expanduser()
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        return []
    if (folder / RUNBOOK_FILE).is_file():
        return [folder / RUNBOOK_FILE]
    try:
        children = sorted(folder.iterdir(), key=lambda child: child.name)
    except OSError:
        return []
    return [child / RUNBOOK_FILE for child in children if (child / RUNBOOK_FILE).is_file()]


def find_workdir(folder: Path) -> Path:
    """The root of the git repository holding `folder` (a `.git` folder or file), else `folder` itself."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


class _RunbookReading:
    """One pass over runbook.yaml and its detail files."""

    def __init__(
        self, path: Path, log: ProblemLog, known_models: set[str] | None, index_details: bool, build: bool
    ) -> None:
        self.path = path
        self.index_details = index_details
        self.build = build
        self.folder = path.parent
        self.folder_text = str(self.folder)  # joined as text: pathlib's parsing shows at 10,000 tasks
        self.log = log
        self.known_models = known_models
        self.reader = NodeReader(path, log)  # its table of shared texts serves the detail files too
        self.template_cache: dict[str, Path | None] = {}

    def read(self, top: Node) -> RunbookReport:
        reader = self.reader
        if not isinstance(top, MappingNode):
            reader.error(
                top, f"the top of {RUNBOOK_FILE} must be a mapping with a `tasks` list, not {describe(top)}."
            )
            return self._report(None, 0)
        values: dict[str, Node] = {}
        for key, key_node, value in reader.pairs(top):
            if key in _TOP_KEYS:
                values[key] = value
            else:
                reader.unknown_key(key_node, RUNBOOK_FILE, _TOP_KEYS)
        name = reader.text(values["name"], "name") if "name" in values else None
        description = reader.text(values["description"], "description") if "description" in values else None
        workdir = self._workdir(values.get("workdir"))
        defaults = read_defaults(reader, values["defaults"]) if "defaults" in values else {}
        tasks_node = values.get("tasks")
        if tasks_node is None:
            reader.error(top, f"{RUNBOOK_FILE} has no `tasks` list.")
            return self._report(None, 0)
        if not isinstance(tasks_node, SequenceNode):
            reader.error(tasks_node, f"`tasks` must be a list of task entries, not {describe(tasks_node)}.")
            return self._report(None, 0)
        refused = too_many_tasks(len(tasks_node.value))
        if refused is not None:
            reader.error(tasks_node, refused)
            return self._report(None, len(tasks_node.value))
        drafts = self._drafts(tasks_node.value)
        check_tasks(drafts, defaults, self.log, self._template, self.known_models)
        if self.log.errors:
            return self._report(None, len(tasks_node.value))
        if not self.build:
            report = self._report(None, len(tasks_node.value))
            report.stored = {draft.id: _stored(draft) for draft in drafts if draft.id is not None}
            return report
        from tui.runbook.build import build_runbook  # pydantic and the models: only to keep the runbook

        head = dict(
            path=self.path,
            folder=self.folder,
            name=name or self.folder.name,
            description=description,
            workdir=workdir,
        )
        runbook = build_runbook(head, defaults, drafts, self.log.warnings, self._template)
        return self._report(runbook, len(drafts))

    def _report(self, runbook: Runbook | None, count: int) -> RunbookReport:
        return RunbookReport(self.path, runbook, count, self.log.errors, self.log.warnings)

    def _template(self, name: str) -> Path | None:
        if name not in self.template_cache:
            self.template_cache[name] = resolve_template(self.folder, name)
        return self.template_cache[name]

    def _workdir(self, node: Node | None) -> Path:
        if node is None:
            return find_workdir(self.folder)
        text = self.reader.text(node, "workdir")
        if not text:
            return find_workdir(self.folder)
        workdir = Path(os.path.normpath(self.folder / Path(text).expanduser()))
        if not workdir.is_dir():
            self.reader.warning(node, f"the workdir {text} is not a folder (yet).")
        return workdir

    def _drafts(self, entries: list[Node]) -> list[TaskDraft]:
        detail_names = _listing(self.folder / "tasks")
        drafts = []
        for entry in entries:
            mapping = self.reader.mapping(entry, "each task entry")
            if mapping is None:
                continue
            fields = read_task_mapping(self.reader, mapping, "the task entry")
            ai = fields.pop("ai_details").value if "ai_details" in fields else {}
            draft = TaskDraft(mapping, self.reader, fields, ai)
            if "id" not in fields:
                if not any(key.value == "id" for key, _ in mapping.value):
                    self.reader.error(mapping, "this task entry has no `id`.")
                drafts.append(draft)
                continue
            detail = fields.pop("task_detail_file", None)
            if detail is not None:
                draft.detail_path = Path(os.path.normpath(os.path.join(self.folder_text, detail.value)))
                self._merge_detail(draft, detail)
            elif f"{draft.id}.yaml" in detail_names:
                draft.detail_path = Path(os.path.join(self.folder_text, "tasks", f"{draft.id}.yaml"))
                self._merge_detail(draft, None)
            if "name" not in draft.fields and "name" not in [key.value for key, _ in mapping.value]:
                self.reader.error(mapping, f"task `{draft.id}` has no `name`.")
            drafts.append(draft)
        return drafts

    def _merge_detail(self, draft: TaskDraft, reference: Written | None) -> None:
        path = draft.detail_path
        assert path is not None
        try:
            data = path.read_bytes()
        except OSError as exc:
            shown = reference.value if reference else path.name
            reason = (
                "does not exist" if isinstance(exc, FileNotFoundError) else f"cannot be read ({exc.strerror})"
            )
            if reference is not None:
                reference.reader.error(reference.node, f"the detail file {shown} {reason}.")
            else:
                self.log.error(Location(path), f"the detail file {reason}.")
            return
        # the detail file's index, made now from what is composed anyway, makes its first write fast
        remember = partial(remember_load, path) if self.index_details else None
        node = compose_bytes(path, data, self.log, remember)
        if node is None:
            return
        reader = NodeReader(path, self.log, self.reader.shared)
        if not isinstance(node, MappingNode):
            reader.error(
                node, f"a task detail file must be a mapping of keys and values, not {describe(node)}."
            )
            return
        detail = read_task_mapping(reader, node, "the task detail file")
        detail.pop("task_detail_file", None)
        own_id = detail.get("id")
        if own_id is not None and own_id.value != draft.id:
            entry = draft.fields["id"]
            reader.error(
                own_id.node,
                f"this detail file's id `{own_id.value}` differs from its runbook entry's id `{draft.id}` "
                f"({entry.location}).",
            )
        draft.detail_status = detail.get("status")
        detail_ai = detail.pop("ai_details").value if "ai_details" in detail else {}
        draft.ai = {**detail_ai, **draft.ai}
        # The runbook entry's values count over the detail file's, key by key.
        for key, written in detail.items():
            mine = draft.fields.get(key)
            if mine is None:
                draft.fields[key] = written
            elif key == "type" and mine.value != written.value:
                reader.warning(
                    written.node,
                    f"the detail file says type {written.value} but the runbook entry says {mine.value}; "
                    "the runbook's value counts.",
                )


def _stored(draft: TaskDraft) -> StoredTask:
    status = draft.fields.get("status")
    return StoredTask(
        draft.id or "",
        status.value if status is not None else "PENDING",
        draft.detail_path,
        draft.detail_status is not None,
    )


def _listing(folder: Path) -> frozenset[str]:
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return frozenset()
