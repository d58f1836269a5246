"""`patchbay demo` without --dir: its temporary copy goes when the app exits, unless the user made
commits in it or asked to --keep it; it always says where the copy is (real folders, real git)."""

from __future__ import annotations

import git

from tui.commands.demo import cleanup_demo, commits_made, prepare_demo


def test_an_untouched_temporary_demo_is_removed(tmp_path):
    folder = prepare_demo(tmp_path / "demo")
    said: list[str] = []
    assert cleanup_demo(folder, keep=False, say=said.append)
    assert not folder.exists()
    assert str(folder) in said[0] and "removed" in said[0]


def test_a_demo_with_commits_stays(tmp_path):
    folder = prepare_demo(tmp_path / "demo")
    repo = git.Repo(folder / "project")
    (folder / "project" / "NOTES.md").write_text("mine\n")
    repo.index.add(["NOTES.md"])
    repo.index.commit("docs: my notes")
    assert commits_made(folder / "project") == 1
    said: list[str] = []
    assert not cleanup_demo(folder, keep=False, say=said.append)
    assert (folder / "project" / "NOTES.md").exists()
    assert str(folder) in said[0] and "1 commit" in said[0]


def test_keep_keeps_an_untouched_demo(tmp_path):
    folder = prepare_demo(tmp_path / "demo")
    said: list[str] = []
    assert not cleanup_demo(folder, keep=True, say=said.append)
    assert folder.exists() and "--keep" in said[0]


def test_the_demo_command_knows_keep():
    from tui.cli import build_parser

    args = build_parser().parse_args(["demo", "--keep"])
    assert args.keep and args.dir is None
