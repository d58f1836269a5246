from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.workspace.paths import UnsafePathError, is_binary, resolve_in_tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("x = 1\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("secret\n")
    return root


@pytest.mark.parametrize(
    "bad",
    [
        "/etc/passwd",
        "../x",
        "a/../../x",
        "src/../../outside/secret.txt",
        ".git/config",
        ".git",
        "src/.git/hooks/pre-commit",
        ".GIT/config",
        "./.git/HEAD",
        "",
        "   ",
        "src/app\x00.py",
        ".",
        "src/..",
    ],
)
def test_refuses_paths_outside_the_tree_or_into_git(tree: Path, bad: str) -> None:
    with pytest.raises(UnsafePathError) as caught:
        resolve_in_tree(tree, bad)
    assert str(caught.value).endswith(".")  # one sentence for the user
    assert "\n" not in str(caught.value)


def test_refuses_a_symlinked_folder_pointing_outside(tree: Path) -> None:
    (tree / "linked").symlink_to(tree.parent / "outside")
    with pytest.raises(UnsafePathError, match="symbolic link"):
        resolve_in_tree(tree, "linked/secret.txt")
    with pytest.raises(UnsafePathError, match="symbolic link"):
        resolve_in_tree(tree, "linked/new_file.txt")


def test_refuses_a_symlinked_file_pointing_outside_even_when_dangling(tree: Path) -> None:
    (tree / "leak.txt").symlink_to(tree.parent / "outside" / "secret.txt")
    (tree / "dangling.txt").symlink_to(tree.parent / "outside" / "not-yet.txt")
    for name in ("leak.txt", "dangling.txt"):
        with pytest.raises(UnsafePathError, match="symbolic link"):
            resolve_in_tree(tree, name)


def test_refuses_a_symlink_into_git(tree: Path) -> None:
    (tree / "gitlink").symlink_to(tree / ".git")
    with pytest.raises(UnsafePathError, match=r"\.git"):
        resolve_in_tree(tree, "gitlink/config")


def test_refuses_a_symlink_loop(tree: Path) -> None:
    (tree / "loop_a").symlink_to(tree / "loop_b")
    (tree / "loop_b").symlink_to(tree / "loop_a")
    with pytest.raises(UnsafePathError):
        resolve_in_tree(tree, "loop_a")


def test_dotdot_through_a_symlinked_folder_is_judged_where_it_really_lands(tree: Path) -> None:
    (tree / "linked").symlink_to(tree.parent / "outside")
    # Lexically "linked/../src/app.py" is inside, but the OS resolves linked/.. to tmp_path.
    with pytest.raises(UnsafePathError):
        resolve_in_tree(tree, "linked/../src/app.py")


def test_accepts_ordinary_and_new_paths(tree: Path) -> None:
    real = Path(os.path.realpath(tree))
    assert resolve_in_tree(tree, "src/app.py") == real / "src" / "app.py"
    assert resolve_in_tree(tree, "./src/../src/app.py") == real / "src" / "app.py"
    assert resolve_in_tree(tree, "new/deep/file.py") == real / "new" / "deep" / "file.py"
    assert resolve_in_tree(tree, ".github/workflows/ci.yml") == real / ".github" / "workflows" / "ci.yml"
    assert resolve_in_tree(tree, ".gitignore") == real / ".gitignore"


def test_a_symlink_inside_the_tree_resolves_to_its_target(tree: Path) -> None:
    (tree / "alias.py").symlink_to(tree / "src" / "app.py")
    assert resolve_in_tree(tree, "alias.py") == Path(os.path.realpath(tree)) / "src" / "app.py"


def test_backslashes_are_ordinary_characters_not_separators(tree: Path) -> None:
    resolved = resolve_in_tree(tree, "..\\..\\etc\\passwd")
    assert resolved.parent == Path(os.path.realpath(tree))
    assert resolved.name == "..\\..\\etc\\passwd"


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        (b"plain text\n", False),
        ("héllo ✓\n".encode(), False),
        (b"", False),
        (b"\x89PNG\r\n\x1a\n\x00\x00", True),
        (b"abc\x00def", True),
        (b"caf\xe9", True),  # Latin-1, not UTF-8
    ],
)
def test_is_binary(data: bytes, binary: bool) -> None:
    assert is_binary(data) is binary
