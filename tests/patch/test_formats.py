"""Every edit format through the one engine: SEARCH/REPLACE blocks, apply_patch envelopes,
fenced whole files and `auto` detection, placed, refused and applied like unified diffs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.cli import main
from tui.errors import PatchbayError
from tui.patch.apply_change import apply_change_set
from tui.patch.extract import build_change_set
from tui.workspace.journal import undo

CALC = "import os\n\n\ndef add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
TWINS = "def first():\n    value = 1\n    return value\n\n\ndef second():\n    value = 1\n    return value\n"


def _apply(root: Path, answer: str, parser: str = "auto", **kwargs):
    change_set = build_change_set(answer, root, output_parser=parser, **kwargs)
    return change_set


def _sr(search: str, replace: str, marker: int = 7) -> str:
    return f"{'<' * marker} SEARCH\n{search}{'=' * marker}\n{replace}{'>' * marker} REPLACE\n"


def _run(root: Path, tmp_path: Path, answer: str, *extra: str) -> int:
    path = tmp_path / "answer.md"
    path.write_text(answer)
    return main(["apply", "--workdir", str(root), *extra, str(path)])


# -- SEARCH/REPLACE ---------------------------------------------------------------------------


@pytest.mark.parametrize("marker", [5, 7, 9])
def test_search_replace_with_the_path_before_the_fence(tree, marker):
    root = tree({"pkg/calc.py": CALC})
    block = _sr("    return a * b\n", "    return b * a\n", marker)
    answer = "pkg/calc.py\n```python\n" + block + "```\n"
    change_set = _apply(root, answer, "search_replace")
    apply_change_set(root, change_set)
    assert (root / "pkg/calc.py").read_text() == CALC.replace("a * b", "b * a")
    assert change_set.files[0].edit_format == "search_replace"


def test_search_replace_with_the_path_as_the_fences_first_line(tree):
    root = tree({"pkg/calc.py": CALC})
    answer = "```python\npkg/calc.py\n" + _sr("    return a + b\n", "    return b + a\n") + "```\n"
    apply_change_set(root, _apply(root, answer))
    assert (root / "pkg/calc.py").read_text() == CALC.replace("a + b", "b + a")


def test_search_replace_bare_name_and_info_string_paths(tree):
    root = tree({"pkg/calc.py": CALC, "docs/notes.md": "# Notes\nold\n"})
    answer = (
        "calc.py\n" + _sr("    return a + b\n", "    return a + b + 0\n") + "\n"
        "```markdown path=docs/notes.md\n" + _sr("old\n", "new\n") + "```\n"
    )
    change_set = _apply(root, answer)
    assert [change.path for change in change_set.files] == ["pkg/calc.py", "docs/notes.md"]
    apply_change_set(root, change_set)
    assert (root / "docs/notes.md").read_text() == "# Notes\nnew\n"
    assert "a + b + 0" in (root / "pkg/calc.py").read_text()


def test_search_replace_without_a_path_takes_the_tasks_one_file(tree):
    root = tree({"pkg/calc.py": CALC, "other.py": CALC})
    answer = "```python\n" + _sr("    return a * b\n", "    return a * b * 1\n") + "```\n"
    change_set = _apply(root, answer, "search_replace", files_to_modify=["pkg/calc.py"])
    assert [change.path for change in change_set.files] == ["pkg/calc.py"]
    with pytest.raises(PatchbayError, match="names no file"):
        _apply(root, answer, "search_replace")


def test_several_blocks_in_one_fence_share_the_path(tree):
    root = tree({"pkg/calc.py": CALC})
    answer = (
        "pkg/calc.py\n```python\n"
        + _sr("import os\n", "import os\nimport sys\n")
        + "\n"
        + _sr("    return a * b\n", "    return a * b  # product\n")
        + "```\n"
    )
    change_set = _apply(root, answer)
    assert len(change_set.files) == 1 and len(change_set.files[0].hunks) == 2
    apply_change_set(root, change_set)
    text = (root / "pkg/calc.py").read_text()
    assert text.startswith("import os\nimport sys\n") and "# product" in text


def test_empty_search_creates_a_file_and_appends_only_when_asked(tree):
    root = tree({"log.txt": "one\n"})
    create = "new.py\n```python\n" + _sr("", "print('hi')\n") + "```\n"
    apply_change_set(root, _apply(root, create))
    assert (root / "new.py").read_text() == "print('hi')\n"
    silent = "log.txt\n```\n" + _sr("", "two\n") + "```\n"
    refused = _apply(root, silent)
    assert refused.files[0].error and "exists" in refused.files[0].error
    asked = "Append to the end of log.txt:\n\nlog.txt\n```\n" + _sr("", "two\n") + "```\n"
    apply_change_set(root, _apply(root, asked))
    assert (root / "log.txt").read_text() == "one\ntwo\n"


def test_a_search_found_twice_is_ambiguous_unless_the_previous_block_pins_it(tree):
    root = tree({"twins.py": TWINS})
    lone = "twins.py\n" + _sr("    value = 1\n", "    value = 2\n")
    hunk = _apply(root, lone).files[0].hunks[0]
    assert not hunk.placement.placed and "ambiguous" in (hunk.placement.reason or "")
    pinned = (
        "twins.py\n```\n"
        + _sr("def second():\n", "def second():  # the second\n")
        + _sr("    value = 1\n", "    value = 2\n")
        + "```\n"
    )
    change_set = _apply(root, pinned)
    assert change_set.all_placed
    apply_change_set(root, change_set)
    assert (root / "twins.py").read_text() == TWINS.replace(
        "def second():\n    value = 1", "def second():  # the second\n    value = 2"
    )


def test_a_replace_already_in_the_file_is_reported_not_failed(tree, tmp_path, capsys):
    root = tree({"pkg/calc.py": CALC.replace("a * b", "b * a")})
    answer = "pkg/calc.py\n" + _sr("    return a * b\n", "    return b * a\n")
    assert _run(root, tmp_path, answer) == 0
    out = capsys.readouterr().out
    assert "block 1 is already applied at line 9" in out
    assert (root / "pkg/calc.py").read_text() == CALC.replace("a * b", "b * a")


def test_a_search_not_in_the_file_names_the_closest_region(tree, tmp_path, capsys):
    root = tree({"pkg/calc.py": CALC})
    answer = "pkg/calc.py\n" + _sr(
        "def mul(x, y):\n    return x ** y\n", "def mul(x, y):\n    return x * y\n"
    )
    assert _run(root, tmp_path, answer, "--json") == 1
    hunk = json.loads(capsys.readouterr().out)["files"][0]["hunks"][0]
    assert hunk["status"] == "failed" and hunk["closest"]["lines"][0] == 8
    assert (root / "pkg/calc.py").read_text() == CALC


def test_a_block_missing_its_divider_is_refused_with_its_line(tree):
    root = tree({"pkg/calc.py": CALC})
    answer = "pkg/calc.py\n<<<<<<< SEARCH\n    return a * b\n>>>>>>> REPLACE\n"
    change = _apply(root, answer).files[0]
    assert change.error == "the SEARCH/REPLACE block at line 2 has no ======= line between SEARCH and REPLACE"


def test_a_block_missing_its_replace_marker_ends_at_its_fence(tree):
    root = tree({"pkg/calc.py": CALC})
    answer = "pkg/calc.py\n```python\n<<<<<<< SEARCH\n    return a * b\n=======\n    return b * a\n```\n"
    apply_change_set(root, _apply(root, answer))
    assert (root / "pkg/calc.py").read_text() == CALC.replace("a * b", "b * a")


# -- apply_patch -------------------------------------------------------------------------------

ENVELOPE = """*** Begin Patch
*** Update File: pkg/calc.py
*** Move to: pkg/arith.py
@@ def mul(a, b):
-    return a * b
+    return b * a
*** End of File
*** Add File: notes.md
+# Notes
+hi
*** Delete File: gone.txt
*** End Patch
"""


def test_apply_patch_update_move_add_delete_are_journaled_and_undone(tree):
    root = tree({"pkg/calc.py": CALC, "gone.txt": "bye\n"})
    change_set = _apply(root, ENVELOPE, "apply_patch")
    kinds = {change.path: (change.kind, change.renamed_from) for change in change_set.files}
    assert kinds == {
        "pkg/arith.py": ("modify", "pkg/calc.py"),
        "notes.md": ("create", None),
        "gone.txt": ("delete", None),
    }
    applied = apply_change_set(root, change_set)
    assert (root / "pkg/arith.py").read_text() == CALC.replace("a * b", "b * a")
    assert not (root / "pkg/calc.py").exists() and not (root / "gone.txt").exists()
    assert (root / "notes.md").read_text() == "# Notes\nhi\n"
    undo(root, applied.id)
    assert (root / "pkg/calc.py").read_text() == CALC and (root / "gone.txt").read_text() == "bye\n"
    assert not (root / "pkg/arith.py").exists() and not (root / "notes.md").exists()


def test_apply_patch_anchor_picks_between_equal_places(tree):
    root = tree({"twins.py": TWINS})
    answer = "*** Begin Patch\n*** Update File: twins.py\n@@ def second():\n-    value = 1\n+    value = 2\n"
    change_set = _apply(root, answer)
    if change_set.all_placed:  # the section text settles it once the placement ladder weighs it
        apply_change_set(root, change_set)
        assert (root / "twins.py").read_text() == TWINS.replace(
            "1\n    return value\n", "2\n    return value\n", 2
        ).replace("value = 2", "value = 1", 1)
    else:
        assert "ambiguous" in (change_set.files[0].hunks[0].placement.reason or "")


def test_apply_patch_sloppy_envelope_still_applies(tree):
    root = tree({"pkg/calc.py": CALC})
    # No End Patch, trailing spaces on markers, a context line without its leading space.
    answer = (
        "```\n*** Begin Patch   \n*** Update File: pkg/calc.py  \n@@\ndef add(a, b):\n-    return a + b\n"
        "+    return b + a\n```\n"
    )
    apply_change_set(root, _apply(root, answer))
    assert (root / "pkg/calc.py").read_text() == CALC.replace("a + b", "b + a")


def test_apply_patch_end_of_file_pins_the_hunk_to_the_end(tree):
    body = "x = 1\nx = 1\n"
    root = tree({"v.py": body})
    answer = "*** Begin Patch\n*** Update File: v.py\n@@\n-x = 1\n+x = 2\n*** End of File\n*** End Patch\n"
    apply_change_set(root, _apply(root, answer))
    assert (root / "v.py").read_text() == "x = 1\nx = 2\n"


def test_apply_patch_deleting_a_missing_file_is_refused(tree):
    root = tree({"a.py": "a\n"})
    change = _apply(root, "*** Begin Patch\n*** Delete File: nope.py\n*** End Patch\n").files[0]
    assert change.error == "the answer deletes nope.py, which does not exist"


@pytest.mark.parametrize("path", ["../escape.py", "/tmp/evil.py", ".git/config"])
def test_every_format_refuses_paths_outside_the_tree(tree, path):
    root = tree({"a.py": "a\n"})
    for answer in (
        f"*** Begin Patch\n*** Add File: {path}\n+x\n*** End Patch\n",
        f"{path}\n```\n" + _sr("", "x\n") + "```\n",
        f"```text path={path}\nx\n```\n",
    ):
        change_set = _apply(root, answer)
        assert change_set.files[0].error, answer
        with pytest.raises(PatchbayError):
            apply_change_set(root, change_set)


# -- whole files -------------------------------------------------------------------------------


def test_whole_files_by_path_line_and_info_string(tree):
    root = tree({"a.py": "a = 1\n", "b.py": "b = 1\n"})
    answer = "a.py\n```python\na = 2\n```\n\n```python path=b.py\nb = 2\n```\n"
    change_set = _apply(root, answer, "whole_file")
    assert [change.edit_format for change in change_set.files] == ["whole_file", "whole_file"]
    apply_change_set(root, change_set)
    assert (root / "a.py").read_text() == "a = 2\n" and (root / "b.py").read_text() == "b = 2\n"


def test_a_whole_file_with_left_out_code_is_refused(tree):
    root = tree({"a.py": "a = 1\nb = 2\n"})
    answer = "a.py\n```python\na = 3\n# ... rest unchanged\n```\n"
    change = _apply(root, answer, "whole_file").files[0]
    assert change.error and "leaves code out at its line 2" in change.error


def test_auto_does_not_take_a_short_snippet_for_the_whole_file(tree):
    root = tree({"big.py": "".join(f"v{n} = {n}\n" for n in range(40))})
    answer = "In big.py:\n```python\nv3 = 4\n```\n"
    change = _apply(root, answer).files[0]
    assert change.error and "fragment" in change.error


# -- auto and the CLI --------------------------------------------------------------------------


def test_auto_reads_a_mixed_answer_and_reports_each_files_format(tree, tmp_path, capsys):
    root = tree({"a.py": CALC, "b.py": CALC, "c.py": CALC})
    answer = (
        "a.py\n```python\n" + _sr("    return a * b\n", "    return b * a\n") + "```\n\n"
        "```diff\n--- a/b.py\n+++ b/b.py\n@@ -4,2 +4,2 @@\n def add(a, b):\n-    return a + b\n+    return b + a\n```\n\n"
        "*** Begin Patch\n*** Update File: c.py\n@@ def add(a, b):\n-    return a + b\n+    return a - b\n*** End Patch\n"
    )
    assert _run(root, tmp_path, answer, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert {item["path"]: item["format"] for item in report["files"]} == {
        "a.py": "search_replace",
        "b.py": "unified_diff",
        "c.py": "apply_patch",
    }
    assert "b * a" in (root / "a.py").read_text() and "a - b" in (root / "c.py").read_text()


def test_a_named_format_that_finds_nothing_says_what_the_answer_looks_like(tree):
    root = tree({"a.py": CALC})
    with pytest.raises(PatchbayError, match="looks like a SEARCH/REPLACE block: set output_parser"):
        _apply(root, "a.py\n" + _sr("import os\n", "import sys\n"), "apply_patch")


def test_patchbay_apply_format_flag_restricts_detection(tree, tmp_path, capsys):
    root = tree({"a.py": CALC})
    answer = "a.py\n" + _sr("import os\n", "import sys\n")
    assert _run(root, tmp_path, answer, "--format", "unified_diff") == 1
    assert "SEARCH/REPLACE" in capsys.readouterr().err
    assert (root / "a.py").read_text() == CALC


def test_a_whole_file_named_by_its_base_name_replaces_that_file(tree):
    root = tree({"pkg/calc.py": CALC})
    change_set = _apply(root, "calc.py\n```python\nx = 1\n```\n", "whole_file")
    assert [change.path for change in change_set.files] == ["pkg/calc.py"]
    assert change_set.files[0].note == "the answer names calc.py; taken as pkg/calc.py"


def test_the_retry_failure_quotes_the_closest_lines_of_a_failed_block(tree):
    from tui.patch.failure_text import failure_text

    root = tree({"pkg/calc.py": CALC})
    answer = "pkg/calc.py\n" + _sr(
        "def mul(x, y):\n    return x ** y\n", "def mul(x, y):\n    return x * y\n"
    )
    text = failure_text(_apply(root, answer))
    assert text.startswith("pkg/calc.py: block 1 failed: ")
    assert "(closest: lines 8-9, " in text
    assert "The file's actual lines 8-9 of pkg/calc.py:\n```\ndef mul(a, b):\n    return a * b\n```" in text
