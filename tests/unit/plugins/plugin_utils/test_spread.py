# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Deployments are spread unevenly over the nodes that take pods; objects shaped as the API returns them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.envoy_mesh.lab.plugins.plugin_utils.spread import pods_per_node, takes_pods, uneven_spread

NAMESPACE = 'envoy-tutorial'


def node(name, ready='True', unschedulable=False, taints=None):
    return dict(metadata=dict(name=name),
                spec=dict(unschedulable=unschedulable, taints=taints or []),
                status=dict(conditions=[dict(type='MemoryPressure', status='False'), dict(type='Ready', status=ready)]))


def deployment(name, max_skew=1, spread=True, namespace=NAMESPACE):
    constraints = [dict(maxSkew=max_skew, topologyKey='kubernetes.io/hostname', whenUnsatisfiable='DoNotSchedule')]
    return dict(metadata=dict(name=name, namespace=namespace),
                spec=dict(selector=dict(matchLabels=dict(service=name)),
                          template=dict(spec=dict(topologySpreadConstraints=constraints if spread else []))))


def pod(service, node_name, namespace=NAMESPACE, terminating=False):
    metadata = dict(name='%s-%s' % (service, node_name), namespace=namespace, labels=dict(service=service))
    if terminating:
        metadata['deletionTimestamp'] = '2026-12-02T12:00:00Z'
    return dict(metadata=metadata, spec=dict(nodeName=node_name))


NODES = [node('node1'), node('node2'), node('node3')]


def test_a_deployment_crowded_onto_two_nodes_is_uneven_with_its_pods_per_node():
    pods = [pod('usersvc', 'node2'), pod('usersvc', 'node2'), pod('usersvc', 'node3')]
    assert uneven_spread([deployment('usersvc')], pods, NODES) == [
        dict(namespace=NAMESPACE, name='usersvc', pods_per_node=dict(node1=0, node2=2, node3=1))]


def test_one_pod_per_node_and_a_skew_within_max_skew_are_even():
    one_each = [pod('usersvc', name) for name in ('node1', 'node2', 'node3')]
    two_on_one = [pod('usersvc-sds', 'node1'), pod('usersvc-sds', 'node2')]
    assert uneven_spread([deployment('usersvc'), deployment('usersvc-sds')], one_each + two_on_one, NODES) == []


def test_a_larger_max_skew_allows_more_difference():
    pods = [pod('usersvc', 'node2'), pod('usersvc', 'node2'), pod('usersvc', 'node3')]
    assert uneven_spread([deployment('usersvc', max_skew=2)], pods, NODES) == []


def test_a_deployment_without_a_hostname_spread_is_never_uneven():
    pods = [pod('postgres', 'node1'), pod('postgres', 'node1')]
    assert uneven_spread([deployment('postgres', spread=False)], pods, NODES) == []


def test_nodes_that_take_no_pods_are_left_out_of_the_count():
    nodes = [node('node1', unschedulable=True), node('node2'), node('node3')]
    pods = [pod('usersvc', 'node2'), pod('usersvc', 'node3')]
    assert uneven_spread([deployment('usersvc')], pods, nodes) == []


def test_terminating_pods_and_pods_of_other_namespaces_or_labels_are_not_counted():
    pods = [pod('usersvc', 'node1', terminating=True), pod('usersvc', 'node1', namespace='other'),
            pod('edge-envoy', 'node1'), pod('usersvc', 'node2'), pod('usersvc', 'node3')]
    counts = pods_per_node(deployment('usersvc'), pods, ['node1', 'node2', 'node3'])
    assert counts == dict(node1=0, node2=1, node3=1)
    crowded = pods + [pod('usersvc', 'node3')]
    assert uneven_spread([deployment('usersvc')], crowded, NODES)[0]['pods_per_node'] == dict(node1=0, node2=1, node3=2)


def test_no_node_that_takes_pods_means_nothing_to_spread_over():
    assert uneven_spread([deployment('usersvc')], [pod('usersvc', 'node1')], [node('node1', ready='False')]) == []


def test_a_node_takes_pods_only_when_ready_uncordoned_and_without_a_blocking_taint():
    assert takes_pods(node('node1'))
    assert not takes_pods(node('node1', ready='False'))
    assert not takes_pods(node('node1', ready='Unknown'))
    assert not takes_pods(node('node1', unschedulable=True))
    assert not takes_pods(node('node1', taints=[dict(key='envoy-mesh.lab/reprovisioning', effect='NoSchedule')]))
    assert not takes_pods(node('node1', taints=[dict(key='node.kubernetes.io/unreachable', effect='NoExecute')]))
    assert takes_pods(node('node1', taints=[dict(key='example.com/prefer-not', effect='PreferNoSchedule')]))
    assert not takes_pods(dict(metadata=dict(name='node1'), spec={}, status={}))
