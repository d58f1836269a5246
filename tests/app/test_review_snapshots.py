"""SVG snapshots of the review screen (stored in snapshots/): side by side and unified, at a fixed
size with the shipped patchbay-dark theme and the monokai pygments style.

What should be visible: the file list with counts and how each file applies, the review points,
hunk headers with their placement, line numbers, syntax colours, changed words highlighted, an
accepted hunk (✓), the current hunk's bar (▌), a failed hunk (!) with the reason under the diff."""

from __future__ import annotations

from pathlib import Path

from app.review_support import ReviewHost, StandInRun

SIZE = (120, 32)

SOURCE = '''"""Text statistics."""


def word_count(text):
    return len(text.split())


def mean_word_length(text):
    words = text.split()
    return sum(len(word) for word in words) / len(words)


def longest_word(text):
    return max(text.split(), key=len)
'''

ANSWER = '''Type hints, and a guard for empty text:

```diff
--- a/textkit/stats.py
+++ b/textkit/stats.py
@@ -4,2 +4,2 @@
-def word_count(text):
+def word_count(text: str) -> int:
     return len(text.split())
@@ -8,3 +8,5 @@
-def mean_word_length(text):
+def mean_word_length(text: str) -> float:
     words = text.split()
+    if not words:
+        return 0.0
     return sum(len(word) for word in words) / len(words)
@@ -13,2 +15,2 @@
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
        points=["Every function has type hints", "Empty text does not divide by zero"],
    )


def test_review_side_by_side(tmp_path, snap_compare):
    """Side by side: the first hunk accepted, the second current."""
    assert snap_compare(ReviewHost(make_run(tmp_path)), terminal_size=SIZE, press=["y"])


def test_review_unified(tmp_path, snap_compare):
    """Unified (`s`), after moving to the failed third hunk."""
    assert snap_compare(
        ReviewHost(make_run(tmp_path)), terminal_size=SIZE, press=["y", "right_square_bracket", "s"]
    )
