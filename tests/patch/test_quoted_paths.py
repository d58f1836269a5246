"""Paths git quotes in a diff's headers (C-style, non-ASCII as octal UTF-8 bytes, as `git diff`
writes them by default) name the file git meant, never a look-alike."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tui.cli import main
from tui.patch.unified_parse import clean_path


def git(root: Path, *args: str) -> str:
    command = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("name", ["café.py", "ścieżka.py", "дерево.py", "一.py", 'q"uote.py'])
def test_a_diff_git_wrote_applies_to_the_file_it_names(tmp_path, capsys, name):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / name).write_text("a = 1\nb = 2\n", encoding="utf-8")
    git(root, "add", "--", name)
    git(root, "commit", "-qm", "start")
    (root / name).write_text("a = 1\nb = 3\n", encoding="utf-8")
    diff = git(root, "diff")
    assert '"a/' in diff  # git quoted the name
    git(root, "checkout", "--", name)
    answer = tmp_path / "answer.diff"
    answer.write_text(diff, encoding="utf-8")

    assert main(["apply", "--workdir", str(root), str(answer)]) == 0, capsys.readouterr()
    assert (root / name).read_text(encoding="utf-8") == "a = 1\nb = 3\n"
    assert sorted(path.name for path in root.iterdir()) == sorted([".git", name])


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ('"b/caf\\303\\251.py"', "b/café.py"),
        ('"b/caf\\303\\251.py"\t2024-01-01 00:00', "b/café.py"),
        ('"b/q\\"uote.py"', 'b/q"uote.py'),
        ('"b/back\\\\slash.py"', "b/back\\slash.py"),
        ('"b/line\\nbreak.py"', "b/line\nbreak.py"),
        ('"b/café.py"', "b/café.py"),  # a model that quotes without escaping
        ('"b/a\\x1bb.py"', "b/a\x1bb.py"),  # or escapes a byte in hex
        ('"b/odd\\qname.py"', "b/odd\\qname.py"),  # an escape git never writes stays as written
        ("b/plain.py", "b/plain.py"),
    ],
)
def test_a_quoted_header_path_is_read_as_git_writes_it(raw, path):
    assert clean_path(raw) == path
