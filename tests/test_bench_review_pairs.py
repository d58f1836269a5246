"""review-open-50k takes its small and large opens in turn, so the machine's drift weighs on both."""

from __future__ import annotations

import bench.review_open
from bench.review import paired_open_times, review_open_50k


def test_the_small_and_large_diffs_are_opened_in_turn(monkeypatch):
    opened: list[int] = []

    async def recording_open(change_set):
        opened.append(bench.review_open.diff_line_count(change_set))
        return float(len(opened)), 0.0

    monkeypatch.setattr(bench.review_open, "time_open", recording_open)
    small, small_lines, large, large_lines = paired_open_times(200, 2_000, 3)
    assert small_lines < large_lines
    assert opened == [small_lines, large_lines] * 3
    assert (small, large) == ([1.0, 3.0, 5.0], [2.0, 4.0, 6.0])
    measured = review_open_50k(quick=True)
    assert measured.value == 8.0 / 7.0 and "taken in turn" in measured.detail
