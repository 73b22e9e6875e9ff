# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one percentile of the tests and benchmarks: nearest rank, always a measured value, as the module's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.envoy_mesh.lab.plugins.module_utils import round_robin
from ansible_collections.envoy_mesh.lab.tests.toolkit.stats import median, percentile


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [
        (list(range(1, 21)), 95, 19),
        (list(range(1, 11)), 95, 10),
        (list(range(1, 11)), 90, 9),
        (list(range(100, 0, -1)), 99, 99),
        # ceil(7 / 100 * 100) is 7 in exact arithmetic, 8 in floating point.
        (list(range(1, 101)), 7, 7),
        ([4, 1, 3, 2], 50, 2),
        ([5.5], 1, 5.5),
        ([3, 1, 2], 100, 3),
    ],
)
def test_examples(values, pct, expected):
    assert percentile(values, pct) == expected


@given(values=st.lists(st.integers(-1000, 1000), min_size=1, max_size=300), pct=st.integers(1, 100))
def test_percentile_is_the_smallest_value_with_pct_percent_of_all_at_or_below_it(values, pct):
    result = percentile(values, pct)
    assert result in values
    assert 100 * sum(value <= result for value in values) >= pct * len(values)
    assert 100 * sum(value < result for value in values) < pct * len(values)


@given(values=st.lists(st.floats(0, 1e4), min_size=1, max_size=500), pct=st.sampled_from([50, 90, 95, 99]))
def test_the_figures_the_tests_print_agree_with_the_p95_the_module_reports(values, pct):
    assert percentile(values, pct) == round_robin.percentile(sorted(values), pct)


def test_the_median_of_an_even_count_lies_between_the_middle_values():
    assert median([10, 1, 3, 2]) == 2.5
    assert percentile([10, 1, 3, 2], 50) == 2


@pytest.mark.parametrize(("values", "pct"), [([], 50), ([1, 2], 0), ([1, 2], 101), ([1, 2], -5)])
def test_no_values_or_a_pct_outside_0_to_100_is_refused(values, pct):
    with pytest.raises(ValueError):
        percentile(values, pct)
