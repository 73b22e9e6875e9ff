# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.envoy_mesh.lab.plugins.module_utils import round_robin as rr

PODS = ['10.244.0.7', '10.244.0.8', '10.244.0.9']


def answer(name=None, status=200, content_type='application/json', body=None, error=None, latency=1.0):
    """A raw answer as fetch_once returns it."""
    if body is None and name is not None:
        body = json.dumps(dict(ok=True, resolvedname=name)).encode('utf-8')
    return dict(status=status, content_type=content_type, body=body or b'', latency_ms=latency, error=error)


def params(**overrides):
    base = dict(requests=12, field='resolvedname', expected_backends=list(PODS), expected_count=None,
                mode='strict', tolerance=0.2, require_ok=False, wait_timeout=0, wait_interval=1,
                status_code=[200])
    base.update(overrides)
    return base


def analyse(names, **kwargs):
    kwargs.setdefault('expected_backends', PODS)
    return rr.analyse_round([answer(n) for n in names], 'resolvedname', **kwargs)


class FakeClock:
    """Time that only moves when the code under test sleeps or a fetch takes time."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


# ---------------------------------------------------------------- fields

def test_lookup_field_reads_top_level_and_dotted_paths():
    data = {'resolvedname': '10.0.0.1', 'pod': {'ips': [{'ip': '10.0.0.2'}]}, 'port': 80}
    assert rr.lookup_field(data, 'resolvedname') == (True, '10.0.0.1')
    assert rr.lookup_field(data, 'pod.ips.0.ip') == (True, '10.0.0.2')
    assert rr.lookup_field(data, 'port') == (True, '80')


def test_lookup_field_names_the_keys_present_when_the_field_is_missing():
    found, msg = rr.lookup_field({'ok': True, 'msg': 'x'}, 'resolvedname')
    assert not found
    assert msg == "no field 'resolvedname' in the answer (keys present: msg, ok)"


def test_lookup_field_explains_paths_through_non_objects_and_lists():
    assert rr.lookup_field({'a': 5}, 'a.b') == (False, "no field 'b': a is a JSON number, not an object")
    assert rr.lookup_field({'a': [1]}, 'a.3') == (False, "no item '3' in a (a list of 1 items)")
    assert rr.lookup_field({'a': None}, 'a') == (False, "field 'a' is a JSON null, not a backend name")
    assert rr.lookup_field({'a': {}}, 'a')[0] is False


# ---------------------------------------------------------------- one answer

def test_parse_answer_returns_the_field_value():
    assert rr.parse_answer(answer('10.0.0.1'), 'resolvedname') == ('10.0.0.1', None)


def test_parse_answer_reports_html_as_not_json_with_a_hint():
    value, error = rr.parse_answer(
        answer(content_type='text/html; charset=utf-8', body=b'<html><body>hi</body></html>'), 'resolvedname')
    assert value is None
    assert error['kind'] == rr.NOT_JSON
    assert "the URL answered text/html, not JSON: is it the edge Envoy's /user route?" in error['msg']


def test_parse_answer_reports_invalid_and_empty_json():
    assert rr.parse_answer(answer(body=b'{"ok": '), 'resolvedname')[1]['kind'] == rr.NOT_JSON
    assert rr.parse_answer(answer(body=b'\xff\xfe'), 'resolvedname')[1]['kind'] == rr.NOT_JSON
    assert rr.parse_answer(answer(body=b''), 'resolvedname')[1]['msg'] == 'the URL answered an empty body, not JSON'


def test_parse_answer_survives_deeply_nested_json():
    value, error = rr.parse_answer(answer(body=b'[' * 100000 + b']' * 100000), 'resolvedname')
    assert value is None and error['kind'] in (rr.NOT_JSON, rr.MISSING_FIELD)


def test_parse_answer_reports_unexpected_status_with_body():
    value, error = rr.parse_answer(answer(status=503, content_type='text/plain', body=b'no healthy upstream'),
                                   'resolvedname')
    assert value is None
    assert error == dict(kind=rr.STATUS, msg='HTTP 503 (text/plain): no healthy upstream')


def test_parse_answer_says_what_a_401_or_407_wants():
    error = rr.parse_answer(answer(status=401, content_type=None, body=b''), 'resolvedname')[1]
    assert error['msg'] == ('HTTP 401: the server wants credentials it accepts: set url_username and url_password '
                            '(and force_basic_auth when it does not ask for them)')
    error = rr.parse_answer(answer(status=407, content_type=None, body=b''), 'resolvedname')[1]
    assert error['msg'].startswith('HTTP 407: the proxy wants credentials: set use_proxy to false')


def test_parse_answer_accepts_configured_status_codes():
    assert rr.parse_answer(answer('a', status=404), 'resolvedname', status_codes=[200, 404]) == ('a', None)


def test_parse_answer_reports_connection_errors_as_given():
    assert rr.parse_answer(answer(status=None, error='boom'), 'resolvedname') == (None, dict(kind='connection', msg='boom'))


def test_parse_answer_with_require_ok():
    body = json.dumps(dict(ok=False, error='no such user', resolvedname='a')).encode()
    assert rr.parse_answer(answer(body=body), 'resolvedname') == ('a', None)
    value, error = rr.parse_answer(answer(body=body), 'resolvedname', require_ok=True)
    assert error == dict(kind=rr.NOT_OK, msg='the answer has ok=false: no such user')
    assert rr.parse_answer(answer('a'), 'resolvedname', require_ok=True) == ('a', None)


def test_snippet_is_short_and_single_line():
    text = rr.snippet(b'line one\nline two ' + b'x' * 200)
    assert '\n' not in text
    assert len(text) == rr.SNIPPET_CHARS + 3 and text.endswith('...')


# ---------------------------------------------------------------- sequences

@pytest.mark.parametrize('sequence, cycle', [
    (['a', 'b', 'c', 'a', 'b', 'c'], ['a', 'b', 'c']),
    (['a', 'b', 'c', 'a', 'b', 'c', 'a'], ['a', 'b', 'c']),
    (['a', 'a', 'a'], ['a']),
    (['a', 'b', 'a', 'c', 'a', 'b', 'a', 'c'], ['a', 'b', 'a', 'c']),
    (['a', 'b', 'c', 'a', 'b'], None),
    (['a', 'b', 'b', 'a'], None),
    (['a'], None),
    ([], None),
])
def test_detect_cycle(sequence, cycle):
    assert rr.detect_cycle(sequence) == cycle


def test_strict_violation_finds_the_first_window_without_every_backend():
    assert rr.strict_violation(['a', 'b', 'c', 'a', 'b', 'c'], 3) is None
    assert rr.strict_violation(['a', 'b', 'c', 'a', 'c', 'b'], 3) == 2
    assert rr.strict_violation(['a', 'b'], 3) == 0


def test_balanced_violations_use_tolerance_around_the_ideal_share():
    counts = {'a': 12, 'b': 8, 'c': 4}  # share 8
    assert rr.balanced_violations(counts, ['a', 'b', 'c'], 0.5) == []
    assert rr.balanced_violations(counts, ['a', 'b', 'c'], 0.49) == ['a', 'c']
    assert rr.balanced_violations({'a': 4}, ['a', 'b'], 0.5) == ['a', 'b']


def test_balanced_violations_allow_one_request_off_the_share_whatever_the_tolerance():
    assert rr.balanced_violations({'a': 5, 'b': 4, 'c': 3}, ['a', 'b', 'c'], 0) == []
    assert rr.balanced_violations({'a': 6, 'b': 4, 'c': 2}, ['a', 'b', 'c'], 0.2) == ['a', 'c']
    # 12 over 5: share 2.4, so 1 and 4 are more than one request away.
    assert rr.balanced_violations(dict(a=4, b=2, c=2, d=2, e=2), list('abcde'), 0.2) == ['a']
    assert rr.balanced_violations(dict(a=3, b=3, c=3, d=2, e=1), list('abcde'), 0.2) == ['e']


@pytest.mark.parametrize('backends, requests', [(5, 12), (3, 4), (3, 5), (3, 7), (3, 8), (4, 5), (7, 100)])
def test_balanced_passes_a_perfect_rotation_that_is_not_a_multiple_of_the_backends(backends, requests):
    names = ['10.244.1.{0}'.format(i) for i in range(backends)]
    rotation = [names[i % backends] for i in range(requests)]
    result = analyse(rotation, expected_backends=names, mode='balanced')
    assert result['passed'], result['msg']
    assert result['msg'].startswith('{0} requests spread over {1} backends'.format(requests, backends))


def test_latency_stats():
    stats = rr.latency_stats([5.0, 1.0, 3.0, 2.0, None, 4.0, 100.0])
    assert stats == dict(min=1.0, median=3.5, p95=100.0, max=100.0, mean=19.167)
    assert rr.latency_stats([]) == dict(min=None, median=None, p95=None, max=None, mean=None)


# ---------------------------------------------------------------- a round

def test_perfect_cycle_passes_strict():
    result = analyse(PODS * 4)
    assert result['passed']
    assert result['cycle'] == PODS
    assert result['counts'] == dict((p, 4) for p in PODS)
    assert result['missing'] == [] and result['unexpected'] == [] and result['errors'] == []
    assert result['msg'] == '12 requests cycled through 3 backends: 10.244.0.7 -> 10.244.0.8 -> 10.244.0.9'


def test_single_backend_points_at_clusterip_balancing():
    result = analyse(['10.244.0.8'] * 12)
    assert not result['passed']
    assert result['missing'] == ['10.244.0.7', '10.244.0.9']
    assert 'only one backend answered (10.244.0.8) while 3 were expected: the edge is balancing per ' \
           'ClusterIP, not per pod (tutorial step 2?)' in result['msg']
    assert 'missing backends: 10.244.0.7, 10.244.0.9' in result['msg']


def test_missing_backend_suggests_readiness_and_wait_timeout():
    result = analyse(['10.244.0.7', '10.244.0.8'] * 6)
    assert not result['passed']
    assert result['msg'] == ('missing backends: 10.244.0.9 (seen: 10.244.0.7, 10.244.0.8): check that their '
                             'pods are Ready, or wait for discovery with wait_timeout')


def test_unexpected_backends_are_listed():
    result = analyse(PODS * 3 + ['10.244.0.99'] * 3)
    assert not result['passed']
    assert result['unexpected'] == ['10.244.0.99']
    assert result['msg'].startswith('unexpected backends answered: 10.244.0.99 (expected 10.244.0.7, ')


def test_expected_count_checks_the_number_of_distinct_backends():
    assert analyse(['x', 'y'] * 3, expected_backends=None, expected_count=2)['passed']
    result = analyse(['x', 'y', 'z'] * 2, expected_backends=None, expected_count=2)
    assert result['msg'] == '3 distinct backends answered (x, y, z), expected 2'
    assert result['missing'] == [] and result['unexpected'] == []
    result = analyse(['x'] * 4, expected_backends=None, expected_count=2)
    assert result['msg'].startswith('only one backend answered (x) while 2 were expected')


def test_strict_rejects_an_imperfect_cycle_that_balanced_accepts():
    names = ['a', 'b', 'c', 'a', 'c', 'b', 'b', 'a', 'c', 'c', 'b', 'a']
    strict = analyse(names, expected_backends=['a', 'b', 'c'])
    assert not strict['passed']
    assert strict['msg'].startswith('all 3 backends answered but not as a perfect cycle: requests 3-5 returned '
                                    'c, a, c; Envoy balances round robin per worker thread')
    assert analyse(names, expected_backends=['a', 'b', 'c'], mode='balanced')['passed']


def test_balanced_reports_counts_outside_tolerance():
    result = analyse(['a'] * 7 + ['b'] * 3 + ['c'] * 2, expected_backends=['a', 'b', 'c'], mode='balanced')
    assert not result['passed']
    assert result['msg'] == ('the load is not balanced: a=7, c=2 lie more than one request and more than 20% '
                             '(tolerance 0.2) away from the ideal share of 4 requests per backend (counts: a=7, '
                             'b=3, c=2); several Envoy workers or other traffic skew the rotation: send more '
                             'requests or raise tolerance')
    result = analyse(['a'] * 3 + ['b'] * 2 + ['c'] * 2, expected_backends=['a', 'b', 'c'], mode='balanced',
                     tolerance=0)
    assert result['passed']


def test_errors_are_listed_per_request_and_summarised():
    answers = [answer(p) for p in PODS] + [answer(status=None, error='refused')] * 2 + [answer(status=502)]
    result = rr.analyse_round(answers, 'resolvedname', expected_backends=PODS)
    assert not result['passed']
    assert [e['request'] for e in result['errors']] == [4, 5, 6]
    assert result['errors'][2] == dict(request=6, kind=rr.STATUS, status=502, msg='HTTP 502 (application/json)')
    assert result['msg'] == '3 of 6 requests failed: refused (request 4, 5) | HTTP 502 (application/json) (request 6)'


def test_latency_covers_every_request_of_the_round():
    answers = [answer('a', latency=2.0), answer(status=None, error='x', latency=8.0)]
    assert rr.analyse_round(answers, 'resolvedname', expected_count=1)['latency_ms']['max'] == 8.0


# ---------------------------------------------------------------- parameters

@pytest.mark.parametrize('overrides, fragment', [
    (dict(expected_backends=None), 'one of expected_backends or expected_count is required'),
    (dict(expected_backends=[]), 'expected_backends is empty'),
    (dict(expected_backends=None, expected_count=0), 'expected_count must be at least 1'),
    (dict(requests=2), 'requests (2) must be at least the number of expected backends (3)'),
    (dict(mode='random'), 'mode must be one of strict, balanced'),
    (dict(tolerance=-0.1), 'tolerance must not be negative'),
    (dict(wait_timeout=-1), 'wait_timeout must not be negative'),
    (dict(wait_interval=0), 'wait_interval must be positive'),
    (dict(field='a..b'), "field must be a dotted path"),
])
def test_check_params_rejects(overrides, fragment):
    assert fragment in rr.check_params(params(**overrides))


def test_check_params_accepts_defaults_and_counts_duplicates_once():
    assert rr.check_params(params()) is None
    assert rr.check_params(params(expected_backends=['a', 'a', 'b'], requests=2)) is None


# ---------------------------------------------------------------- rounds over time

def scripted_fetch(rounds, clock, seconds_per_request=0.01):
    """fetch() that answers round after round from a list of name lists."""
    queue = [name for names in rounds for name in names]

    def fetch():
        clock.now += seconds_per_request
        return answer(queue.pop(0))
    return fetch


def test_run_check_single_round_by_default():
    clock = FakeClock()
    result = rr.run_check(scripted_fetch([['a', 'b'] * 2], clock), params(requests=4, expected_backends=['a', 'b']),
                          clock, clock.sleep)
    assert result['passed'] and result['rounds'] == 1 and result['waited_s'] == 0
    assert clock.sleeps == []


def test_run_check_retries_until_the_expected_set_appears():
    clock = FakeClock()
    fetch = scripted_fetch([['a', 'b'] * 3, ['a', 'b'] * 3, PODS * 2], clock)
    result = rr.run_check(fetch, params(requests=6, expected_backends=None, expected_count=3,
                                        wait_timeout=30, wait_interval=5), clock, clock.sleep)
    assert result['passed']
    assert result['rounds'] == 3
    assert clock.sleeps == [5, 5]
    assert result['waited_s'] == pytest.approx(10.12)


def test_run_check_gives_up_after_wait_timeout_and_says_so():
    clock = FakeClock()
    fetch = scripted_fetch([['a'] * 3] * 10, clock, seconds_per_request=1)
    result = rr.run_check(fetch, params(requests=3, expected_backends=['a', 'b'], wait_timeout=12,
                                        wait_interval=4), clock, clock.sleep)
    assert not result['passed']
    assert result['rounds'] == 3
    assert clock.sleeps == [4, 2]
    assert result['waited_s'] == 12
    assert result['msg'].startswith('still failing after 3 rounds over 12s: only one backend answered (a)')


@pytest.mark.parametrize("pct", [1, 7, 14, 28, 29, 50, 55, 56, 57, 95, 99, 100])
def test_percentile_is_the_nearest_rank_of_exact_arithmetic(pct):
    """p of 100 values is the p-th smallest: float rank arithmetic misses 7, 14, 28, 55 and 56."""
    values = list(range(1, 101))
    assert rr.percentile(values, pct) == pct
