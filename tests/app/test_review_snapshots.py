"""SVG snapshots of the review screen (stored in snapshots/) at 80x24, 120x40 and 200x60: wrapped
side by side, unified, sideways scrolling, and the undecided-hunks question; the shipped
patchbay-dark theme and the monokai pygments style.

What should be visible: the file list with counts and how each file applies, the review points
(☐), hunk headers with their placement, line numbers, syntax colours, changed words highlighted,
an accepted hunk (✓), the current hunk's bar (▌), a failed hunk (!) with the reason under the
diff, a long line wrapped with ↪ (or cut with › when wrapping is off), and no line cut silently."""

from __future__ import annotations

from pathlib import Path

from app.review_support import ReviewHost, StandInRun

SOURCE = '''"""Text statistics."""


def word_count(text):
    return len(text.split())


def summary(text):
    return {"words": word_count(text), "mean": mean_word_length(text), "longest": longest_word(text)}


def mean_word_length(text):
    words = text.split()
    return sum(len(word) for word in words) / len(words)


def longest_word(text):
    return max(text.split(), key=len)
'''

ANSWER = '''Type hints, a median in the summary, and a guard for empty text:

```diff
--- a/textkit/stats.py
+++ b/textkit/stats.py
@@ -4,2 +4,2 @@
-def word_count(text):
+def word_count(text: str) -> int:
     return len(text.split())
@@ -8,2 +8,2 @@
-def summary(text):
-    return {"words": word_count(text), "mean": mean_word_length(text), "longest": longest_word(text)}
+def summary(text: str) -> dict[str, float | int | str]:
+    return {"words": word_count(text), "mean": mean_word_length(text), "longest": longest_word(text), "median": median_word_length(text)}
@@ -12,3 +12,5 @@
-def mean_word_length(text):
+def mean_word_length(text: str) -> float:
     words = text.split()
+    if not words:
+        return 0.0
     return sum(len(word) for word in words) / len(words)
@@ -17,2 +19,2 @@
-def shortest_word(text):
-    return min(text.split(), key=len)
+def shortest_word(text: str) -> str:
+    return min(text.split(), key=len)
```

```diff
--- /dev/null
+++ b/textkit/__init__.py
@@ -0,0 +1,2 @@
+"""textkit: small text statistics."""
+__all__ = ["stats"]
```
'''


def make_run(folder: Path) -> StandInRun:
    (folder / "textkit").mkdir()
    (folder / "textkit" / "stats.py").write_text(SOURCE)
    return StandInRun(
        folder,
        ANSWER,
        files_to_modify=["textkit/stats.py", "textkit/__init__.py"],
        points=[
            "Every function has type hints, including the return type of summary()",
            "Empty text does not divide by zero",
        ],
    )


def test_review_80x24_unified_wrapped(tmp_path, snap_compare):
    """80x24: too narrow for side by side, so unified (and it says so); long lines wrap."""
    assert snap_compare(ReviewHost(make_run(tmp_path)), terminal_size=(80, 24), press=["y"])


def test_review_120x40_unified(tmp_path, snap_compare):
    """120x40 opens unified; the first hunk accepted, the second current."""
    assert snap_compare(ReviewHost(make_run(tmp_path)), terminal_size=(120, 40), press=["y"])


def test_review_120x40_side_by_side_wrapped(tmp_path, snap_compare):
    """120x40 with `s`: side by side, the long lines wrapped with ↪ on both sides."""
    assert snap_compare(ReviewHost(make_run(tmp_path)), terminal_size=(120, 40), press=["y", "s"])


def test_review_200x60_side_by_side(tmp_path, snap_compare):
    """200x60 opens side by side; moved to the failed third hunk (its reason under the diff)."""
    assert snap_compare(
        ReviewHost(make_run(tmp_path)),
        terminal_size=(200, 60),
        press=["y", "right_square_bracket", "right_square_bracket"],
    )


def test_review_120x40_horizontal_scroll(tmp_path, snap_compare):
    """`w`: wrapping off; scrolled right twice, cut edges show ‹ and ›."""
    assert snap_compare(
        ReviewHost(make_run(tmp_path)), terminal_size=(120, 40), press=["w", "right", "right"]
    )


def test_review_undecided_question(tmp_path, snap_compare):
    """`enter` with hunks undecided: accept them, leave them out, or go back."""
    assert snap_compare(ReviewHost(make_run(tmp_path)), terminal_size=(120, 40), press=["y", "enter"])
