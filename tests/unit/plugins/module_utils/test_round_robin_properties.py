# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the round-robin analysis over generated answers and sequences."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

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


@given(names=backend_names, data=st.data(), tolerance=st.floats(0, 1))
def test_balanced_verdict_matches_the_counts(names, data, tolerance):
    sequence = data.draw(st.lists(st.sampled_from(names), min_size=len(names), max_size=40))
    result = rr.analyse_round(answers_for(sequence), 'resolvedname', expected_backends=names,
                              mode='balanced', tolerance=tolerance)
    counts = [sequence.count(n) for n in names]
    mean = len(sequence) / len(names)
    within = all(c > 0 for c in counts) and all(abs(c - mean) <= tolerance * mean + 1e-9 for c in counts)
    assert result['passed'] == within
    assert sum(result['counts'].values()) == len(sequence)


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
