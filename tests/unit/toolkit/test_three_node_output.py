# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading from reprovision.yml's output which node each task ran for, and in which order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.envoy_mesh.lab.tests.toolkit.three_node import one_after_another, task_hosts

TASKS = ("Evict the node's pods", "Destroy the machine", "Uncordon the node")

# As ansible-core 2.19 prints a serial play: the banners of the second round still name the task as
# templated for the first, only the result lines name the host.
SERIAL = """
PLAY [Reprovision the machines one after another] ******************************

TASK [Evict the node's pods] ***************************************************
FAILED - RETRYING: [node1 -> localhost]: Evict the node's pods (150 retries left).
changed: [node1 -> localhost]

TASK [Cordon the node, which is gone and cannot be drained] ********************
skipping: [node1]

TASK [Destroy the machine] *****************************************************
changed: [node1 -> localhost]

TASK [Uncordon the node] *******************************************************
changed: [node1 -> localhost]

PLAY [Reprovision the machines one after another] ******************************

TASK [Evict the node's pods] ***************************************************
changed: [node2 -> localhost]

TASK [Destroy the machine] *****************************************************
changed: [node2 -> localhost]

TASK [Uncordon the node] *******************************************************
ok: [node2 -> localhost]
"""


def test_task_hosts_reads_the_host_of_each_result_line_not_the_banner():
    assert task_hosts(SERIAL) == [
        ("Evict the node's pods", "node1"),
        ("Cordon the node, which is gone and cannot be drained", "node1"),
        ("Destroy the machine", "node1"),
        ("Uncordon the node", "node1"),
        ("Evict the node's pods", "node2"),
        ("Destroy the machine", "node2"),
        ("Uncordon the node", "node2"),
    ]


def test_one_node_after_another_passes_in_the_order_run():
    assert one_after_another(SERIAL, ["node1", "node2"], TASKS)


def test_the_other_order_fails():
    assert not one_after_another(SERIAL, ["node2", "node1"], TASKS)


def test_interleaved_nodes_fail():
    interleaved = """
TASK [Evict the node's pods] ***
changed: [node1 -> localhost]
changed: [node2 -> localhost]

TASK [Destroy the machine] ***
changed: [node1 -> localhost]
changed: [node2 -> localhost]

TASK [Uncordon the node] ***
changed: [node1 -> localhost]
changed: [node2 -> localhost]
"""
    assert not one_after_another(interleaved, ["node1", "node2"], TASKS)


def test_a_task_missing_for_a_node_fails():
    assert not one_after_another(SERIAL.replace("changed: [node2 -> localhost]\n\nTASK [Destroy", "\nTASK [Destroy"),
                                 ["node1", "node2"], TASKS)
