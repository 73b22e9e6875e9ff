# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the round-robin analysis over generated answers and sequences.

The oracles are written from the documented definitions, not from the implementation's
formulas: a perfect rotation is what a simulated round-robin balancer hands out, and the
balanced verdict is enumerated over every way to spread a few requests, in exact arithmetic.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ansible_collections.envoy_mesh.lab.plugins.module_utils import round_robin as rr

ERROR_KINDS = {rr.CONNECTION, rr.STATUS, rr.NOT_JSON, rr.MISSING_FIELD, rr.NOT_OK}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
field_paths = st.lists(st.text(alphabet='abcdefok0123456789', min_size=1, max_size=6), min_size=1, max_size=3).map('.'.join)
backend_names = st.lists(st.from_regex(r'10\.244\.0\.[0-9]{1,3}', fullmatch=True), min_size=1, max_size=6, unique=True)
# Tolerances as a user writes them (decimals), so the oracle can take them exactly.
tolerances = st.decimals(min_value=0, max_value=2, places=2)
ENUMERATED_TOLERANCES = [Decimal(t) for t in ('0', '0.1', '0.2', '0.25', '0.3', '0.5', '1')]


def answers_for(names):
    return [dict(status=200, content_type='application/json', latency_ms=1.0, error=None,
                 body=json.dumps({'ok': True, 'resolvedname': n}).encode('utf-8')) for n in names]


def assert_clear_error(value, error):
    assert (value is None) != (error is None)
    if error is not None:
        assert error['kind'] in ERROR_KINDS
        assert error['msg'].strip()
    else:
        assert isinstance(value, str)


@given(body=st.binary(max_size=300), content_type=st.none() | st.text(max_size=30),
       status=st.none() | st.integers(100, 599), field=field_paths, require_ok=st.booleans())
def test_parsing_arbitrary_bytes_never_crashes(body, content_type, status, field, require_ok):
    raw = dict(status=status, content_type=content_type, body=body, latency_ms=1.0, error=None)
    assert_clear_error(*rr.parse_answer(raw, field, require_ok))


@given(data=json_values, field=field_paths, require_ok=st.booleans())
def test_parsing_arbitrary_json_never_crashes(data, field, require_ok):
    raw = dict(status=200, content_type='application/json', body=json.dumps(data).encode('utf-8'),
               latency_ms=1.0, error=None)
    value, error = rr.parse_answer(raw, field, require_ok)
    assert_clear_error(value, error)
    if error is not None and error['kind'] == rr.MISSING_FIELD:
        # The message names the path part that could not be followed.
        assert any(repr(part) in error['msg'] for part in field.split('.') + [field])


@given(names=backend_names, rotation=st.integers(0, 5), repeats=st.integers(1, 4), tail=st.integers(0, 5))
def test_strict_accepts_every_rotation_of_a_perfect_cycle(names, rotation, repeats, tail):
    k = len(names)
    cycle = names[rotation % k:] + names[:rotation % k]
    sequence = cycle * repeats + cycle[:tail % k]
    result = rr.analyse_round(answers_for(sequence), 'resolvedname', expected_backends=list(reversed(names)))
    assert result['passed'], result['msg']
    assert rr.strict_violation(sequence, k) is None
    if repeats >= 2:
        assert result['cycle'] == cycle


@given(names=backend_names, data=st.data(), mode=st.sampled_from(rr.MODES))
def test_any_sequence_missing_a_backend_fails(names, data, mode):
    assume(len(names) >= 2)
    absent = data.draw(st.sampled_from(names))
    present = [n for n in names if n != absent]
    sequence = data.draw(st.lists(st.sampled_from(present), min_size=len(names), max_size=30))
    result = rr.analyse_round(answers_for(sequence), 'resolvedname', expected_backends=names, mode=mode)
    assert not result['passed']
    assert absent in result['missing']
    assert absent in result['msg']


class RoundRobinBalancer:
    """What a perfect rotation is: every request goes to the next backend of a fixed order."""

    def __init__(self, backends, start):
        self.backends = list(backends)
        self.position = start % len(self.backends)

    def pick(self):
        backend = self.backends[self.position]
        self.position = (self.position + 1) % len(self.backends)
        return backend


def within_one_request(count, requests, backends):
    """The ideal share requests/backends lies between count - 1 and count + 1: count - 1 full
    rounds over the backends fit into the requests, and count + 1 full rounds cover them."""
    return backends * (count - 1) <= requests <= backends * (count + 1)


def within_tolerance(count, requests, backends, tolerance):
    """count lies between (1 - tolerance) and (1 + tolerance) times the ideal share, exactly."""
    share = Fraction(requests, backends)
    tolerance = Fraction(tolerance)
    return share * (1 - tolerance) <= count <= share * (1 + tolerance)


def off_balance(counts, tolerance):
    """Positions of the counts that the documented balanced rule rejects."""
    requests, backends = sum(counts), len(counts)
    return [i for i, count in enumerate(counts)
            if not within_one_request(count, requests, backends)
            and not within_tolerance(count, requests, backends, tolerance)]


def spreads(requests, backends):
    """Every way to spread the requests over the backends, as count tuples."""
    if backends == 1:
        yield (requests,)
        return
    for first in range(requests + 1):
        for rest in spreads(requests - first, backends - 1):
            yield (first,) + rest


def balanced_verdict(counts, tolerance):
    names = ['b{0}'.format(i) for i in range(len(counts))]
    sequence = [name for name, count in zip(names, counts) for dummy in range(count)]
    result = rr.analyse_round(answers_for(sequence), 'resolvedname', expected_backends=names,
                              mode='balanced', tolerance=float(tolerance))
    return result, names


@given(names=backend_names, shuffle=st.randoms(use_true_random=False), start=st.integers(0, 10),
       extra=st.integers(0, 60), tolerance=tolerances, mode=st.sampled_from(rr.MODES))
def test_every_perfect_rotation_passes_whatever_the_tolerance(names, shuffle, start, extra, tolerance, mode):
    order = list(names)
    shuffle.shuffle(order)
    balancer = RoundRobinBalancer(order, start)
    sequence = [balancer.pick() for dummy in range(len(names) + extra)]
    result = rr.analyse_round(answers_for(sequence), 'resolvedname', expected_backends=names, mode=mode,
                              tolerance=float(tolerance))
    assert result['passed'], result['msg']


def test_balanced_verdict_over_every_spread_of_a_few_requests():
    checked = 0
    for backends, most in ((1, 16), (2, 16), (3, 15), (4, 12), (5, 10)):
        for requests in range(backends, most + 1):
            for counts in spreads(requests, backends):
                for tolerance in ENUMERATED_TOLERANCES:
                    result, names = balanced_verdict(counts, tolerance)
                    rejected = off_balance(counts, tolerance)
                    expected = all(counts) and not rejected
                    assert result['passed'] == expected, (counts, str(tolerance), result['msg'])
                    if all(counts):
                        assert rr.balanced_violations(result['counts'], names, float(tolerance)) == \
                            [names[i] for i in rejected]
                    checked += 1
    assert checked > 20000


@given(data=st.data(), backends=st.integers(1, 8), tolerance=tolerances)
def test_balanced_verdict_over_random_spreads_of_many_requests(data, backends, tolerance):
    counts = data.draw(st.lists(st.integers(0, 40), min_size=backends, max_size=backends))
    assume(sum(counts) >= backends)
    result, dummy = balanced_verdict(counts, tolerance)
    assert result['passed'] == (all(counts) and not off_balance(counts, tolerance))
    assert sum(result['counts'].values()) == sum(counts)


@given(counts=st.lists(st.integers(1, 30), min_size=1, max_size=6), low=tolerances, high=tolerances)
def test_a_larger_tolerance_never_turns_a_pass_into_a_failure(counts, low, high):
    low, high = sorted((low, high))
    if balanced_verdict(counts, low)[0]['passed']:
        assert balanced_verdict(counts, high)[0]['passed']


@given(sequence=st.lists(st.sampled_from('abcd'), max_size=30))
def test_detected_cycle_repeats_over_the_whole_sequence(sequence):
    cycle = rr.detect_cycle(sequence)
    if cycle is not None:
        assert len(sequence) >= 2 * len(cycle)
        assert all(value == cycle[i % len(cycle)] for i, value in enumerate(sequence))


@given(pattern=st.lists(st.sampled_from('abcd'), min_size=1, max_size=6), repeats=st.integers(2, 5))
def test_a_repeated_pattern_is_found_as_a_cycle(pattern, repeats):
    cycle = rr.detect_cycle(pattern * repeats)
    assert cycle is not None and len(pattern) % len(cycle) == 0


@given(k=st.integers(1, 3), data=st.data())
def test_passing_strict_windows_over_k_backends_mean_a_period_of_k(k, data):
    sequence = data.draw(st.lists(st.sampled_from('abc'[:k]), max_size=20))
    if rr.strict_violation(sequence, k) is None:
        assert all(sequence[i] == sequence[i - k] for i in range(k, len(sequence)))


@given(latencies=st.lists(st.floats(0, 1e6, allow_nan=False) | st.none(), max_size=50))
@settings(max_examples=200)
def test_latency_stats_are_ordered(latencies):
    stats = rr.latency_stats(latencies)
    if all(v is None for v in latencies):
        assert set(stats.values()) == {None}
    else:
        lo, hi = stats['min'], stats['max']
        assert lo <= hi
        for key in ('median', 'p95', 'mean'):
            assert lo - 1e-3 <= stats[key] <= hi + 1e-3
