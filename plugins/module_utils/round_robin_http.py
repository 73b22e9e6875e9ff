# -*- coding: utf-8 -*-
# Copyright: (c) envoy_mesh.lab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request of a round-robin check, sent with the URL options of ansible.builtin.uri.

The options come from module params as uri names them (url_argument_spec plus ca_path,
ciphers and use_netrc). Only reusable_opener() and, when it failed, tls_setup_problem()
read the TLS files; fetch_once() is handed an opener and a clock. Stdlib and ansible module_utils only,
Python 3.6 syntax: the module may run on old nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import socket
import ssl

from urllib.parse import urlsplit, urlunsplit

from ansible.module_utils.urls import Request, make_context, open_url

try:
    from ansible.module_utils.urls import HTTPGSSAPIAuthHandler
except ImportError:
    HTTPGSSAPIAuthHandler = None

# Methods that only read (RFC 9110 safe methods this module may send). Any other may write.
SAFE_METHODS = ('GET', 'HEAD', 'OPTIONS')
# uri's options that shape the TLS context, and those handed to every request.
TLS_OPTIONS = ('validate_certs', 'ca_path', 'client_cert', 'client_key', 'ciphers')
REQUEST_OPTIONS = ('timeout', 'use_proxy', 'force', 'http_agent', 'url_username', 'url_password',
                   'force_basic_auth', 'use_gssapi', 'use_netrc')
# RFC 9110 token characters: what a method name may be made of.
TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
MASK = '********'


# ---------------------------------------------------------------- options

def may_write(method):
    """True for a method that may change data on the server (anything but GET, HEAD, OPTIONS)."""
    return method.upper() not in SAFE_METHODS


def method_problem(method):
    """Message for a method that is no HTTP method name, or None."""
    if not method or not set(method) <= TOKEN_CHARS:
        return 'method must be an HTTP method such as GET or PUT, got {0!r}'.format(method)
    return None


def tls_problem(params):
    if params.get('client_key') and not params.get('client_cert'):
        return ('client_key needs client_cert: give the client certificate too (or only client_cert, '
                'when that file holds the key as well)')
    return None


def gssapi_problem(use_gssapi):
    """Message when use_gssapi is asked for where the gssapi library is missing, or None."""
    if use_gssapi and HTTPGSSAPIAuthHandler is None:
        return ('use_gssapi needs the Python library gssapi on the host that runs the module '
                '(pip install gssapi), or set use_gssapi to false')
    return None


def tls_options(params):
    """Keyword arguments of reusable_opener() from module params."""
    return dict((name, params.get(name)) for name in TLS_OPTIONS if params.get(name) is not None)


def request_options(params):
    """Keyword arguments of every opener call from module params: method, headers, data and uri's options."""
    options = dict((name, params.get(name)) for name in REQUEST_OPTIONS if params.get(name) is not None)
    options.update(
        method=params.get('method', 'GET').upper(),
        headers=request_headers(params.get('headers'), params.get('body_format')),
        data=encode_body(params.get('body'), params.get('body_format')),
    )
    return options


def encode_body(body, body_format):
    """Request body as bytes (or None); body_format json serialises any JSON value."""
    if body is None:
        return None
    if body_format == 'json':
        if isinstance(body, (bytes, bytearray)):
            body = body.decode('utf-8')
        if not isinstance(body, str):
            body = json.dumps(body)
    elif not isinstance(body, str):
        body = str(body)
    return body.encode('utf-8') if isinstance(body, str) else bytes(body)


def request_headers(headers, body_format):
    """Headers to send: the caller's, plus a JSON Content-Type when the body is JSON."""
    result = dict(headers or {})
    if body_format == 'json' and not any(k.lower() == 'content-type' for k in result):
        result['Content-Type'] = 'application/json'
    return result


# ---------------------------------------------------------------- the opener

def reusable_opener(validate_certs=True, ca_path=None, client_cert=None, client_key=None, ciphers=None):
    """A callable like open_url whose TLS context is built once, from uri's TLS options.

    open_url loads the CA bundle on every call, even for plain HTTP; that costs about
    20 ms and would dominate every latency figure of a local load balancer. Raises
    OSError (ssl.SSLError is one) or ValueError when the files or ciphers cannot be used;
    tls_setup_problem() explains which.
    """
    context = make_context(cafile=ca_path, ciphers=ciphers, validate_certs=validate_certs,
                           client_cert=client_cert, client_key=client_key)
    try:
        Request(context=context)
    except TypeError:
        # ansible-core before 2.17 takes no context: open_url builds one per request.
        tls = dict(validate_certs=validate_certs, ca_path=ca_path, client_cert=client_cert,
                   client_key=client_key, ciphers=ciphers)

        def per_request_opener(url, **request):
            request.update(tls)
            return open_url(url, **request)
        return per_request_opener

    def opener(url, method='GET', **request):
        # A new Request each time, so that no cookie carries a session from one request to the next.
        return Request(context=context).open(method, url, **request)
    return opener


def tls_setup_problem(tls, exc):
    """Which of ca_path, ciphers, client_cert/client_key broke the TLS context, and the fix."""
    try:
        context = ssl.create_default_context(cafile=tls.get('ca_path'))
    except (OSError, ValueError) as err:
        return ('ca_path {0!r} cannot be used ({1}): give a PEM file, on the host that runs the module, '
                'with the CA certificate that signed the server certificate'.format(tls.get('ca_path'), err))
    if tls.get('ciphers'):
        try:
            context.set_ciphers(':'.join(tls['ciphers']))
        except (ssl.SSLError, ValueError) as err:
            return ('ciphers {0} cannot be used ({1}): give cipher names in the OpenSSL cipher list '
                    'format'.format(':'.join(tls['ciphers']), err))
    if tls.get('client_cert'):
        try:
            context.load_cert_chain(tls['client_cert'], keyfile=tls.get('client_key'))
        except (OSError, ValueError) as err:
            return ('client_cert {0!r} with client_key {1!r} cannot be used ({2}): give PEM files, on the '
                    'host that runs the module, of a certificate and its own private key'.format(
                        tls['client_cert'], tls.get('client_key'), err))
    return 'cannot set up TLS: {0}'.format(exc)


# ---------------------------------------------------------------- one request

def fetch_once(opener, url, clock, **request):
    """Send one request with opener (open_url's signature) and time it.

    Returns a raw answer: status, content_type, body (bytes), latency_ms and
    error (text when no HTTP answer arrived). Never raises.
    """
    answer = dict(status=None, content_type=None, body=b'', latency_ms=None, error=None)
    started = clock()
    try:
        response = opener(url, **request)
        answer['status'] = response_status(response)
        answer['content_type'] = header_value(response, 'Content-Type')
        answer['body'] = response.read()
    except Exception as exc:  # pylint: disable=broad-except
        http_code = getattr(exc, 'code', None)
        if isinstance(http_code, int):
            # urllib raises HTTPError for 4xx/5xx; it still carries the answer.
            answer['status'] = http_code
            answer['content_type'] = header_value(exc, 'Content-Type')
            answer['body'] = read_quietly(exc)
        else:
            answer['error'] = describe_connection_error(exc, url, request.get('timeout'))
    answer['latency_ms'] = round((clock() - started) * 1000.0, 3)
    return answer


def response_status(response):
    status = getattr(response, 'status', None)
    if status is None and hasattr(response, 'getcode'):
        status = response.getcode()
    return status


def header_value(response, name):
    headers = getattr(response, 'headers', None) or getattr(response, 'hdrs', None)
    if headers is None:
        return None
    try:
        return headers.get(name)
    except Exception:  # pylint: disable=broad-except
        return None


def read_quietly(response):
    try:
        return response.read() or b''
    except Exception:  # pylint: disable=broad-except
        return b''


def display_url(url):
    """The URL with the password of its user part masked, for messages."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if password is None:
        return url
    host = parts.netloc.rpartition('@')[2]
    return urlunsplit(parts._replace(netloc='{0}:{1}@{2}'.format(parts.username, MASK, host)))


def describe_connection_error(exc, url, timeout=None):
    """One line that names the URL and the likely cause of a request without an HTTP answer."""
    url = display_url(url)
    reason = getattr(exc, 'reason', None)
    cause = reason if isinstance(reason, BaseException) else exc
    text = str(cause)
    if isinstance(cause, ConnectionRefusedError) or getattr(cause, 'errno', None) == errno.ECONNREFUSED:
        return ('connection refused by {0}: is the edge Service (NodePort) there '
                'and its pod running?'.format(url))
    if 'CERTIFICATE_VERIFY_FAILED' in text:
        return ('the TLS certificate of {0} is not trusted ({1}): set ca_path to the CA certificate that '
                'signed it, or validate_certs to false for a lab'.format(
                    url, getattr(cause, 'verify_message', None) or text))
    if isinstance(cause, ssl.SSLError) and any(alert in text for alert in (
            'CERTIFICATE_REQUIRED', 'HANDSHAKE_FAILURE', 'UNKNOWN_CA', 'BAD_CERTIFICATE')):
        return ('the TLS server at {0} did not accept the client certificate ({1}): set client_cert and '
                'client_key to a certificate signed by a CA that the server trusts'.format(
                    url, getattr(cause, 'reason', None) or text))
    if url.lower().startswith('https:') and (
            isinstance(cause, (ssl.SSLEOFError, ConnectionResetError)) or 'EOF occurred' in text):
        # With TLS 1.3 a refused client certificate often arrives as a bare close, not as an alert.
        return ('the TLS server at {0} closed the connection without an answer ({1}): if it wants a client '
                'certificate, set client_cert and client_key to one signed by a CA that it trusts'.format(url, text))
    if isinstance(cause, socket.timeout) or 'timed out' in text:
        return 'no answer from {0} within {1}s'.format(url, timeout)
    if isinstance(cause, socket.gaierror):
        return 'cannot resolve the host of {0}: {1}'.format(url, cause)
    if isinstance(cause, ConnectionResetError):
        return 'connection to {0} closed without an answer: {1}'.format(url, cause)
    return 'request to {0} failed: {1}'.format(url, text or type(cause).__name__)
