"""Which file a diff is for: its headers, else a path named just before it, else the task's one
file to modify. A header path that does not exist may still name an existing file by a/ b/
prefix or by its base name (models often drop or invent leading folders)."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from tui.patch.unified_parse import FilePatch

_SKIP_DIRS = {".git", ".patchbay", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".tox"}
_WALK_LIMIT = 20_000


def _normal(path: str) -> str:
    text = path.replace("\\", "/") if "/" not in path else path
    while text.startswith("./"):
        text = text[2:]
    return text


class TargetResolver:
    def __init__(self, workdir: Path, files_to_modify: list[str] | None, output_artifact: str | None) -> None:
        self.workdir = Path(workdir)
        self.files_to_modify = [_normal(path) for path in files_to_modify or []]
        self.output_artifact = _normal(output_artifact) if output_artifact else None
        self._tree: list[str] | None = None

    def _exists(self, rel: str) -> bool:
        if PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
            return False
        try:
            return (self.workdir / rel).is_file()
        except OSError:  # a name too long, a folder we may not read: reading it will say so
            return False

    def _tree_files(self) -> list[str]:
        if self._tree is None:
            files: list[str] = []
            for folder, dirs, names in os.walk(self.workdir):
                dirs[:] = sorted(name for name in dirs if name not in _SKIP_DIRS)
                base = Path(folder).relative_to(self.workdir)
                files.extend((base / name).as_posix() for name in sorted(names))
                if len(files) > _WALK_LIMIT:
                    break
            self._tree = files
        return self._tree

    def outside_scope(self, path: str) -> bool:
        return bool(self.files_to_modify) and _normal(path) not in self.files_to_modify

    def resolve(self, patch: FilePatch, hints: list[str]) -> tuple[str | None, str | None]:
        """(path, note): the target, and a sentence when it was not taken literally."""
        named = patch.target
        if named is not None:
            named = _normal(named)
            return self._resolve_named(named, patch)
        for hint in hints:
            if self._exists(_normal(hint)):
                return _normal(hint), None
        for hint in hints:
            if _normal(hint) in self.files_to_modify:
                return _normal(hint), None
        if len(self.files_to_modify) == 1:
            return self.files_to_modify[0], None
        if self.output_artifact:
            return self.output_artifact, None
        if hints:
            found = self._by_basename(_normal(hints[0]))
            if found:
                return found, f"the answer named {hints[0]}; taken as {found}"
            return _normal(hints[0]), None
        return None, None

    def _resolve_named(self, named: str, patch: FilePatch) -> tuple[str, str | None]:
        parts = PurePosixPath(named).parts
        suspect = PurePosixPath(named).is_absolute() or ".." in parts or ".git" in parts
        # Never steer an unsafe name to a harmless look-alike: it must be refused as written.
        # A rename names its new file, which does not exist yet: take it as written.
        if suspect or self._exists(named) or patch.creates or patch.renames:
            return named, None
        for prefix in ("a/", "b/"):
            if named.startswith(prefix) and self._exists(named[len(prefix) :]):
                return named[len(prefix) :], None
        if not _only_additions(patch):
            found = self._by_basename(named)
            if found:
                return found, f"the diff names {named}; taken as {found}"
        return named, None

    def _by_basename(self, named: str) -> str | None:
        """The one file among files_to_modify, else in the tree, whose path ends like `named`."""
        name = PurePosixPath(named).name
        if not name:
            return None
        for pool in (self.files_to_modify, None):
            candidates = pool if pool is not None else self._tree_files()
            matches = [
                path
                for path in candidates
                if (path.endswith("/" + named) or path == named or PurePosixPath(path).name == name)
                and self._exists(path)
            ]
            suffix = [path for path in matches if path.endswith("/" + named)]
            if len(suffix) == 1:
                return suffix[0]
            if len(matches) == 1:
                return matches[0]
        return None


def _only_additions(patch: FilePatch) -> bool:
    return all(line.kind == "added" for hunk in patch.hunks for line in hunk.lines)
