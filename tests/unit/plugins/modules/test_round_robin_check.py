# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module run as Ansible runs it (a separate Python process) against a real local server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import json

import pytest

from ansible_collections.envoy_mesh.lab.tests.unit.plugins.backends import (
    closed_port_url, cycling, fixed, json_reply,
)
from ansible_collections.envoy_mesh.lab.tests.unit.plugins.module_runner import run_module

PODS = ['10.244.0.7', '10.244.0.8', '10.244.0.9']
FIVE_PODS = ['10.244.0.{0}'.format(i) for i in range(11, 16)]


def test_passes_on_a_perfect_cycle(tmp_path, backend_server):
    server = backend_server(cycling(PODS))
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, require_ok=True)
    assert not result.get('failed'), result['msg']
    assert result['changed'] is False and result['sent'] is True
    assert result['cycle'] == PODS
    assert result['sequence'] == PODS * 4
    assert result['rounds'] == 1 and result['waited_s'] == 0
    assert len(server.requests) == 12
    assert set(result['latency_ms']) == {'min', 'median', 'p95', 'max', 'mean'}


@pytest.mark.parametrize('method', ['GET', 'OPTIONS', 'HEAD', 'get'])
def test_check_mode_sends_requests_with_a_safe_method(tmp_path, backend_server, method):
    server = backend_server(cycling(PODS))
    result = run_module(tmp_path, check_mode=True, url=server.url + '/user/alice', method=method,
                        expected_count=3, requests=6)
    assert result['sent'] is True and result['changed'] is False
    assert [r['method'] for r in server.requests] == [method.upper()] * 6
    if method != 'HEAD':  # a HEAD answer has no JSON body to name the backend
        assert not result.get('failed'), result['msg']


@pytest.mark.parametrize('method', ['PUT', 'POST', 'DELETE', 'PATCH', 'put'])
def test_check_mode_sends_nothing_with_a_method_that_may_write(tmp_path, backend_server, method):
    server = backend_server(cycling(PODS))
    result = run_module(tmp_path, check_mode=True, url=server.url + '/user/alice', method=method,
                        body_format='json', body={'fullname': 'Alice', 'password': 'alicerules'},
                        expected_backends=PODS, wait_timeout=30)
    assert server.requests == []
    assert not result.get('failed'), result['msg']
    assert result['sent'] is False
    assert result['changed'] is True  # what the run outside check mode reports
    assert result['msg'] == (
        'check mode: 12 {0} requests to {1}/user/alice not sent, since {0} may change data on the server '
        '(only GET, HEAD, OPTIONS requests are sent in check mode); run without check mode to check the '
        'rotation'.format(method.upper(), server.url))
    assert result['rounds'] == 0 and result['sequence'] == [] and result['errors'] == []


def test_check_mode_still_rejects_bad_options(tmp_path):
    result = run_module(tmp_path, check_mode=True, url=closed_port_url(), method='PUT', expected_backends=PODS,
                        requests=2)
    assert result['failed'] and result['sent'] is False
    assert result['msg'] == 'requests (2) must be at least the number of expected backends (3)'


def test_rejects_a_method_that_is_no_http_method(tmp_path):
    result = run_module(tmp_path, url=closed_port_url(), method='GET /admin', expected_count=1)
    assert result['failed']
    assert result['msg'] == "method must be an HTTP method such as GET or PUT, got 'GET /admin'"


def test_balanced_mode_passes_a_perfect_rotation_of_12_requests_over_5_backends(tmp_path, backend_server):
    server = backend_server(cycling(FIVE_PODS))
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=FIVE_PODS, mode='balanced')
    assert not result.get('failed'), result['msg']
    assert sorted(result['counts'].values()) == [2, 2, 2, 3, 3]
    assert result['msg'] == '12 requests spread over 5 backends: {0}'.format(
        ', '.join('{0}={1}'.format(p, 3 if i < 2 else 2) for i, p in enumerate(FIVE_PODS)))


def test_balanced_mode_fails_a_skewed_load_and_names_the_backends(tmp_path, backend_server):
    skewed = itertools.cycle([PODS[0], PODS[0], PODS[1], PODS[0], PODS[2], PODS[1]])
    server = backend_server(lambda request: json_reply(next(skewed)))
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, mode='balanced')
    assert result['failed']
    assert result['counts'] == {PODS[0]: 6, PODS[1]: 4, PODS[2]: 2}
    assert result['msg'].startswith('the load is not balanced: {0}=6, {1}=2 lie more than one request and '
                                    'more than 20% (tolerance 0.2) away from the ideal share of 4 requests '
                                    'per backend'.format(PODS[0], PODS[2]))


def test_fails_with_the_step_2_diagnosis_when_one_pod_answers(tmp_path, backend_server):
    server = backend_server(cycling(['10.244.0.8']))
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS)
    assert result['failed'] and result['changed'] is False
    assert 'the edge is balancing per ClusterIP, not per pod (tutorial step 2?)' in result['msg']
    assert result['counts'] == {'10.244.0.8': 12}


def test_fails_on_an_html_page(tmp_path, backend_server):
    server = backend_server(fixed(200, 'text/html', b'<html>welcome</html>'))
    result = run_module(tmp_path, url=server.url + '/', expected_count=3)
    assert result['failed']
    assert "12 of 12 requests failed: the URL answered text/html, not JSON: is it the edge Envoy's /user route?" \
        in result['msg']
    assert {e['kind'] for e in result['errors']} == {'not_json'}


def test_fails_naming_the_url_when_nothing_listens(tmp_path):
    url = closed_port_url()
    result = run_module(tmp_path, url=url, expected_count=3, requests=3)
    assert result['failed']
    assert 'connection refused by {0}'.format(url) in result['msg']


def test_waits_for_a_new_backend_to_join(tmp_path, backend_server):
    before = itertools.cycle(PODS[:2])
    after = itertools.cycle(PODS)
    seen = itertools.count()
    server = backend_server(lambda request: json_reply(next(before) if next(seen) < 12 else next(after)))
    result = run_module(tmp_path, url=server.url + '/user/health', expected_backends=PODS, requests=6,
                        wait_timeout=30, wait_interval=0.2)
    assert not result.get('failed'), result['msg']
    assert result['rounds'] == 3
    assert result['waited_s'] >= 0.4


def test_sends_a_json_body_and_reports_the_possible_change(tmp_path, backend_server):
    server = backend_server(cycling(PODS))
    result = run_module(tmp_path, url=server.url + '/user/alice', method='PUT', body_format='json',
                        body={'fullname': 'Alice', 'password': 'alicerules'}, expected_backends=PODS, requests=3)
    assert not result.get('failed'), result['msg']
    assert result['sent'] is True and result['changed'] is True
    assert [r['method'] for r in server.requests] == ['PUT'] * 3
    assert json.loads(server.requests[0]['body']) == {'fullname': 'Alice', 'password': 'alicerules'}


def test_rejects_fewer_requests_than_backends(tmp_path):
    result = run_module(tmp_path, url=closed_port_url(), expected_backends=PODS, requests=2)
    assert result['failed']
    assert result['msg'] == 'requests (2) must be at least the number of expected backends (3)'
