"""Finding changes in model answers: fences, bare diffs, git headers, paths named in prose,
whole-file outputs."""

from __future__ import annotations

import pytest

from tests.patch.conftest import numbered
from tui.errors import PatchbayError
from tui.patch.extract import build_change_set, find_diffs

HUNK = "@@ -2,3 +2,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n"


@pytest.mark.parametrize(
    "intro",
    ["File: src/m.py", "### src/m.py", "`src/m.py`:", "**src/m.py**", "Change `src/m.py` like this:"],
)
def test_path_named_before_the_fence(tree, intro):
    root = tree({"src/m.py": numbered(6), "other.py": numbered(6)})
    answer = f"Sure.\n\n{intro}\n```diff\n{HUNK}```\nDone.\n"
    change = build_change_set(answer, root).files[0]
    assert change.path == "src/m.py" and change.status == "ok"


def test_files_to_modify_names_the_file_when_nothing_else_does(tree):
    root = tree({"m.py": numbered(6)})
    change = build_change_set(f"```diff\n{HUNK}```", root, files_to_modify=["m.py"]).files[0]
    assert change.path == "m.py" and change.status == "ok"


def test_no_file_named_anywhere_is_an_error(tree):
    root = tree({"m.py": numbered(6), "n.py": numbered(6)})
    with pytest.raises(PatchbayError, match="names no file"):
        build_change_set(f"```diff\n{HUNK}```", root)


def test_answer_without_diff_is_one_clear_sentence(tree):
    root = tree({"m.py": numbered(6)})
    with pytest.raises(PatchbayError, match="holds no diff"):
        build_change_set("I think you should rename the function.", root)


def test_several_files_in_one_fence_and_in_several(tree):
    root = tree({"a.py": numbered(6), "b.py": numbered(6), "c.py": numbered(6)})
    one = "--- a/a.py\n+++ b/a.py\n" + HUNK + "--- a/b.py\n+++ b/b.py\n" + HUNK
    answer = f"```diff\n{one}```\nAnd:\n```patch\ndiff --git a/c.py b/c.py\nindex 1..2 100644\n--- a/c.py\n+++ b/c.py\n{HUNK}```\n"
    change_set = build_change_set(answer, root)
    assert [change.path for change in change_set.files] == ["a.py", "b.py", "c.py"]
    assert change_set.all_placed


def test_any_fence_holding_a_diff_counts_and_unterminated_last_fence(tree):
    root = tree({"m.py": numbered(6)})
    answer = f"```python\n--- a/m.py\n+++ b/m.py\n{HUNK}"  # never closed
    assert build_change_set(answer, root).files[0].status == "ok"


def test_bare_diff_in_prose_ends_before_the_prose(tree):
    root = tree({"m.py": numbered(6)})
    answer = f"Here:\n--- a/m.py\n+++ b/m.py\n{HUNK}\n- this bullet is prose\n- so is this\n"
    change = build_change_set(answer, root).files[0]
    assert change.status == "ok" and change.removed == 1 and change.added == 1


def test_hunks_without_numbers_wrong_counts_and_blank_context(tree):
    root = tree({"m.py": "def f():\n    a = 1\n\n    return a\n"})
    answer = "```diff\n--- m.py\n+++ m.py\n@@ -1,9 +1,2 @@\n def f():\n-    a = 1\n+    a = 2\n\n     return a\n```\n"
    change = build_change_set(answer, root).files[0]
    assert change.new_text == "def f():\n    a = 2\n\n    return a\n"
    bare = answer.replace("@@ -1,9 +1,2 @@", "@@ ... @@")
    assert build_change_set(bare, root).files[0].new_text == "def f():\n    a = 2\n\n    return a\n"


def test_header_path_that_drops_folders_is_found_by_name(tree):
    root = tree({"pkg/deep/m.py": numbered(6)})
    change = build_change_set(f"--- a/m.py\n+++ b/m.py\n{HUNK}", root).files[0]
    assert change.path == "pkg/deep/m.py" and "taken as pkg/deep/m.py" in change.note


def test_unsafe_paths_are_refused_not_redirected(tree):
    root = tree({"m.py": numbered(6)})
    for path in ("../m.py", "/etc/m.py", ".git/config"):
        change = build_change_set(f"--- a/{path}\n+++ b/{path}\n{HUNK}", root).files[0]
        assert change.status == "failed" and change.error


def test_find_diffs_reads_git_headers_and_dev_null():
    found = find_diffs(
        "diff --git a/x.py b/x.py\nnew file mode 100644\n--- /dev/null\n+++ b/x.py\n@@ -0,0 +1 @@\n+x\n"
    )
    assert found[0].patch.target == "x.py" and found[0].patch.creates


def test_code_block_becomes_the_whole_file(tree):
    root = tree({"m.py": "a = 1\nb = 2\n"})
    answer = (
        "Old:\n```python\na = 1\n```\nNew file:\n```python\na = 1\nb = 3\nc = 4\n```\nUsage: `python m.py`"
    )
    change_set = build_change_set(answer, root, output_parser="python_code_block", output_artifact="m.py")
    change = change_set.files[0]
    assert change.new_text == "a = 1\nb = 3\nc = 4\n" and change.added == 2 and change.removed == 1


def test_code_block_keeps_crlf_of_the_file(tree):
    root = tree({"m.py": b"a = 1\r\nb = 2\r\n"})
    change = build_change_set(
        "```\na = 1\nb = 5\n```", root, output_parser="code_block", output_artifact="m.py"
    ).files[0]
    assert change.new_bytes() == b"a = 1\r\nb = 5\r\n"


def test_json_output_is_validated(tree):
    root = tree({})
    good = build_change_set('```json\n{"a": 1}\n```', root, output_parser="json", output_artifact="out.json")
    assert good.files[0].new_text == '{"a": 1}\n' and good.files[0].kind == "create"
    with pytest.raises(PatchbayError, match="JSON is invalid at line 1"):
        build_change_set('{"a": }', root, output_parser="json", output_artifact="out.json")


def test_text_output_and_missing_artifact(tree):
    root = tree({})
    change = build_change_set(
        "\n  Release notes.\n\n", root, output_parser="text", output_artifact="NOTES.md"
    ).files[0]
    assert change.new_text == "Release notes.\n"
    with pytest.raises(PatchbayError, match="needs output_artifact"):
        build_change_set("x", root, output_parser="text")


def test_binary_file_is_refused(tree):
    root = tree({"img.dat": b"line 1\x00\nline 2\n"})
    change = build_change_set("--- a/img.dat\n+++ b/img.dat\n@@ -1 +1 @@\n-line 2\n+x\n", root).files[0]
    assert change.status == "failed" and "binary" in change.error


def test_outside_files_to_modify_is_marked(tree):
    root = tree({"m.py": numbered(6), "n.py": numbered(6)})
    change = build_change_set(f"--- a/n.py\n+++ b/n.py\n{HUNK}", root, files_to_modify=["m.py"]).files[0]
    assert change.outside_scope
