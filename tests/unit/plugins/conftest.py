# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.envoy_mesh.lab.tests.unit.plugins.backends import BackendServer
from ansible_collections.envoy_mesh.lab.tests.unit.plugins.certs import make_pki


@pytest.fixture(scope='session')
def pki(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and client certificates, made for this test run."""
    return make_pki(tmp_path_factory.mktemp('pki'))


@pytest.fixture
def tls_backend_server(pki):
    """start(responder, require_client_cert=False, tls_version=None) -> a running HTTPS BackendServer.

    The server stops after the test.
    """
    servers = []

    def start(responder, require_client_cert=False, tls_version=None):
        server = BackendServer(responder, tls=pki.server_context(require_client_cert, tls_version))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
