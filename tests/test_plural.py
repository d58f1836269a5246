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
