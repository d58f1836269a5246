"""The benchmark harness: its one-line format, its verdicts, the README table, and a tiny run of a
few benchmarks each in its own process. No figure is checked here: speed is bench/'s business."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `bench` is a folder of the checkout, not an installed package
    sys.path.insert(0, str(ROOT))

from bench.__main__ import README_BEGIN, README_END, write_readme  # noqa: E402
from bench.catalog import BENCHMARKS  # noqa: E402
from bench.result import LINE, REPORT_ONLY, Result, Target, markdown_table  # noqa: E402


def test_a_met_target_prints_ok_in_the_agreed_format():
    line = Result("stream-fps", 31.26, "fps", Target(">=", 20), 1).line()
    assert line == "bench: stream-fps: 31.3 fps (target >= 20) ok"
    assert LINE.match(line)


def test_a_missed_target_prints_short():
    result = Result("stream-cpu-200", 0.2349, "core", Target("<=", 0.15), 3)
    assert not result.ok
    assert result.line() == "bench: stream-cpu-200: 0.235 core (target <= 0.15) SHORT"
    assert LINE.match(result.line())


def test_a_strict_bound_is_missed_at_the_bound_itself():
    assert not Result("review-open-5k", 250.0, "ms", Target("<", 250), 0).ok
    assert Result("review-open-50k", 1.5, "x", Target("<=", 1.5), 2).ok


def test_a_report_only_benchmark_is_ok_unless_it_failed():
    shown = Result("apply-vs-git", 3.14159, "x", Target(REPORT_ONLY), 2)
    assert shown.line() == "bench: apply-vs-git: 3.14 x (target report only) ok"
    assert LINE.match(shown.line())
    failed = Result("apply-vs-git", None, "x", Target(REPORT_ONLY), 2)
    assert failed.line() == "bench: apply-vs-git: n/a x (target report only) SHORT"


def test_only_ratios_and_missing_figures_decide_the_exit_status():
    assert Result("status-write-10k", 6.0, "x", Target("<=", 5), 2).gates
    assert not Result("reload-latency", 900.0, "ms", Target("<", 300), 0).gates  # absolute: shown, not gating
    assert Result("reload-latency", None, "ms", Target("<", 300), 0).gates  # no figure at all is a failure


def test_the_issue_18_targets_are_ratios():
    by_name = {benchmark.name: benchmark for benchmark in BENCHMARKS}
    for name in ("startup-first-frame", "runbook-1k-validate", "stream-cpu-200", "review-open-5k"):
        assert by_name[name].unit == "x", name


def test_every_benchmark_in_the_issue_is_in_the_catalog_once():
    names = [benchmark.name for benchmark in BENCHMARKS]
    assert names == [
        "stream-overhead",
        "stream-fps",
        "stream-cpu-200",
        "review-open-5k",
        "review-open-50k",
        "runbook-1k-validate",
        "runbook-10k-ratio",
        "startup-first-frame",
        "reload-latency",
        "tui-10k-first-frame",
        "tui-10k-filter",
        "tui-10k-manual-done",
        "apply-100-files",
        "apply-vs-git",
        "pool-throughput",
        "status-write-10k",
        "promote-10k",
        "reset-vs-validate-10k",
        "runbook-10k-memory",
    ]
    for benchmark in BENCHMARKS:
        assert callable(benchmark.function())


def test_the_readme_table_goes_between_the_markers_and_nothing_else_changes(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n## Performance\n\n{README_BEGIN}\nold table\n{README_END}\n\nAfter.\n")
    results = [
        Result("apply-100-files", 0.29, "s", Target("<", 1.0), 3, "100 files"),
        Result("stream-cpu-200", 0.24, "core", Target("<=", 0.15), 3, "200 tokens/s"),
    ]
    write_readme(markdown_table(results, "Measured on a test machine."), readme)
    text = readme.read_text()
    assert "old table" not in text
    assert text.startswith("# Title\n\n## Performance\n\n")
    assert text.endswith(f"{README_END}\n\nAfter.\n")
    assert "| `apply-100-files` | 0.290 s | < 1 | ok | 100 files |" in text
    assert "| `stream-cpu-200` | 0.240 core | <= 0.15 | **SHORT** | 200 tokens/s |" in text


@pytest.mark.slow
def test_a_tiny_run_prints_one_well_formed_line_per_benchmark():
    chosen = ["apply-100-files", "runbook-10k-ratio", "review-open-5k"]
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", *chosen],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == len(chosen), done.stdout + done.stderr
    for name, line in zip(chosen, lines, strict=True):
        match = LINE.match(line)
        assert match, line
        assert match["name"] == name
        assert match["value"] != "n/a", done.stderr  # the benchmark ran to a figure
    assert done.returncode in (0, 1)  # 1 only if a (meaningless, tiny) figure missed its target
