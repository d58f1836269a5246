import pytest

from tui.plural import counted, plural


def test_plural_of_regular_nouns():
    assert [plural(n) for n in ("hunk", "retry", "key", "match", "box", "status")] == [
        "hunks",
        "retries",
        "keys",
        "matches",
        "boxes",
        "statuses",
    ]


def test_counted_agrees_with_the_number():
    assert counted(1, "retry") == "1 retry"
    assert counted(0, "retry") == "0 retries"
    assert counted(2, "dependency") == "2 dependencies"
    assert counted(12345, "line") == "12,345 lines"
    assert counted(3, "child", "children") == "3 children"


def test_messages_with_a_count_of_one_use_the_singular(tmp_path):
    from tui.patch.closest import around_line
    from tui.prompts.budget import BudgetCheck
    from tui.prompts.context import ContextFileError, read_context_file

    assert around_line(5, 1).note.endswith("past the end (1 line)")
    assert BudgetCheck(1, True, None, None).label() == "1 token"
    assert BudgetCheck(2, True, None, None).label() == "2 tokens"
    (tmp_path / "one.txt").write_text("only line\n")
    with pytest.raises(ContextFileError, match="has 1 line;"):
        read_context_file(tmp_path, "one.txt", "3-4")


def test_one_drifted_context_line_differs():
    from tui.patch.candidates import Candidate, describe_tolerance
    from tui.patch.text_file import FileText

    def fuzzy(matched):
        return Candidate(
            mapping=(0, 1, 2), start=0, kind="fuzzy", score=0.9, first=0, last=2, matched=matched
        )

    file = FileText.from_text("a\nb\nc\n")
    assert describe_tolerance(["a", "b", "c"], fuzzy((0, None, 2)), file) == "1 context line differs"
    assert describe_tolerance(["a", "b", "c"], fuzzy((None, None, 2)), file) == "2 context lines differ"
