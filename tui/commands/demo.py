"""`patchbay demo [--dir DIR] [--keep]`: copy the demo runbook and its project, make the project a git
repository, and open the TUI on it (or, with --no-tui, print its status). Without --dir the copy is
temporary: it is removed when the app exits, unless commits were made in it or --keep is given."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from tui.errors import PatchbayError
from tui.resources import shipped


def prepare_demo(target: Path | None) -> Path:
    """Copy the shipped demo into `target` (a new temporary folder when None); return the runbook folder."""
    source = shipped("runbooks/demo")
    if not (source / "runbook.yaml").is_file():
        raise PatchbayError(f"the demo runbook is missing from this installation ({source})")
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="patchbay-demo-"))
    target = target.expanduser().resolve()
    if target.exists() and any(target.iterdir()):
        raise PatchbayError(f"{target} is not empty; give --dir a new or empty folder")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "logs", "outputs")
    )
    _init_git(target / "project")
    return target


def is_shipped_demo(path: Path) -> bool:
    """True when `path` names the shipped demo runbook (its folder or its runbook.yaml)."""
    target = Path(path).expanduser().resolve()
    demo = shipped("runbooks/demo").resolve()
    return target in (demo, demo / "runbook.yaml")


def copy_if_shipped_demo(path: Path, say) -> Path:
    """The shipped demo is never worked on in place (its project lives inside Patchbay's own files):
    a fresh copy is made and used instead."""
    if not is_shipped_demo(path):
        return path
    folder = prepare_demo(None)
    say(f"the shipped demo is left untouched; working on a copy in {folder}")
    return folder


def _init_git(project: Path) -> None:
    import git  # gitpython; imported here so `patchbay validate` never pays for it

    repo = git.Repo.init(project, initial_branch="main")
    with repo.config_writer() as config:  # repository-local: the user's global identity is left alone
        if not _has_identity(repo):
            config.set_value("user", "name", "Patchbay Demo")
            config.set_value("user", "email", "demo@patchbay.invalid")
    repo.git.add(A=True)
    repo.git.commit(m="chore: textkit before the demo runbook", no_verify=True)


def _has_identity(repo) -> bool:
    try:
        return bool(repo.git.config("user.email"))
    except Exception:  # git exits 1 when the key is unset
        return False


def cleanup_demo(folder: Path, *, keep: bool, say=print) -> bool:
    """After the app exits: remove a temporary demo copy unless `keep` or the user made commits in
    it (their work is never thrown away). Says what happened; True when the copy was removed."""
    if keep:
        say(f"patchbay: the demo stays in {folder} (--keep)")
        return False
    made = commits_made(folder / "project")
    if made:
        say(f"patchbay: the demo stays in {folder}: {made} commit(s) were made in it")
        return False
    shutil.rmtree(folder, ignore_errors=True)
    say(f"patchbay: removed the temporary demo copy {folder} (nothing was committed; --keep keeps it)")
    return True


def commits_made(project: Path) -> int:
    """Commits on top of the one the demo starts with."""
    import git

    try:
        return max(0, sum(1 for _ in git.Repo(project).iter_commits()) - 1)
    except (git.GitError, ValueError, OSError):
        return 0


def run(args: argparse.Namespace) -> int:
    temporary = not args.dir
    folder = prepare_demo(Path(args.dir) if args.dir else None)
    print(f"patchbay: demo runbook ready in {folder}")
    if args.no_tui:
        from tui.commands.status import print_status

        return print_status(folder, as_json=False)
    from tui.app.launch import launch  # Textual is imported only when the TUI really opens

    try:
        return launch(folder / "runbook.yaml", args)
    finally:
        if temporary:
            cleanup_demo(folder, keep=getattr(args, "keep", False))
