# -*- coding: utf-8 -*-
# Copyright: (c) envoy_mesh.lab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks that a load balancer spreads sequential requests over every backend.

Everything here is a pure function of its arguments except execute(), which is
handed the opener factory, the clock and sleep; sending one request lives in
round_robin_http. Stdlib only and Python 3.6 syntax: the module may run on old nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
from fractions import Fraction

# reusable_opener is re-exported: the module and callers that send their own rounds take it from here.
from ansible_collections.envoy_mesh.lab.plugins.module_utils.round_robin_http import (  # pylint: disable=unused-import
    display_url, fetch_once, gssapi_problem, may_write, method_problem, request_options, reusable_opener,
    tls_options, tls_problem, tls_setup_problem, SAFE_METHODS,
)

MODES = ('strict', 'balanced')
DEFAULT_FIELD = 'resolvedname'
SNIPPET_CHARS = 80

# Error kinds of one request, in the order a response is examined.
CONNECTION = 'connection'
STATUS = 'status'
NOT_JSON = 'not_json'
MISSING_FIELD = 'missing_field'
NOT_OK = 'not_ok'


# ---------------------------------------------------------------- parameters

def expected_size(expected_backends, expected_count):
    """Number of backends the caller expects (K)."""
    if expected_backends is not None:
        return len(unique(expected_backends))
    return expected_count


def check_params(params):
    """Return a message for the first invalid combination of options, or None."""
    k = expected_size(params.get('expected_backends'), params.get('expected_count'))
    field = params.get('field') or ''
    if params.get('expected_backends') is None and params.get('expected_count') is None:
        return 'one of expected_backends or expected_count is required'
    if params.get('expected_backends') is not None and not k:
        return 'expected_backends is empty: no backend to check (did the pod lookup find no pod?)'
    if k is None or k < 1:
        return 'expected_count must be at least 1'
    if params.get('requests', 0) < k:
        return 'requests ({0}) must be at least the number of expected backends ({1})'.format(
            params.get('requests'), k)
    if params.get('mode') not in MODES:
        return 'mode must be one of {0}'.format(', '.join(MODES))
    if params.get('tolerance', 0) < 0:
        return 'tolerance must not be negative'
    if params.get('wait_timeout', 0) < 0:
        return 'wait_timeout must not be negative'
    if params.get('wait_interval', 1) <= 0:
        return 'wait_interval must be positive'
    if not field or '' in field.split('.'):
        return 'field must be a dotted path such as resolvedname or data.ip, got {0!r}'.format(field)
    return method_problem(params.get('method', 'GET')) or tls_problem(params)


# ---------------------------------------------------------------- one answer

def parse_answer(answer, field, require_ok=False, status_codes=(200,)):
    """Turn a raw answer into (value, error); error is a dict(kind, msg) or None.

    Never raises, whatever the body holds.
    """
    if answer.get('error'):
        return None, make_error(CONNECTION, answer['error'])
    status = answer.get('status')
    body = answer.get('body') or b''
    content_type = media_type(answer.get('content_type'))
    if status not in status_codes:
        return None, make_error(STATUS, describe_status(status, content_type, body))
    ok, data = decode_json(body)
    if not ok:
        return None, make_error(NOT_JSON, describe_not_json(content_type, body, data))
    found, value = lookup_field(data, field)
    if not found:
        return None, make_error(MISSING_FIELD, value)
    if require_ok and not (isinstance(data, dict) and data.get('ok') is True):
        return None, make_error(NOT_OK, describe_not_ok(data))
    return value, None


def make_error(kind, msg):
    return dict(kind=kind, msg=msg)


def media_type(content_type):
    if not content_type:
        return None
    return str(content_type).partition(';')[0].strip().lower() or None


def snippet(body):
    """Short printable start of a body for messages."""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode('utf-8', 'replace')
    text = ' '.join(str(body).split())
    return text[:SNIPPET_CHARS] + ('...' if len(text) > SNIPPET_CHARS else '')


def decode_json(body):
    """(True, data) for a JSON body, (False, reason) otherwise."""
    try:
        if isinstance(body, (bytes, bytearray)):
            body = bytes(body).decode('utf-8')
        return True, json.loads(body)
    except (ValueError, RecursionError) as exc:
        # ValueError covers UnicodeDecodeError and JSONDecodeError.
        return False, str(exc).partition('\n')[0]


STATUS_HINTS = {
    401: ('the server wants credentials it accepts: set url_username and url_password '
          '(and force_basic_auth when it does not ask for them)'),
    407: 'the proxy wants credentials: set use_proxy to false, or give them in the proxy URL',
}


def describe_status(status, content_type, body):
    msg = 'HTTP {0}'.format(status)
    if content_type:
        msg += ' ({0})'.format(content_type)
    text = snippet(body)
    if text:
        msg += ': {0}'.format(text)
    if status in STATUS_HINTS:
        msg += ': {0}'.format(STATUS_HINTS[status])
    return msg


def describe_not_json(content_type, body, reason):
    if content_type and content_type != 'application/json':
        return ("the URL answered {0}, not JSON: is it the edge Envoy's /user route? "
                '(body: {1})'.format(content_type, snippet(body) or 'empty'))
    if not body:
        return 'the URL answered an empty body, not JSON'
    return 'the body is not JSON ({0}): {1}'.format(reason, snippet(body))


def describe_not_ok(data):
    if isinstance(data, dict):
        detail = data.get('error') or data.get('msg')
        if detail:
            return 'the answer has ok={0}: {1}'.format(json.dumps(data.get('ok')), snippet(detail))
        return 'the answer has ok={0}'.format(json.dumps(data.get('ok')))
    return 'the answer is a JSON {0}, not an object with ok'.format(type(data).__name__)


def lookup_field(data, path):
    """(True, value as text) for a dotted path, (False, message naming what is there) otherwise.

    Path parts index objects by key and lists by position (items.0.ip).
    """
    current = data
    walked = []
    for part in path.split('.'):
        here = '.'.join(walked) or 'the answer'
        if isinstance(current, dict):
            if part not in current:
                return False, 'no field {0!r} in {1} (keys present: {2})'.format(
                    part, here, ', '.join(sorted(str(k) for k in current)) or 'none')
            current = current[part]
        elif isinstance(current, list):
            if not part.isdigit() or int(part) >= len(current):
                return False, 'no item {0!r} in {1} (a list of {2} items)'.format(part, here, len(current))
            current = current[int(part)]
        else:
            return False, 'no field {0!r}: {1} is a JSON {2}, not an object'.format(
                part, here, json_type(current))
        walked.append(part)
    if current is None or isinstance(current, (dict, list)):
        return False, 'field {0!r} is a JSON {1}, not a backend name'.format(path, json_type(current))
    return True, current if isinstance(current, str) else json.dumps(current)


def json_type(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'array'
    return 'object'


# ---------------------------------------------------------------- a sequence

def unique(values):
    """Distinct values in first-seen order."""
    seen = set()
    result = []
    for value in values:
        if value not in seen:
            seen.add(value)
            result.append(value)
    return result


def count_values(sequence):
    counts = {}
    for value in sequence:
        counts[value] = counts.get(value, 0) + 1
    return counts


def detect_cycle(sequence):
    """Shortest prefix that repeats over the whole sequence, seen at least twice; None if none."""
    n = len(sequence)
    for period in range(1, n // 2 + 1):
        if all(sequence[i] == sequence[i - period] for i in range(period, n)):
            return list(sequence[:period])
    return None


def strict_violation(sequence, k):
    """Start of the first window of k consecutive answers without k distinct backends, or None."""
    if len(sequence) < k:
        return 0
    for start in range(len(sequence) - k + 1):
        if len(set(sequence[start:start + k])) < k:
            return start
    return None


def balanced_violations(counts, backends, tolerance):
    """Backends whose count is further from the ideal share than one request and than tolerance x share.

    The ideal share is the number of answers over the number of backends. A perfect
    rotation gives each backend the share rounded down or up, less than one request
    away, so it passes whatever the tolerance (12 answers over 5 backends: 3,3,2,2,2).
    """
    if not backends:
        return []
    answers = sum(counts.get(b, 0) for b in backends)
    k = len(backends)
    share = answers / k

    def off_balance(count):
        # |count - share| <= 1, in integers: within one request of the share.
        within_one_request = abs(count * k - answers) <= k
        return not within_one_request and abs(count - share) > tolerance * share + 1e-9
    return [b for b in backends if off_balance(counts.get(b, 0))]


def percentile(sorted_values, pct):
    """Nearest-rank percentile of an ascending list (the rank computed exactly: 7 / 100.0 * 100 is 7.000000000000001)."""
    rank = max(1, int(math.ceil(Fraction(pct) * len(sorted_values) / 100)))
    return sorted_values[rank - 1]


def latency_stats(latencies):
    values = sorted(v for v in latencies if v is not None)
    if not values:
        return dict(min=None, median=None, p95=None, max=None, mean=None)
    mid = len(values) // 2
    median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2.0
    return dict(
        min=values[0],
        median=round(median, 3),
        p95=percentile(values, 95),
        max=values[-1],
        mean=round(sum(values) / len(values), 3),
    )


# ---------------------------------------------------------------- a round

def analyse_round(answers, field, expected_backends=None, expected_count=None, mode='strict',
                  tolerance=0.2, require_ok=False, status_codes=(200,)):
    """Analyse the raw answers of one round; returns the result fields plus 'passed'."""
    sequence = []
    errors = []
    for index, answer in enumerate(answers, 1):
        value, error = parse_answer(answer, field, require_ok, status_codes)
        if error is None:
            sequence.append(value)
        else:
            error.update(request=index, status=answer.get('status'))
            errors.append(error)
    counts = count_values(sequence)
    backends = unique(sequence)
    expected = unique(str(b) for b in expected_backends) if expected_backends is not None else None
    result = dict(
        sequence=sequence,
        counts=counts,
        backends=backends,
        missing=[b for b in expected if b not in counts] if expected is not None else [],
        unexpected=[b for b in backends if b not in expected] if expected is not None else [],
        cycle=detect_cycle(sequence),
        errors=errors,
        latency_ms=latency_stats(a.get('latency_ms') for a in answers),
    )
    problems = find_problems(result, len(answers), expected, expected_size(expected, expected_count),
                             mode, tolerance)
    result['passed'] = not problems
    result['msg'] = '; '.join(problems) if problems else describe_success(result, mode)
    return result


def find_problems(result, requests, expected, k, mode, tolerance):
    """Messages naming what was seen and its likely cause; empty when the round passes."""
    problems = []
    if result['errors']:
        problems.append(describe_errors(result['errors'], requests))
    if not result['sequence']:
        return problems
    backends = result['backends']
    if result['unexpected']:
        problems.append('unexpected backends answered: {0} (expected {1}): stale endpoints, '
                        'or a URL that reaches another service?'.format(
                            ', '.join(result['unexpected']), ', '.join(expected)))
    if len(backends) == 1 and k > 1:
        problems.append('only one backend answered ({0}) while {1} were expected: the edge is '
                        'balancing per ClusterIP, not per pod (tutorial step 2?), or the other '
                        'pods are not Ready'.format(backends[0], k))
        if expected is None:
            return problems
    if result['missing']:
        problems.append('missing backends: {0} (seen: {1}): check that their pods are Ready, or '
                        'wait for discovery with wait_timeout'.format(
                            ', '.join(result['missing']), ', '.join(backends)))
    elif expected is None and len(backends) != k:
        problems.append('{0} distinct backends answered ({1}), expected {2}{3}'.format(
            len(backends), ', '.join(backends), k,
            ': check pod readiness, or wait with wait_timeout' if len(backends) < k else ''))
    if problems or result['errors']:
        return problems
    if mode == 'strict':
        start = strict_violation(result['sequence'], k)
        if start is not None:
            problems.append(describe_strict_violation(result['sequence'], start, k))
    else:
        late = balanced_violations(result['counts'], backends, tolerance)
        if late:
            problems.append(describe_unbalanced(result['counts'], backends, tolerance))
    return problems


def describe_errors(errors, requests):
    """'N of M requests failed' plus each distinct failure once, most frequent first."""
    by_msg = {}
    for error in errors:
        by_msg.setdefault(error['msg'], []).append(error['request'])
    parts = []
    for msg, indexes in sorted(by_msg.items(), key=lambda item: (-len(item[1]), item[1][0])):
        parts.append('{0} (request {1})'.format(msg, format_indexes(indexes)))
    return '{0} of {1} requests failed: {2}'.format(len(errors), requests, ' | '.join(parts))


def format_indexes(indexes):
    if len(indexes) > 4:
        return '{0}, ... {1}'.format(', '.join(str(i) for i in indexes[:3]), indexes[-1])
    return ', '.join(str(i) for i in indexes)


def describe_strict_violation(sequence, start, k):
    window = sequence[start:start + k]
    return ('all {0} backends answered but not as a perfect cycle: requests {1}-{2} returned {3}; '
            'Envoy balances round robin per worker thread (run the edge with --concurrency 1) '
            'or use mode=balanced'.format(k, start + 1, start + len(window), ', '.join(window)))


def describe_unbalanced(counts, backends, tolerance):
    share = sum(counts.get(b, 0) for b in backends) / len(backends)
    late = balanced_violations(counts, backends, tolerance)
    return ('the load is not balanced: {0} lie more than one request and more than {1:g}% (tolerance {2:g}) '
            'away from the ideal share of {3:g} requests per backend (counts: {4}); several Envoy workers '
            'or other traffic skew the rotation: send more requests or raise tolerance'.format(
                format_counts(counts, late), tolerance * 100, tolerance, round(share, 3),
                format_counts(counts, backends)))


def format_counts(counts, backends):
    return ', '.join('{0}={1}'.format(b, counts.get(b, 0)) for b in backends)


def describe_success(result, mode):
    n = len(result['sequence'])
    if mode == 'strict' and result['cycle']:
        return '{0} requests cycled through {1} backends: {2}'.format(
            n, len(result['backends']), ' -> '.join(result['cycle']))
    return '{0} requests spread over {1} backends: {2}'.format(
        n, len(result['backends']), format_counts(result['counts'], result['backends']))


# ---------------------------------------------------------------- rounds over time

def run_check(fetch, params, clock, sleep):
    """Run rounds of params['requests'] fetches until one passes or wait_timeout has passed.

    fetch() returns one raw answer (see fetch_once). The result adds rounds and
    waited_s, the seconds between the start of the first round and the last.
    """
    first_start = clock()
    rounds = 0
    while True:
        round_start = clock()
        answers = [fetch() for dummy in range(params['requests'])]
        rounds += 1
        result = analyse_round(
            answers, params['field'],
            expected_backends=params.get('expected_backends'),
            expected_count=params.get('expected_count'),
            mode=params.get('mode', 'strict'),
            tolerance=params.get('tolerance', 0.2),
            require_ok=params.get('require_ok', False),
            status_codes=params.get('status_code') or (200,),
        )
        remaining = params.get('wait_timeout', 0) - (clock() - first_start)
        if result['passed'] or remaining <= 0:
            break
        sleep(min(params.get('wait_interval', 1), remaining))
    result['rounds'] = rounds
    result['waited_s'] = round(round_start - first_start, 3)
    if rounds > 1 and not result['passed']:
        result['msg'] = 'still failing after {0} rounds over {1:g}s: {2}'.format(
            rounds, result['waited_s'], result['msg'])
    return result


# ---------------------------------------------------------------- the module's run

def execute(params, check_mode, make_opener, clock, sleep):
    """Everything the module does, its I/O injected; the result adds passed, changed and sent.

    make_opener(**tls_options) returns an opener (see reusable_opener). Requests that may
    write (any method but GET, HEAD and OPTIONS) report a change, since the module cannot
    tell what the server did with them; in check mode they are not sent at all.
    """
    problem = check_params(params) or gssapi_problem(params.get('use_gssapi'))
    if problem:
        return unsent_result(problem)
    writes = may_write(params.get('method', 'GET'))
    if check_mode and writes:
        return unsent_result(describe_unsent(params), passed=True, changed=True)
    tls = tls_options(params)
    try:
        opener = make_opener(**tls)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        return unsent_result(tls_setup_problem(tls, exc))
    request = request_options(params)

    def fetch():
        return fetch_once(opener, params['url'], clock, **request)

    result = run_check(fetch, params, clock, sleep)
    result.update(changed=writes, sent=True)
    return result


def unsent_result(msg, passed=False, changed=False):
    """The result when no request was sent: every return value present, and empty."""
    return dict(passed=passed, changed=changed, sent=False, msg=msg, sequence=[], counts={}, backends=[],
                missing=[], unexpected=[], cycle=None, errors=[], latency_ms=latency_stats([]), rounds=0,
                waited_s=0.0)


def describe_unsent(params):
    method = params.get('method', 'GET').upper()
    return ('check mode: {0} {1} requests to {2} not sent, since {1} may change data on the server '
            '(only {3} requests are sent in check mode); run without check mode to check the '
            'rotation'.format(params['requests'], method, display_url(params['url']), ', '.join(SAFE_METHODS)))
