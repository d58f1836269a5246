"""A test seam at each step of an apply or a recovery, so kill and signal tests strike exactly there.

PATCHBAY_TEST_JOURNAL_PAUSE_AT=trace prints each step to stderr; =N stops at step N, says so on
stderr and waits for a line on stdin (a signal handler runs meanwhile). Unset in normal use.
"""

from __future__ import annotations

import itertools
import os
import sys

PAUSE_ENV = "PATCHBAY_TEST_JOURNAL_PAUSE_AT"
_numbers = itertools.count(1)


def step(name: str) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted:
        return
    number = next(_numbers)
    if wanted == "trace":
        print(f"patchbay-test: step {number} {name}", file=sys.stderr, flush=True)
    elif wanted == str(number):
        print(f"patchbay-test: paused at step {number} {name}", file=sys.stderr, flush=True)
        sys.stdin.readline()
