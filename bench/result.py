"""The one-line result of a benchmark, its target, and the README table.

    bench: NAME: VALUE UNIT (target OP THRESHOLD) ok|SHORT

A benchmark that only reports (no bar to meet) prints `(target report only)` and is always ok.
Only ratios (unit `x`, two figures measured in the same run) decide `make bench`'s exit status: an
absolute time on a shared machine drifts with its load, so it is printed and judged, never gating.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
REPORT_ONLY = "report"

LINE = re.compile(
    r"^bench: (?P<name>[a-z0-9-]+): (?P<value>\S+) (?P<unit>\S+) "
    r"\(target (?:(?P<op><=|>=|<|>) (?P<threshold>\S+)|report only)\) (?P<verdict>ok|SHORT)$"
)


@dataclass(frozen=True)
class Target:
    op: str  # one of _OPS, or REPORT_ONLY
    threshold: float | None = None

    def met(self, value: float | None) -> bool:
        if self.op == REPORT_ONLY:
            return value is not None
        if value is None or self.threshold is None:
            return False
        return _OPS[self.op](value, self.threshold)

    def describe(self) -> str:
        if self.op == REPORT_ONLY:
            return "report only"
        return f"{self.op} {self.threshold:g}"


@dataclass(frozen=True)
class Measured:
    """What a benchmark function returns: the figure, and a few words on how it was made up."""

    value: float
    detail: str = ""


@dataclass(frozen=True)
class Result:
    name: str
    value: float | None  # None: the benchmark failed to produce a figure
    unit: str
    target: Target
    decimals: int
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.target.met(self.value)

    @property
    def gates(self) -> bool:
        """Whether a miss fails `make bench`: ratios do, and so does a benchmark that gave no figure."""
        return self.unit == "x" or self.value is None

    @property
    def shown_value(self) -> str:
        return "n/a" if self.value is None else _number(self.value, self.decimals)

    def line(self) -> str:
        verdict = "ok" if self.ok else "SHORT"
        return (
            f"bench: {self.name}: {self.shown_value} {self.unit} (target {self.target.describe()}) {verdict}"
        )


def _number(value: float | None, decimals: int) -> str:
    return "n/a" if value is None else f"{value:.{decimals}f}"


def markdown_table(results: list[Result], caption: str) -> str:
    rows = [
        caption,
        "",
        "| Benchmark | Measured | Target | Result | How |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        verdict = "ok" if result.ok else "**SHORT**"
        rows.append(
            f"| `{result.name}` | {result.shown_value} {result.unit} | "
            f"{result.target.describe()} | {verdict} | {result.detail or ''} |"
        )
    return "\n".join(rows)
