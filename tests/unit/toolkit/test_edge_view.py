# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading which hosts an edge Envoy balances over from its admin /clusters?format=json answer."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.envoy_mesh.lab.tests.toolkit.curl_loop import window
from ansible_collections.envoy_mesh.lab.tests.toolkit.edge_view import hosts_in_rotation, out_of_rotation_everywhere
from ansible_collections.envoy_mesh.lab.tests.toolkit.http import Response


def host(address, **health):
    """A host status as Envoy 1.3x's admin prints it (stats left out)."""
    return {"address": {"socket_address": {"address": address, "port_value": 80}},
            "health_status": dict({"eds_health_status": "HEALTHY"}, **health), "weight": 1, "locality": {}}


CLUSTERS = {"cluster_statuses": [
    {"name": "usersvc-sds", "host_statuses": [host("10.254.0.9")]},
    {"name": "usersvc", "host_statuses": [
        host("10.244.1.5"),
        host("10.244.2.6", failed_active_health_check=True),
        host("10.244.3.7", failed_outlier_check=True),
        host("10.244.3.8", pending_dynamic_removal=True),
        host("10.244.3.9", eds_health_status="UNHEALTHY"),
        host("10.244.3.10", eds_health_status="DRAINING"),
    ]},
]}


def test_only_hosts_without_a_failed_check_are_in_rotation():
    assert hosts_in_rotation(CLUSTERS, "usersvc") == {
        "10.244.1.5": True, "10.244.2.6": False, "10.244.3.7": False, "10.244.3.8": False, "10.244.3.9": False,
        "10.244.3.10": False,
    }


def test_another_or_a_missing_cluster():
    assert hosts_in_rotation(CLUSTERS, "usersvc-sds") == {"10.254.0.9": True}
    assert not hosts_in_rotation(CLUSTERS, "nothing")
    assert not hosts_in_rotation({}, "usersvc")


def test_out_of_rotation_everywhere_needs_every_answering_edge():
    views = {"edge-a": {"10.244.1.5": False, "10.244.2.6": True}, "edge-b": {"10.244.2.6": True}}
    assert out_of_rotation_everywhere(views, ["10.244.1.5"])
    assert not out_of_rotation_everywhere(views, ["10.244.1.5", "10.244.2.6"])
    # A host an edge no longer lists at all is out of its rotation; an edge that does not answer is not asked.
    assert out_of_rotation_everywhere({"edge-a": {}, "edge-b": None}, ["10.244.1.5"])
    # With no edge answering, nothing is known.
    assert not out_of_rotation_everywhere({"edge-a": None}, ["10.244.1.5"])


def test_window_spans_the_first_failures_send_to_the_last_ones_answer():
    failures = [(100.0, Response(503, b"", 20.0)), (101.5, Response(503, b"", 500.0))]
    assert window(failures) == 2.0
    assert window([]) == 0.0
