# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request with uri's URL options, against real HTTP and HTTPS servers on loopback."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

import pytest
from ansible.module_utils.urls import Request, open_url

from ansible_collections.envoy_mesh.lab.plugins.module_utils import round_robin_http as http
from ansible_collections.envoy_mesh.lab.tests.unit.plugins.backends import (
    closed_port_url, cycling, fixed, json_reply,
)
from ansible_collections.envoy_mesh.lab.tests.unit.plugins.certs import CLIENT_CN


def fetch(url, opener=None, **request):
    request.setdefault('timeout', 5)
    return http.fetch_once(opener or http.reusable_opener(), url, time.monotonic, **request)


class RequestWithoutContext(Request):
    """ansible-core 2.16's Request, which takes no ssl context."""

    def __init__(self, *args, **kwargs):
        if 'context' in kwargs:
            raise TypeError("__init__() got an unexpected keyword argument 'context'")
        super(RequestWithoutContext, self).__init__(*args, **kwargs)


# ---------------------------------------------------------------- options

@pytest.mark.parametrize('method, writes', [
    ('GET', False), ('HEAD', False), ('OPTIONS', False), ('get', False),
    ('PUT', True), ('POST', True), ('DELETE', True), ('PATCH', True), ('PROPFIND', True), ('put', True),
])
def test_may_write(method, writes):
    assert http.may_write(method) is writes


def test_method_problem_names_the_bad_method():
    assert http.method_problem('PUT') is None
    assert http.method_problem('M-SEARCH') is None
    assert http.method_problem('') == "method must be an HTTP method such as GET or PUT, got ''"
    assert http.method_problem('GET /x') == "method must be an HTTP method such as GET or PUT, got 'GET /x'"


def test_tls_problem_wants_a_certificate_with_a_key():
    assert http.tls_problem(dict(client_key='/k.pem')).startswith('client_key needs client_cert')
    assert http.tls_problem(dict(client_cert='/c.pem', client_key='/k.pem')) is None
    assert http.tls_problem(dict(client_cert='/both.pem')) is None


def test_gssapi_problem_when_the_library_is_missing(monkeypatch):
    monkeypatch.setattr(http, 'HTTPGSSAPIAuthHandler', None)
    assert http.gssapi_problem(False) is None
    assert http.gssapi_problem(True) == ('use_gssapi needs the Python library gssapi on the host that runs the '
                                         'module (pip install gssapi), or set use_gssapi to false')


def test_request_and_tls_options_map_uri_params():
    params = dict(url='https://x/', method='put', headers={'X-A': '1'}, body={'a': 1}, body_format='json',
                  timeout=3, use_proxy=False, force=True, http_agent='probe/1', url_username='u',
                  url_password='p', force_basic_auth=True, use_gssapi=False, use_netrc=False,
                  validate_certs=False, ca_path='/ca.pem', client_cert='/c.pem', client_key=None, ciphers=['ECDHE'])
    assert http.request_options(params) == dict(
        method='PUT', headers={'X-A': '1', 'Content-Type': 'application/json'}, data=b'{"a": 1}', timeout=3,
        use_proxy=False, force=True, http_agent='probe/1', url_username='u', url_password='p',
        force_basic_auth=True, use_gssapi=False, use_netrc=False)
    assert http.tls_options(params) == dict(validate_certs=False, ca_path='/ca.pem', client_cert='/c.pem',
                                            ciphers=['ECDHE'])


def test_encode_body_and_headers():
    assert http.encode_body(None, 'raw') is None
    assert http.encode_body('x=1', 'raw') == b'x=1'
    assert json.loads(http.encode_body({'fullname': 'Alice'}, 'json')) == {'fullname': 'Alice'}
    assert http.encode_body('{"a": 1}', 'json') == b'{"a": 1}'
    assert http.request_headers({}, 'json') == {'Content-Type': 'application/json'}
    assert http.request_headers({'content-type': 'text/x'}, 'json') == {'content-type': 'text/x'}
    assert http.request_headers(None, 'raw') == {}


def test_display_url_masks_only_the_password():
    assert http.display_url('http://127.0.0.1:30800/user/alice') == 'http://127.0.0.1:30800/user/alice'
    assert http.display_url('http://bob:s3cret@edge:8080/x?y=1') == 'http://bob:********@edge:8080/x?y=1'
    assert http.display_url('http://bob@edge/x') == 'http://bob@edge/x'
    assert http.display_url('http://[::1') == 'http://[::1'


# ---------------------------------------------------------------- plain HTTP

def test_fetch_once_reads_a_real_answer(backend_server):
    server = backend_server(cycling(['10.0.0.1']))
    got = fetch(server.url + '/user/alice')
    assert got['status'] == 200 and got['error'] is None
    assert got['content_type'] == 'application/json'
    assert json.loads(got['body'])['resolvedname'] == '10.0.0.1'
    assert got['latency_ms'] > 0


def test_fetch_once_keeps_the_body_of_error_statuses(backend_server):
    server = backend_server(fixed(503, 'text/plain', b'no healthy upstream'))
    got = fetch(server.url + '/user/alice')
    assert (got['status'], got['body'], got['error']) == (503, b'no healthy upstream', None)


def test_fetch_once_sends_method_headers_body_and_uri_options(backend_server):
    server = backend_server(lambda request: json_reply('a'))
    fetch(server.url + '/user/alice', method='PUT', headers=http.request_headers({}, 'json'),
          data=http.encode_body({'fullname': 'Alice'}, 'json'), http_agent='probe/1', force=True)
    request = server.requests[0]
    assert request['method'] == 'PUT'
    assert request['headers']['content-type'] == 'application/json'
    assert request['headers']['user-agent'] == 'probe/1'
    assert request['headers']['cache-control'] == 'no-cache'
    assert json.loads(request['body']) == {'fullname': 'Alice'}


def test_fetch_once_names_the_url_when_the_connection_is_refused():
    url = closed_port_url()
    got = fetch(url)
    assert got['status'] is None
    assert got['error'] == ('connection refused by {0}: is the edge Service (NodePort) there and its pod '
                            'running?'.format(url))


def test_fetch_once_masks_the_password_of_the_url_in_messages():
    url = closed_port_url().replace('http://', 'http://bob:s3cret@')
    got = fetch(url)
    assert 's3cret' not in got['error']
    assert got['error'].startswith('connection refused by http://bob:********@127.0.0.1:')


def test_fetch_once_reports_a_timeout(backend_server):
    def slow(request):
        time.sleep(1.5)
        return json_reply('a')
    server = backend_server(slow)
    got = fetch(server.url + '/user/alice', timeout=0.5)
    assert got['error'] == 'no answer from {0}/user/alice within 0.5s'.format(server.url)


def test_fetch_once_works_with_plain_open_url(backend_server):
    server = backend_server(fixed(503, 'text/plain', b'no healthy upstream'))
    got = http.fetch_once(open_url, server.url + '/user/alice', time.monotonic, method='GET', timeout=5)
    assert (got['status'], got['body'], got['error']) == (503, b'no healthy upstream', None)


# ---------------------------------------------------------------- TLS

def test_reusable_opener_trusts_the_ca_of_ca_path_and_sends_the_client_certificate(tls_backend_server, pki):
    server = tls_backend_server(cycling(['10.0.0.1']), require_client_cert=True)
    opener = http.reusable_opener(ca_path=pki.ca, client_cert=pki.client_cert, client_key=pki.client_key)
    for dummy in range(3):
        got = fetch(server.url + '/user/alice', opener)
        assert (got['status'], got['error']) == (200, None)
    assert [r['client_cn'] for r in server.requests] == [CLIENT_CN] * 3


def test_reusable_opener_takes_a_client_certificate_file_that_holds_the_key(tls_backend_server, pki):
    server = tls_backend_server(cycling(['10.0.0.1']), require_client_cert=True)
    got = fetch(server.url + '/', http.reusable_opener(ca_path=pki.ca, client_cert=pki.client_combined))
    assert got['status'] == 200
    assert server.requests[0]['client_cn'] == CLIENT_CN


def test_an_untrusted_server_certificate_is_named_with_the_fix(tls_backend_server):
    server = tls_backend_server(cycling(['10.0.0.1']))
    got = fetch(server.url + '/user/alice')
    assert got['status'] is None and server.requests == []
    assert got['error'].startswith('the TLS certificate of {0}/user/alice is not trusted ('.format(server.url))
    assert got['error'].endswith('): set ca_path to the CA certificate that signed it, or validate_certs to '
                                 'false for a lab')


def test_validate_certs_false_accepts_any_server_certificate(tls_backend_server):
    server = tls_backend_server(cycling(['10.0.0.1']))
    got = fetch(server.url + '/user/alice', http.reusable_opener(validate_certs=False))
    assert (got['status'], got['error']) == (200, None)


@pytest.mark.parametrize('client', ['none', 'stranger'])
def test_a_refused_client_certificate_is_named_with_the_fix(tls_backend_server, pki, client):
    # TLS 1.2 refuses inside the handshake, so the client always reads the server's alert.
    server = tls_backend_server(cycling(['10.0.0.1']), require_client_cert=True, tls_version='TLSv1_2')
    certs = dict(client_cert=pki.stranger_cert, client_key=pki.stranger_key) if client == 'stranger' else {}
    got = fetch(server.url + '/user/alice', http.reusable_opener(ca_path=pki.ca, **certs))
    assert got['status'] is None and server.requests == []
    assert got['error'].startswith('the TLS server at {0}/user/alice did not accept the client certificate ('.format(
        server.url)), got['error']
    assert got['error'].endswith('): set client_cert and client_key to a certificate signed by a CA that the '
                                 'server trusts')


def test_a_missing_client_certificate_over_tls_1_3_points_at_client_cert(tls_backend_server, pki):
    # TLS 1.3 refuses after the client's handshake: the alert, or a bare close when the request crossed it.
    server = tls_backend_server(cycling(['10.0.0.1']), require_client_cert=True, tls_version='TLSv1_3')
    opener = http.reusable_opener(ca_path=pki.ca)
    for dummy in range(10):
        got = fetch(server.url + '/user/alice', opener)
        assert got['status'] is None
        assert got['error'].startswith('the TLS server at {0}/user/alice '.format(server.url)), got['error']
        assert 'set client_cert and client_key to ' in got['error']
    assert server.requests == []


def test_without_a_context_argument_the_opener_passes_the_tls_options_per_request(
        monkeypatch, tls_backend_server, backend_server, pki):
    # ansible-core 2.16, the controller of CentOS 7 nodes, has no context argument in Request.
    monkeypatch.setattr(http, 'Request', RequestWithoutContext)
    server = tls_backend_server(cycling(['10.0.0.1']), require_client_cert=True)
    opener = http.reusable_opener(ca_path=pki.ca, client_cert=pki.client_cert, client_key=pki.client_key)
    got = fetch(server.url + '/user/alice', opener, http_agent='probe/1')
    assert (got['status'], got['error']) == (200, None)
    assert server.requests[0]['client_cn'] == CLIENT_CN
    assert server.requests[0]['headers']['user-agent'] == 'probe/1'
    plain = backend_server(cycling(['10.0.0.2']))
    assert fetch(plain.url + '/', http.reusable_opener())['status'] == 200
    untrusted = fetch(server.url + '/', http.reusable_opener())
    assert 'is not trusted' in untrusted['error']


# ---------------------------------------------------------------- TLS files that cannot be used

def opener_problem(**tls):
    with pytest.raises((OSError, ValueError)) as caught:
        http.reusable_opener(**tls)
    return http.tls_setup_problem(tls, caught.value)


def test_a_missing_ca_path_is_named(tmp_path):
    problem = opener_problem(ca_path=str(tmp_path / 'nope.pem'))
    assert problem.startswith("ca_path '{0}' cannot be used (".format(tmp_path / 'nope.pem'))
    assert 'No such file' in problem
    assert problem.endswith('give a PEM file, on the host that runs the module, with the CA certificate that '
                            'signed the server certificate')


def test_a_ca_path_without_a_certificate_is_named(tmp_path):
    junk = tmp_path / 'junk.pem'
    junk.write_text('not a certificate\n')
    assert opener_problem(ca_path=str(junk)).startswith("ca_path '{0}' cannot be used (".format(junk))


def test_a_client_key_of_another_certificate_is_named(pki):
    problem = opener_problem(client_cert=pki.client_cert, client_key=pki.stranger_key)
    assert problem.startswith("client_cert '{0}' with client_key '{1}' cannot be used (".format(
        pki.client_cert, pki.stranger_key))
    assert problem.endswith('give PEM files, on the host that runs the module, of a certificate and its own '
                            'private key')


def test_a_missing_client_certificate_is_named(pki, tmp_path):
    problem = opener_problem(client_cert=str(tmp_path / 'client.pem'), client_key=pki.client_key)
    assert problem.startswith("client_cert '{0}' with client_key".format(tmp_path / 'client.pem'))


def test_unknown_ciphers_are_named():
    problem = opener_problem(ciphers=['NO-SUCH-CIPHER'])
    assert problem.startswith('ciphers NO-SUCH-CIPHER cannot be used (')
    assert problem.endswith('give cipher names in the OpenSSL cipher list format')
