# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.envoy_mesh.lab.tests.unit.plugins.backends import BackendServer


@pytest.fixture
def backend_server():
    """start(responder) -> a running BackendServer, stopped after the test."""
    servers = []

    def start(responder):
        server = BackendServer(responder)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
