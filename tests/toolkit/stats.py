"""The median and percentiles of every figure the tests and benchmarks print: one definition of each.

percentile(values, pct) is the nearest-rank percentile: the smallest of the values that at least pct % of
all values are less than or equal to. Of n values sorted ascending it is the k-th smallest (counting from 1)
with k = ceil(pct / 100 * n), computed exactly. It is always a measured value, never interpolated: p100 is
the maximum, p95 of 20 values is the 19th smallest, p95 of 10 values the largest. The module
round_robin_check reports its p95 in the same way (plugins/module_utils/round_robin.py, which runs on the
nodes and so cannot import this); tests/unit/toolkit/test_stats.py keeps the two the same.

median(values) is the middle value, or the mean of the two middle ones of an even count (statistics.median),
so for an even count it may lie between two measured values, unlike percentile(values, 50).
"""

import math
import statistics
from fractions import Fraction


def percentile(values, pct):
    """The nearest-rank ``pct`` percentile (0 < pct <= 100) of ``values``, in any order."""
    if not values:
        raise ValueError("no values: a percentile needs at least one")
    if not 0 < pct <= 100:
        raise ValueError(f"pct must lie in (0, 100], not {pct!r}")
    ordered = sorted(values)
    rank = math.ceil(Fraction(str(pct)) * len(ordered) / 100)
    return ordered[rank - 1]


def median(values):
    return statistics.median(values)


def summary(values_ms):
    """One line of figures of a list of durations in milliseconds."""
    return (f"n={len(values_ms)} median={median(values_ms):.2f} ms "
            f"p95={percentile(values_ms, 95):.2f} ms max={max(values_ms):.2f} ms")
