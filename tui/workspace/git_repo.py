"""The working tree's git repository: branch, the user's own edits, commits of exactly our files.

Commits are built with plumbing on a temporary index (read-tree HEAD, add our paths, write-tree,
commit-tree, update-ref), so whatever else the user has staged or modified stays exactly as it
was, no hook can rewrite or block them, and the user's git config is never touched.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import git

from tui.errors import PatchbayError
from tui.workspace.paths import resolve_in_tree

CHANGE_TRAILER = "Patchbay-Change"
MODEL_TRAILER = "Model"
PROMPT_TRAILER = "Prompt-SHA256"
FALLBACK_NAME = "Patchbay"
FALLBACK_EMAIL = "patchbay@localhost"

_TRAILER_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
# Paths from the journal are literal names: never let git read `:(glob)x` or `*` as magic.
_LITERAL = {"GIT_LITERAL_PATHSPECS": "1"}


class GitWorkspace:
    """A working tree inside a git repository (the tree may be a sub-folder of the repository)."""

    def __init__(self, repo: git.Repo, workdir: Path) -> None:
        self.repo = repo
        self.workdir = Path(os.path.realpath(workdir))
        self.root = Path(os.path.realpath(repo.working_tree_dir))

    @classmethod
    def find(cls, workdir: Path) -> GitWorkspace | None:
        """The repository holding `workdir`, or None when there is none (or only a bare one)."""
        try:
            repo = git.Repo(workdir, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            return None
        if repo.bare or repo.working_tree_dir is None:
            return None
        return cls(repo, workdir)

    def branch(self) -> str:
        """The checked-out branch name, or `detached at <short sha>`."""
        try:
            return self.repo.active_branch.name
        except TypeError:
            return f"detached at {self.repo.head.commit.hexsha[:7]}"

    def head_sha(self) -> str | None:
        """The commit HEAD points at, None on a branch with no commits yet."""
        try:
            return self.repo.head.commit.hexsha
        except ValueError:
            return None

    def dirty_files(self, paths: Iterable[str]) -> list[str]:
        """Those of `paths` (relative to the workdir) holding uncommitted work: staged, modified or untracked."""
        by_root = {self._root_relative(path): path for path in paths}
        if not by_root:
            return []
        out = self._git(
            "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", *by_root
        )
        dirty = {item[3:] for item in out.split("\0") if len(item) > 3}
        return [original for root_path, original in by_root.items() if root_path in dirty]

    def commit(self, paths: Iterable[str], message: str, trailers: Mapping[str, str]) -> str:
        """Commit the working-tree content of exactly `paths` on top of HEAD; returns the new sha.

        Untracked paths matched by .gitignore are left out. Raises PatchbayError when nothing
        would change or HEAD moved meanwhile.
        """
        full_message = compose_message(message, trailers)
        if (Path(self.repo.git_dir) / "index.lock").exists():
            # Checked first so we never leave a commit whose index update then fails.
            raise PatchbayError(
                "Another git command is running in this repository (index.lock exists); try again."
            )
        wanted = list(dict.fromkeys(self._root_relative(path) for path in paths))
        head = self.head_sha()
        with tempfile.TemporaryDirectory(prefix="patchbay-index-") as folder:
            env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
            if head is None:
                self._git("read-tree", "--empty", env=env)
            else:
                self._git("read-tree", head, env=env)
            tracked = set(filter(None, self._git("ls-files", "-z", "--", *wanted, env=env).split("\0")))
            present = [path for path in wanted if path in tracked or os.path.lexists(self.root / path)]
            ignored = set(self._check_ignore([path for path in present if path not in tracked], env))
            to_add = [path for path in present if path not in ignored]
            if to_add:
                self._git("add", "-A", "--", *to_add, env=env)
            tree = self._git("write-tree", env=env).strip()
        unchanged = not to_add if head is None else tree == self.repo.commit(head).tree.hexsha
        if unchanged:
            raise PatchbayError("Nothing to commit: the files match the last commit.")
        parents = [] if head is None else ["-p", head]
        sha = self._git("commit-tree", tree, *parents, "-m", full_message, env=self._identity_env()).strip()
        subject = full_message.splitlines()[0]
        self._git("update-ref", "-m", f"commit (patchbay): {subject}", "HEAD", sha, head or "")
        # The real index now agrees with the new commit for our paths; all other entries are untouched.
        self._git("reset", "-q", sha, "--", *to_add)
        return sha

    def undo_commit_blocker(self, sha: str) -> str | None:
        """Why undo_commit(sha) would refuse, as a sentence; None when it may go ahead."""
        try:
            commit = self.repo.commit(sha)
        except (git.BadName, ValueError):
            return f"{sha} is not a commit in this repository."
        short = commit.hexsha[:7]
        if self.head_sha() != commit.hexsha:
            return f"Commit {short} is no longer the latest commit; undoing it would drop the work after it."
        if len(commit.parents) > 1:
            return f"Commit {short} is a merge commit, which Patchbay never makes."
        if not has_change_trailer(commit.message):
            return f"Commit {short} was not made by Patchbay."
        remotes = self._git(
            "for-each-ref", "--contains", commit.hexsha, "--format=%(refname:short)", "refs/remotes"
        )
        if remotes.strip():
            where = remotes.split()[0]
            return f"Commit {short} is already pushed ({where}); undoing it would rewrite shared history."
        staged = self._staged_since(commit)
        if staged:
            return f"You staged changes to {', '.join(staged[:3])} after commit {short}; unstage them first."
        return None

    def undo_commit(self, sha: str) -> None:
        """Drop Patchbay's commit `sha` from the branch (HEAD moves to its parent).

        The index entries of the commit's files go back to the parent; the working tree is not
        touched (journal.undo restores the files). Refuses with a sentence when not allowed.
        """
        reason = self.undo_commit_blocker(sha)
        if reason is not None:
            raise PatchbayError(reason)
        commit = self.repo.commit(sha)
        paths = self._changed_paths(commit)
        if commit.parents:
            parent = commit.parents[0].hexsha
            self._git("update-ref", "-m", "reset (patchbay undo)", "HEAD", parent, commit.hexsha)
            self._git("reset", "-q", parent, "--", *paths)
        else:
            self._git("update-ref", "-d", "HEAD", commit.hexsha)
            self._git("rm", "--cached", "-q", "--ignore-unmatch", "--", *paths)

    def start_branch(self, name: str) -> None:
        """Create branch `name` at HEAD and switch to it, keeping the working tree and index."""
        try:
            self.repo.git.check_ref_format("--branch", name)
        except git.GitCommandError:
            raise PatchbayError(f"{name!r} is not a valid git branch name.") from None
        if name in [head.name for head in self.repo.heads]:
            raise PatchbayError(f"The branch {name} already exists.")
        self._git("switch", "-c", name)

    def _staged_since(self, commit: git.Commit) -> list[str]:
        paths = self._changed_paths(commit)
        if not paths:
            return []
        out = self._git("diff", "--cached", "--name-only", "-z", commit.hexsha, "--", *paths)
        return [path for path in out.split("\0") if path]

    def _changed_paths(self, commit: git.Commit) -> list[str]:
        out = self._git("diff-tree", "--root", "--no-commit-id", "--name-only", "-r", "-z", commit.hexsha)
        return [path for path in out.split("\0") if path]

    def _check_ignore(self, paths: list[str], env: Mapping[str, str]) -> list[str]:
        if not paths:
            return []
        # NUL-separated on stdin: the only form in which any file name comes back unquoted.
        done = subprocess.run(
            ["git", "check-ignore", "--stdin", "-z"],
            cwd=self.root,
            # check-ignore takes plain paths and rejects the literal-pathspec switch.
            env={
                key: value for key, value in {**os.environ, **env}.items() if key != "GIT_LITERAL_PATHSPECS"
            },
            input="\0".join(paths).encode() + b"\0",
            capture_output=True,
        )
        if done.returncode not in (0, 1):  # 1: none of them is ignored
            detail = done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"
            raise PatchbayError(f"git check-ignore failed: {detail.splitlines()[-1]}")
        return [path for path in done.stdout.decode().split("\0") if path]

    def _identity_env(self) -> dict[str, str]:
        """Fallback author/committer only for what the user has not configured, only for our commit."""
        env: dict[str, str] = {}
        if not (
            os.environ.get("GIT_AUTHOR_NAME") or self._config("user.name") or self._config("author.name")
        ):
            env["GIT_AUTHOR_NAME"] = FALLBACK_NAME
        if not (
            os.environ.get("GIT_COMMITTER_NAME")
            or self._config("user.name")
            or self._config("committer.name")
        ):
            env["GIT_COMMITTER_NAME"] = FALLBACK_NAME
        user_email = self._config("user.email") or os.environ.get("EMAIL")
        if not (os.environ.get("GIT_AUTHOR_EMAIL") or user_email or self._config("author.email")):
            env["GIT_AUTHOR_EMAIL"] = FALLBACK_EMAIL
        if not (os.environ.get("GIT_COMMITTER_EMAIL") or user_email or self._config("committer.email")):
            env["GIT_COMMITTER_EMAIL"] = FALLBACK_EMAIL
        return env

    def _config(self, key: str) -> str | None:
        try:
            return self.repo.git.config("--get", key).strip() or None
        except git.GitCommandError:
            return None

    def _root_relative(self, path: str) -> str:
        return resolve_in_tree(self.workdir, path).relative_to(self.root).as_posix()

    def _git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        try:
            return self.repo.git.execute(
                ["git", *args],
                env={**_LITERAL, **(env or {})},
                strip_newline_in_stdout=False,
                with_extended_output=False,
            )
        except git.GitCommandError as error:
            raise PatchbayError(_git_failure(error)) from None


def conventional_message(task_id: str, task_name: str) -> str:
    """The subject line Patchbay commits with: `feat(<task id>): <task name>`."""
    return f"feat({task_id}): {' '.join(task_name.split())}"


def compose_message(message: str, trailers: Mapping[str, str]) -> str:
    """`message`, a blank line, then one `Key: value` line per trailer."""
    lines = []
    for key, value in trailers.items():
        if not _TRAILER_KEY.match(key):
            raise PatchbayError(f"{key!r} cannot be a commit trailer name.")
        if "\n" in value or "\r" in value:
            raise PatchbayError(f"The {key} trailer value must be a single line.")
        lines.append(f"{key}: {value}")
    body = message.strip()
    if not body:
        raise PatchbayError("The commit message is empty.")
    return body + ("\n\n" + "\n".join(lines) if lines else "") + "\n"


def has_change_trailer(message: str | bytes) -> bool:
    """True when the message's last paragraph carries a Patchbay-Change trailer."""
    if isinstance(message, bytes):
        message = message.decode("utf-8", errors="replace")
    last_paragraph = message.strip().split("\n\n")[-1]
    return any(line.startswith(f"{CHANGE_TRAILER}: ") for line in last_paragraph.splitlines())


def _git_failure(error: git.GitCommandError) -> str:
    stderr = str(error.stderr or "").strip().removeprefix("stderr:").strip().strip("'").strip()
    detail = stderr.splitlines()[-1] if stderr else f"exit code {error.status}"
    command = " ".join(str(part) for part in error.command[:2]) if error.command else "git"
    return f"{command} failed: {detail}"
