# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""execute(), the module's whole run, with a recording opener instead of the network."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import json

import pytest

from ansible_collections.envoy_mesh.lab.plugins.module_utils import round_robin as rr
from ansible_collections.envoy_mesh.lab.plugins.module_utils import round_robin_http
from ansible_collections.envoy_mesh.lab.plugins.modules.round_robin_check import argument_spec

PODS = ['10.244.0.7', '10.244.0.8', '10.244.0.9']
RESULT_KEYS = {'passed', 'changed', 'sent', 'msg', 'sequence', 'counts', 'backends', 'missing', 'unexpected',
               'cycle', 'errors', 'latency_ms', 'rounds', 'waited_s'}


def module_params(**overrides):
    """Params as AnsibleModule hands them over: every option of the module's spec, defaults filled in."""
    params = dict((name, option.get('default')) for name, option in argument_spec().items())
    params.update(url='http://127.0.0.1:30800/user/alice', expected_backends=list(PODS))
    params.update(overrides)
    return params


class Response:
    def __init__(self, name):
        self.status = 200
        self.headers = {'Content-Type': 'application/json'}
        self._body = json.dumps(dict(ok=True, resolvedname=name)).encode()

    def read(self):
        return self._body


class RecordingOpener:
    """make_opener for execute(): records the TLS options and every request, answers round robin."""

    def __init__(self, names=tuple(PODS)):
        self.names = itertools.cycle(names)
        self.tls = None
        self.requests = []

    def make(self, **tls):
        self.tls = tls
        return self.open

    def open(self, url, **request):
        self.requests.append(dict(request, url=url))
        return Response(next(self.names))


def run(params, check_mode=False, opener=None):
    opener = opener or RecordingOpener()
    clock = itertools.count(100.0, 0.001)
    return rr.execute(params, check_mode, opener.make, lambda: next(clock), lambda seconds: None), opener


def test_a_get_round_passes_and_changes_nothing():
    result, opener = run(module_params())
    assert set(result) == RESULT_KEYS
    assert result['passed'] and result['sent'] and not result['changed']
    assert len(opener.requests) == 12
    assert opener.tls == dict(validate_certs=True)


def test_uri_options_reach_every_request_and_the_tls_context():
    params = module_params(url_username='checker', url_password='s3cret', force_basic_auth=True,
                           http_agent='probe/1', use_proxy=False, force=True, use_netrc=False, timeout=3,
                           validate_certs=False, ca_path='/etc/ca.pem', client_cert='/etc/c.pem',
                           client_key='/etc/k.pem', ciphers=['ECDHE+AESGCM'], requests=3)
    result, opener = run(params)
    assert result['passed'], result['msg']
    assert opener.tls == dict(validate_certs=False, ca_path='/etc/ca.pem', client_cert='/etc/c.pem',
                              client_key='/etc/k.pem', ciphers=['ECDHE+AESGCM'])
    assert opener.requests[0] == dict(
        url=params['url'], method='GET', headers={}, data=None, timeout=3, use_proxy=False, force=True,
        http_agent='probe/1', url_username='checker', url_password='s3cret', force_basic_auth=True,
        use_gssapi=False, use_netrc=False)


@pytest.mark.parametrize('method', ['PUT', 'POST', 'DELETE', 'PATCH', 'put'])
def test_a_method_that_may_write_is_sent_and_reported_as_a_change(method):
    result, opener = run(module_params(method=method, body='{}', body_format='json'))
    assert result['passed'] and result['sent'] and result['changed']
    assert {r['method'] for r in opener.requests} == {method.upper()}


@pytest.mark.parametrize('method', ['PUT', 'POST', 'DELETE', 'PATCH', 'put'])
def test_check_mode_builds_no_opener_for_a_method_that_may_write(method):
    class NoOpener(RecordingOpener):
        def make(self, **tls):
            raise AssertionError('check mode must not prepare requests that may write')
    result, dummy = run(module_params(method=method), check_mode=True, opener=NoOpener())
    assert set(result) == RESULT_KEYS
    assert result['passed'] and result['changed'] and not result['sent']
    assert result['sequence'] == [] and result['counts'] == {} and result['rounds'] == 0
    assert result['msg'].startswith('check mode: 12 {0} requests to http://127.0.0.1:30800/user/alice not '
                                    'sent, since {0} may change data'.format(method.upper()))


@pytest.mark.parametrize('method', ['GET', 'HEAD', 'OPTIONS'])
def test_check_mode_sends_a_safe_method(method):
    result, opener = run(module_params(method=method), check_mode=True)
    assert result['sent'] and not result['changed']
    assert len(opener.requests) == 12


def test_check_mode_masks_the_password_of_the_url_in_its_message():
    result, dummy = run(module_params(method='PUT', url='http://bob:s3cret@edge/user/alice'), check_mode=True)
    assert 's3cret' not in result['msg'] and 'http://bob:********@edge/user/alice' in result['msg']


@pytest.mark.parametrize('overrides, msg', [
    (dict(requests=2), 'requests (2) must be at least the number of expected backends (3)'),
    (dict(method='GET /x'), "method must be an HTTP method such as GET or PUT, got 'GET /x'"),
    (dict(client_key='/k.pem'), 'client_key needs client_cert: give the client certificate too (or only '
                                'client_cert, when that file holds the key as well)'),
])
def test_bad_options_fail_before_anything_is_sent(overrides, msg):
    for check_mode in (False, True):
        result, opener = run(module_params(**overrides), check_mode=check_mode)
        assert set(result) == RESULT_KEYS
        assert not result['passed'] and not result['sent'] and not result['changed']
        assert result['msg'] == msg
        assert opener.tls is None and opener.requests == []


def test_use_gssapi_without_the_library_fails_with_the_fix(monkeypatch):
    monkeypatch.setattr(round_robin_http, 'HTTPGSSAPIAuthHandler', None)
    result, opener = run(module_params(use_gssapi=True))
    assert not result['passed'] and opener.requests == []
    assert result['msg'].startswith('use_gssapi needs the Python library gssapi')


def test_tls_files_that_cannot_be_used_fail_before_anything_is_sent(tmp_path):
    params = module_params(ca_path=str(tmp_path / 'missing-ca.pem'))
    result = rr.execute(params, False, rr.reusable_opener, lambda: 0.0, lambda seconds: None)
    assert not result['passed'] and not result['sent']
    assert result['msg'].startswith("ca_path '{0}' cannot be used (".format(tmp_path / 'missing-ca.pem'))
