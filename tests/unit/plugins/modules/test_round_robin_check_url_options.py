# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""uri's URL options of the module, run as Ansible runs it against real servers on loopback."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.envoy_mesh.lab.tests.unit.plugins.backends import (
    basic_auth, closed_port_url, cycling, json_reply,
)
from ansible_collections.envoy_mesh.lab.tests.unit.plugins.certs import CLIENT_CN
from ansible_collections.envoy_mesh.lab.tests.unit.plugins.module_runner import run_module, run_module_raw

PODS = ['10.244.0.7', '10.244.0.8', '10.244.0.9']
USER = 'checker'
PASSWORD = 'n0t-in-any-output-7f3a'


def authorizations(server):
    return [r['headers'].get('authorization') for r in server.requests]


# ---------------------------------------------------------------- Basic credentials

def test_url_username_and_password_answer_the_servers_challenge(tmp_path, backend_server):
    server = backend_server(basic_auth(USER, PASSWORD, cycling(PODS)))
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, requests=3,
                        url_username=USER, url_password=PASSWORD)
    assert not result.get('failed'), result['msg']
    # Without force_basic_auth every request first goes without credentials and gets the 401 challenge.
    assert len(server.requests) == 6
    assert authorizations(server)[0::2] == [None] * 3
    assert all(a and a.startswith('Basic ') for a in authorizations(server)[1::2])


def test_force_basic_auth_sends_the_credentials_with_the_first_request(tmp_path, backend_server):
    server = backend_server(basic_auth(USER, PASSWORD, cycling(PODS), challenge=False))
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, requests=3,
                        url_username=USER, url_password=PASSWORD, force_basic_auth=True)
    assert not result.get('failed'), result['msg']
    assert len(server.requests) == 3
    assert all(a and a.startswith('Basic ') for a in authorizations(server))


def test_a_server_that_does_not_ask_needs_force_basic_auth_and_says_so(tmp_path, backend_server):
    server = backend_server(basic_auth(USER, PASSWORD, cycling(PODS), challenge=False))
    result, output = run_module_raw(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, requests=3,
                                    url_username=USER, url_password=PASSWORD)
    assert result['failed']
    assert authorizations(server) == [None] * 3
    assert ('3 of 3 requests failed: HTTP 401 (application/json): {"ok": false, "error": "unauthorized"}: the '
            'server wants credentials it accepts: set url_username and url_password (and force_basic_auth when '
            'it does not ask for them)') in result['msg']
    assert PASSWORD not in output


def test_url_password_never_appears_in_the_output(tmp_path, backend_server):
    server = backend_server(basic_auth(USER, 'another-password', cycling(PODS)))
    result, output = run_module_raw(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, requests=3,
                                    url_username=USER, url_password=PASSWORD, force_basic_auth=True)
    assert result['failed']
    assert result['invocation']['module_args']['url_password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert PASSWORD not in output


def test_credentials_from_netrc_unless_use_netrc_is_false(tmp_path, backend_server):
    server = backend_server(basic_auth('netrc-user', 'netrc-pass', cycling(PODS), challenge=False))
    netrc = tmp_path / 'netrc'
    netrc.write_text('machine 127.0.0.1 login netrc-user password netrc-pass\n')
    netrc.chmod(0o600)
    env = dict(NETRC=str(netrc))
    result = run_module(tmp_path, env=env, url=server.url + '/user/alice', expected_backends=PODS, requests=3)
    assert not result.get('failed'), result['msg']
    result = run_module(tmp_path, env=env, url=server.url + '/user/alice', expected_backends=PODS, requests=3,
                        use_netrc=False)
    assert result['failed'] and 'HTTP 401' in result['msg']
    assert [a is None for a in authorizations(server)] == [False] * 3 + [True] * 3


# ---------------------------------------------------------------- TLS

def test_ca_path_validates_a_server_of_a_private_ca(tmp_path, tls_backend_server, pki):
    server = tls_backend_server(cycling(PODS))
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, ca_path=pki.ca)
    assert not result.get('failed'), result['msg']
    assert result['cycle'] == PODS and len(server.requests) == 12


def test_without_ca_path_the_private_ca_is_not_trusted(tmp_path, tls_backend_server):
    server = tls_backend_server(cycling(PODS))
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, requests=3)
    assert result['failed'] and server.requests == []
    assert result['msg'].startswith('3 of 3 requests failed: the TLS certificate of {0}/user/alice is not '
                                    'trusted ('.format(server.url))
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, requests=3,
                        validate_certs=False)
    assert not result.get('failed'), result['msg']


@pytest.mark.parametrize('combined', [False, True], ids=['key-file', 'key-in-cert-file'])
def test_client_cert_and_key_reach_a_server_that_requires_them(tmp_path, tls_backend_server, pki, combined):
    server = tls_backend_server(cycling(PODS), require_client_cert=True)
    if combined:
        certs = dict(client_cert=pki.client_combined)
    else:
        certs = dict(client_cert=pki.client_cert, client_key=pki.client_key)
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, ca_path=pki.ca, **certs)
    assert not result.get('failed'), result['msg']
    assert [r['client_cn'] for r in server.requests] == [CLIENT_CN] * 12


def test_a_server_that_requires_a_client_certificate_is_named(tmp_path, tls_backend_server, pki):
    server = tls_backend_server(cycling(PODS), require_client_cert=True, tls_version='TLSv1_2')
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, requests=3,
                        ca_path=pki.ca)
    assert result['failed'] and server.requests == []
    assert 'did not accept the client certificate' in result['msg']
    assert 'set client_cert and client_key' in result['msg']


def test_a_client_key_that_does_not_match_fails_before_any_request(tmp_path, tls_backend_server, pki):
    server = tls_backend_server(cycling(PODS), require_client_cert=True)
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, ca_path=pki.ca,
                        client_cert=pki.client_cert, client_key=pki.stranger_key)
    assert result['failed'] and result['sent'] is False and server.requests == []
    assert result['msg'].startswith("client_cert '{0}' with client_key '{1}' cannot be used (".format(
        pki.client_cert, pki.stranger_key))


# ---------------------------------------------------------------- headers and proxy

def test_http_agent_is_what_the_server_sees(tmp_path, backend_server):
    server = backend_server(cycling(PODS))
    run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, requests=3)
    run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, requests=3,
               http_agent='mesh-validate/0.1')
    assert [r['headers']['user-agent'] for r in server.requests] == ['ansible-httpget'] * 3 + ['mesh-validate/0.1'] * 3


def test_force_asks_caches_for_a_fresh_answer(tmp_path, backend_server):
    server = backend_server(cycling(PODS))
    run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, requests=3, force=True)
    assert [r['headers'].get('cache-control') for r in server.requests] == ['no-cache'] * 3


def test_use_proxy_decides_whether_http_proxy_is_used(tmp_path, backend_server):
    backend = backend_server(cycling(PODS))
    proxy = backend_server(lambda request: json_reply('via-proxy'))
    env = dict(http_proxy=proxy.url)
    url = backend.url + '/user/alice'
    through_proxy = run_module(tmp_path, env=env, url=url, expected_count=1, requests=3)
    assert not through_proxy.get('failed'), through_proxy['msg']
    assert through_proxy['backends'] == ['via-proxy']
    assert [r['path'] for r in proxy.requests] == [url] * 3 and backend.requests == []
    direct = run_module(tmp_path, env=env, url=url, expected_backends=PODS, requests=3, use_proxy=False)
    assert not direct.get('failed'), direct['msg']
    assert len(backend.requests) == 3 and len(proxy.requests) == 3


def test_a_password_in_the_url_is_masked_in_messages(tmp_path):
    url = closed_port_url().replace('http://', 'http://bob:{0}@'.format(PASSWORD))
    result = run_module(tmp_path, url=url, expected_count=1, requests=1)
    assert result['failed']
    assert PASSWORD not in result['msg']
    assert 'connection refused by http://bob:********@127.0.0.1:' in result['msg']
