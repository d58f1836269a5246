"""The change set a model answer turns into: files, hunks, where each hunk landed, and the edit
it makes. Everything the review screen and `patchbay apply` need, as typed objects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from tui.patch.text_file import FileText

LineKind = Literal["context", "removed", "added"]
PlacementStatus = Literal["exact", "offset", "fuzzy", "failed"]
FileKind = Literal["modify", "create", "delete"]


@dataclass(frozen=True)
class HunkLine:
    kind: LineKind
    text: str


@dataclass(frozen=True)
class Placement:
    """Where a hunk landed (or why it did not). Line numbers are 1-based, in the current file."""

    status: PlacementStatus
    line: int | None = None  # first line of the region the hunk matched
    offset: int | None = None  # placed line minus the line the hunk header stated
    score: float | None = None  # similarity 0..1 of the hunk's old side to the region (fuzzy)
    reason: str | None = None  # why it failed, or what a fuzzy placement tolerated
    closest: tuple[int, int] | None = None  # failed: the most similar region, first and last line
    closest_score: float | None = None  # None: the region is where it said it goes, not a match
    closest_note: str | None = None  # how a region not found by similarity was chosen

    @property
    def placed(self) -> bool:
        return self.status != "failed"

    def describe(self) -> str:
        """`exact`, `offset +3`, `fuzzy 0.91 (indentation +4)`, `failed: reason (closest: ...)`."""
        if self.status == "exact":
            return "exact"
        if self.status == "offset":
            return f"offset {self.offset:+d}"
        if self.status == "fuzzy":
            text = f"fuzzy {self.score:.2f}"
            return f"{text} ({self.reason})" if self.reason else text
        text = f"failed: {self.reason}"
        if self.closest is not None:
            first, last = self.closest
            how = f"{round(self.closest_score * 100)}%" if self.closest_score is not None else None
            detail = ", ".join(part for part in (how, self.closest_note) if part)
            lines = f"line {first}" if first == last else f"lines {first}-{last}"
            text += f" (closest: {lines}{', ' if detail else ''}{detail})"
        return text


@dataclass(frozen=True)
class LineEdit:
    """Replace old lines [start, end) (0-based) with `new`: (text, ending) pairs.

    An ending of None means "the file's usual line ending" (lines the model wrote); lines kept
    from the file inside the region carry their own. `final_newline` is the hunk's explicit
    wish for the end of the file (from "\\ No newline at end of file"), None when it has none.
    """

    start: int
    end: int
    new: tuple[tuple[str, str | None], ...]
    added: int
    removed: int
    final_newline: bool | None = None


@dataclass
class Hunk:
    id: str  # "<path>#<n>", n counted from 1 in the file
    index: int
    header: str  # the @@ line as written ("" for a change computed from whole-file output)
    stated_line: int | None  # the old-side start line the header stated, if any
    lines: tuple[HunkLine, ...]
    placement: Placement
    edit: LineEdit | None = None  # None when the placement failed

    @property
    def added(self) -> int:
        return self.edit.added if self.edit else sum(1 for line in self.lines if line.kind == "added")

    @property
    def removed(self) -> int:
        return self.edit.removed if self.edit else sum(1 for line in self.lines if line.kind == "removed")


FORMAT_NAMES = {
    "unified_diff": "unified diff",
    "search_replace": "SEARCH/REPLACE",
    "apply_patch": "apply_patch",
    "whole_file": "whole file",
}


@dataclass
class FileChange:
    """One file of a change set. `old` is None when the file does not exist yet."""

    path: str  # POSIX, relative to the working tree
    kind: FileKind
    old: FileText | None
    old_bytes: bytes | None
    hunks: list[Hunk] = field(default_factory=list)
    error: str | None = None  # a file-level refusal (unsafe path, binary, missing file ...)
    note: str | None = None  # e.g. how the path was resolved
    outside_scope: bool = False  # not among files_to_modify (needs confirmation)
    renamed_from: str | None = None  # a git rename: `path` is the new name, this the old one
    old_mode: int | None = None  # permission bits on disk (of renamed_from for a rename)
    new_mode: int | None = None  # permission bits the diff asks for; None keeps old_mode
    edit_format: str | None = None  # the format the answer wrote it in (search_replace, ...)

    @property
    def status(self) -> Literal["ok", "partial", "failed"]:
        if self.error is not None or not (self.hunks or self.changes_metadata):
            return "failed"
        placed = sum(1 for hunk in self.hunks if hunk.placement.placed)
        if placed == len(self.hunks):
            return "ok"
        return "partial" if placed else "failed"

    @property
    def added(self) -> int:
        """Lines the change adds (as placed; as written for hunks that failed)."""
        return sum(hunk.added for hunk in self.hunks)

    @property
    def removed(self) -> int:
        return sum(hunk.removed for hunk in self.hunks)

    @property
    def unit(self) -> str:
        """What one change of this file is called, by the format the answer wrote it in: a diff has
        hunks, SEARCH/REPLACE and apply_patch answers blocks, a whole new file its changed regions."""
        formats = set((self.edit_format or "unified_diff").split("+"))
        if formats == {"unified_diff"}:
            return "hunk"
        return "change" if formats == {"whole_file"} else "block"

    @property
    def format_name(self) -> str:
        """The answer's format for this file in words (`SEARCH/REPLACE`), "" when not known."""
        names = (self.edit_format or "").split("+")
        return " + ".join(FORMAT_NAMES.get(name, name) for name in names if name)

    @property
    def changes_metadata(self) -> bool:
        """A rename or a permission change, which applies with the file (even with no hunk)."""
        mode_changes = self.new_mode is not None and self.new_mode != self.old_mode
        return self.renamed_from is not None or mode_changes

    @property
    def metadata_note(self) -> str | None:
        """`renamed from x.py; now executable`, or None."""
        parts = [f"renamed from {self.renamed_from}"] if self.renamed_from else []
        if self.new_mode is not None and self.new_mode != self.old_mode:
            executable = bool(self.new_mode & 0o111)
            was = bool((self.old_mode or 0) & 0o111)
            if executable != was or self.old_mode is None:
                parts.append("executable" if executable else "not executable")
            else:
                parts.append(f"mode {self.new_mode:o}")
        return "; ".join(parts) or None

    @property
    def paths_written(self) -> list[str]:
        return [self.renamed_from, self.path] if self.renamed_from else [self.path]

    @property
    def hunk_ids(self) -> list[str]:
        return [hunk.id for hunk in self.hunks]

    @property
    def old_text(self) -> str:
        return self.old.text if self.old is not None else ""

    def placed_ids(self) -> set[str]:
        return {hunk.id for hunk in self.hunks if hunk.placement.placed}

    def result_for(self, accepted: Iterable[str]) -> FileText | None:
        """The file after applying the accepted hunks (placed ones only); None = deleted."""
        from tui.patch.assemble import assemble

        chosen = set(accepted)
        edits = [hunk.edit for hunk in self.hunks if hunk.id in chosen and hunk.edit is not None]
        if self.kind == "delete" and edits:
            return None
        base = self.old if self.old is not None else FileText((), ())
        return assemble(base, edits)

    @property
    def new_text(self) -> str | None:
        """The proposed file with every placed hunk applied (None when the file is deleted)."""
        result = self.result_for(self.placed_ids())
        return None if result is None else result.text

    def new_bytes(self, accepted: Iterable[str] | None = None) -> bytes | None:
        result = self.result_for(self.placed_ids() if accepted is None else accepted)
        return None if result is None else result.to_bytes()


@dataclass
class ChangeSet:
    files: list[FileChange]
    parser: str = "unified_diff"
    # SEARCH/REPLACE blocks whose result is in the files already: reported, not applied again.
    already_applied: list[str] = field(default_factory=list)

    @property
    def hunks(self) -> list[Hunk]:
        return [hunk for change in self.files for hunk in change.hunks]

    @property
    def all_placed(self) -> bool:
        return bool(self.files) and all(change.status == "ok" for change in self.files)

    def file(self, path: str) -> FileChange | None:
        return next((change for change in self.files if change.path == path), None)
