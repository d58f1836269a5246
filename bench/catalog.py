"""Every benchmark: its name, unit, target (PRODUCT.md §8, issue 6), and the function that measures it.

Each function takes `quick` (tiny inputs, for the smoke test; the figures then mean nothing) and
returns a `Measured`. `python -m bench` runs each one in its own process (bench/one.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from bench.result import REPORT_ONLY, Measured, Target


@dataclass(frozen=True)
class Benchmark:
    name: str
    unit: str
    target: Target
    decimals: int
    where: str  # "module:function"

    def function(self) -> Callable[[bool], Measured]:
        module, _, name = self.where.partition(":")
        return getattr(importlib.import_module(module), name)


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("stream-overhead", "x", Target("<=", 1.02), 3, "bench.stream:stream_overhead"),
    Benchmark("stream-fps", "fps", Target(">=", 20), 1, "bench.stream:stream_fps"),
    Benchmark("stream-cpu-200", "x", Target("<=", 0.5), 2, "bench.stream:stream_cpu_200"),
    Benchmark("review-open-5k", "x", Target(REPORT_ONLY), 2, "bench.review:review_open_5k"),
    Benchmark("review-open-50k", "x", Target("<=", 1.5), 2, "bench.review:review_open_50k"),
    Benchmark("runbook-1k-validate", "x", Target("<=", 2), 2, "bench.runbook:runbook_1k_validate"),
    Benchmark("runbook-10k-ratio", "x", Target("<=", 1.5), 2, "bench.runbook:runbook_10k_ratio"),
    Benchmark("startup-first-frame", "x", Target("<=", 1.5), 2, "bench.startup:startup_first_frame"),
    Benchmark("reload-latency", "ms", Target("<", 300), 0, "bench.reload:reload_latency"),
    Benchmark("tui-10k-first-frame", "x", Target("<=", 1.5), 2, "bench.tree_first_frame:tui_10k_first_frame"),
    Benchmark("tui-10k-filter", "x", Target("<=", 2.0), 2, "bench.tree_filter:tui_10k_filter"),
    Benchmark("tui-10k-manual-done", "x", Target("<=", 2.0), 2, "bench.manual_done:tui_10k_manual_done"),
    Benchmark("apply-100-files", "s", Target("<", 1.0), 3, "bench.apply:apply_100_files"),
    Benchmark("apply-vs-git", "x", Target(REPORT_ONLY), 2, "bench.apply:apply_vs_git"),
    Benchmark("pool-throughput", "x", Target("<=", 1.2), 2, "bench.pool:pool_throughput"),
    Benchmark("status-write-10k", "x", Target("<=", 5), 2, "bench.writes:status_write_10k"),
    Benchmark("promote-10k", "x", Target("<=", 10), 2, "bench.writes:promote_10k"),
    Benchmark("reset-vs-validate-10k", "x", Target("<=", 1.1), 2, "bench.writes:reset_vs_validate_10k"),
    Benchmark("runbook-10k-memory", "x", Target("<=", 5), 1, "bench.writes:runbook_10k_memory"),
)

BY_NAME = {benchmark.name: benchmark for benchmark in BENCHMARKS}
