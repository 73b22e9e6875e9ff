#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) envoy_mesh.lab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: round_robin_check
short_description: Check that a load balancer spreads requests over every backend
version_added: 0.1.0
description:
  - Sends O(requests) requests one after another to O(url), reads a JSON field naming the
    backend that answered (by default C(resolvedname), the pod IP the tutorial's user service
    reports) and checks the answers against the expected backends.
  - O(mode=strict) wants the perfect cycle of the tutorial, every window of K consecutive
    answers holding all K expected backends. O(mode=balanced) only wants each backend's share
    within O(tolerance) of the mean.
  - With O(wait_timeout) it repeats whole rounds until the check passes, for example while
    the discovery service catches up after a scale.
  - It only reads, so it never reports a change and runs normally in check mode.
  - Failure messages say what was seen and its likely cause (a single backend behind a
    ClusterIP, an HTML page instead of the JSON API, a refused connection, missing or
    unexpected backends).
author:
  - envoy_mesh.lab maintainers (@envoy-mesh-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only sends the requests it is asked to and changes nothing itself.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  url:
    description:
      - HTTP or HTTPS URL of the load balancer, for example the edge Envoy's NodePort.
    type: str
    required: true
  method:
    description:
      - HTTP method of every request.
    type: str
    default: GET
  headers:
    description:
      - Extra request headers.
    type: dict
    default: {}
  body:
    description:
      - Request body. With O(body_format=json) a data structure is serialised as JSON.
    type: raw
  body_format:
    description:
      - V(json) serialises O(body) and sets C(Content-Type) to C(application/json) unless
        O(headers) sets it; V(raw) sends O(body) as it is.
    type: str
    choices: [raw, json]
    default: raw
  status_code:
    description:
      - HTTP status codes that count as an answer; any other status is a failed request.
    type: list
    elements: int
    default: [200]
  timeout:
    description:
      - Socket timeout of each request, in seconds.
    type: int
    default: 10
  validate_certs:
    description:
      - Whether to validate the server certificate of an HTTPS O(url).
    type: bool
    default: true
  use_proxy:
    description:
      - Whether to use a proxy from the environment. Leave off for loopback NodePorts
        when C(http_proxy) is set.
    type: bool
    default: true
  requests:
    description:
      - Number of requests in one round. Must be at least the number of expected backends;
        twice that number or more shows the cycle.
    type: int
    default: 12
  field:
    description:
      - Field of the JSON answer that names the backend. A dotted path reaches nested
        values; numeric parts index lists (V(items.0.ip)).
    type: str
    default: resolvedname
  expected_backends:
    description:
      - Backends that must all answer, for example the pod IPs found with
        M(kubernetes.core.k8s_info). Any other value that answers is unexpected.
      - Mutually exclusive with O(expected_count).
    type: list
    elements: str
  expected_count:
    description:
      - Number of distinct backends that must answer, when their names are not known.
      - Mutually exclusive with O(expected_backends).
    type: int
  mode:
    description:
      - V(strict) requires every window of K consecutive answers to hold all K backends,
        K being the number of expected backends.
      - V(balanced) requires each backend's count to lie within O(tolerance) of the mean count.
    type: str
    choices: [strict, balanced]
    default: strict
  tolerance:
    description:
      - Allowed relative distance from the mean count in O(mode=balanced); V(0.2) allows
        counts from 80% to 120% of the mean.
    type: float
    default: 0.2
  require_ok:
    description:
      - Also require the JSON field C(ok) of every answer to be V(true).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to keep repeating rounds until one passes. V(0) runs a single round.
    type: int
    default: 0
  wait_interval:
    description:
      - Seconds to sleep between two rounds when O(wait_timeout) is set.
    type: float
    default: 2
notes:
  - Each request opens a new connection, as the tutorial's C(curl) loop does.
  - Envoy balances round robin per worker thread, so an edge Envoy with several workers may
    not form a perfect cycle; run it with C(--concurrency 1) or use O(mode=balanced).
  - The module uses only the Python standard library; it runs on the controller
    (with C(delegate_to) set to C(localhost)) as well as on a node.
seealso:
  - module: ansible.builtin.uri
  - module: kubernetes.core.k8s_info
"""

EXAMPLES = r"""
- name: Look up the user service pods
  kubernetes.core.k8s_info:
    kind: Pod
    namespace: envoy-tutorial
    label_selectors:
      - service=usersvc
  register: usersvc_pods

- name: Ensure the edge cycles through every user service pod
  envoy_mesh.lab.round_robin_check:
    url: http://127.0.0.1:30800/user/alice
    expected_backends: "{{ usersvc_pods.resources | map(attribute='status.podIP') | list }}"
    require_ok: true

- name: Wait up to a minute for a new replica to join the rotation
  envoy_mesh.lab.round_robin_check:
    url: http://127.0.0.1:30800/user/health
    expected_count: 4
    mode: balanced
    tolerance: 0.25
    requests: 24
    wait_timeout: 60
    wait_interval: 5

- name: Reproduce the tutorial's step 2, where a ClusterIP hides all pods but one
  envoy_mesh.lab.round_robin_check:
    url: http://127.0.0.1:30800/user/alice
    expected_count: 3
  register: step2
  failed_when: step2.backends | length != 1
"""

RETURN = r"""
sequence:
  description: Backend named by O(field) in each successful answer, in order.
  returned: always
  type: list
  elements: str
  sample: [10.244.0.7, 10.244.0.8, 10.244.0.9, 10.244.0.7, 10.244.0.8, 10.244.0.9]
counts:
  description: Number of answers from each backend.
  returned: always
  type: dict
  sample: {10.244.0.7: 4, 10.244.0.8: 4, 10.244.0.9: 4}
backends:
  description: Distinct backends that answered, in the order first seen.
  returned: always
  type: list
  elements: str
  sample: [10.244.0.7, 10.244.0.8, 10.244.0.9]
missing:
  description: Expected backends that did not answer (always empty with O(expected_count)).
  returned: always
  type: list
  elements: str
  sample: [10.244.0.9]
unexpected:
  description: Backends that answered but are not in O(expected_backends).
  returned: always
  type: list
  elements: str
  sample: []
cycle:
  description:
    - Shortest run of backends that repeats over the whole sequence, seen at least twice;
      null when the answers do not repeat.
  returned: always
  type: list
  elements: str
  sample: [10.244.0.7, 10.244.0.8, 10.244.0.9]
errors:
  description: Requests that gave no usable answer.
  returned: always
  type: list
  elements: dict
  contains:
    request:
      description: Position of the request in its round, from 1.
      type: int
      returned: always
    kind:
      description: V(connection), V(status), V(not_json), V(missing_field) or V(not_ok).
      type: str
      returned: always
    status:
      description: HTTP status of the answer, null without one.
      type: int
      returned: always
    msg:
      description: What went wrong and its likely cause.
      type: str
      returned: always
  sample:
    - request: 1
      kind: connection
      status: null
      msg: "connection refused by http://127.0.0.1:30800/user/alice: is the edge Service (NodePort) there and its pod running?"
latency_ms:
  description: Request latency in milliseconds over the last round (nearest-rank p95).
  returned: always
  type: dict
  contains:
    min:
      description: Fastest request.
      type: float
      returned: always
    median:
      description: Median request.
      type: float
      returned: always
    p95:
      description: 95th percentile.
      type: float
      returned: always
    max:
      description: Slowest request.
      type: float
      returned: always
    mean:
      description: Mean latency.
      type: float
      returned: always
  sample: {min: 1.2, median: 1.6, p95: 3.1, max: 3.1, mean: 1.8}
rounds:
  description: Number of rounds sent; the other values describe the last one.
  returned: always
  type: int
  sample: 1
waited_s:
  description: Seconds between the start of the first round and the start of the last one.
  returned: always
  type: float
  sample: 0.0
msg:
  description: Summary of the check, or what failed and its likely cause.
  returned: always
  type: str
  sample: "12 requests cycled through 3 backends: 10.244.0.7 -> 10.244.0.8 -> 10.244.0.9"
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.envoy_mesh.lab.plugins.module_utils import round_robin


def argument_spec():
    return dict(
        url=dict(type='str', required=True),
        method=dict(type='str', default='GET'),
        headers=dict(type='dict', default={}),
        body=dict(type='raw'),
        body_format=dict(type='str', choices=['raw', 'json'], default='raw'),
        status_code=dict(type='list', elements='int', default=[200]),
        timeout=dict(type='int', default=10),
        validate_certs=dict(type='bool', default=True),
        use_proxy=dict(type='bool', default=True),
        requests=dict(type='int', default=12),
        field=dict(type='str', default=round_robin.DEFAULT_FIELD),
        expected_backends=dict(type='list', elements='str'),
        expected_count=dict(type='int'),
        mode=dict(type='str', choices=list(round_robin.MODES), default='strict'),
        tolerance=dict(type='float', default=0.2),
        require_ok=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=0),
        wait_interval=dict(type='float', default=2),
    )


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[('expected_backends', 'expected_count')],
        required_one_of=[('expected_backends', 'expected_count')],
        supports_check_mode=True,
    )
    params = module.params
    problem = round_robin.check_params(params)
    if problem:
        module.fail_json(msg=problem)

    request = dict(
        method=params['method'],
        headers=round_robin.request_headers(params['headers'], params['body_format']),
        data=round_robin.encode_body(params['body'], params['body_format']),
        timeout=params['timeout'],
        validate_certs=params['validate_certs'],
        use_proxy=params['use_proxy'],
    )

    opener = round_robin.reusable_opener(params['validate_certs'])

    def fetch():
        return round_robin.fetch_once(opener, params['url'], time.monotonic, **request)

    result = round_robin.run_check(fetch, params, time.monotonic, time.sleep)
    passed = result.pop('passed')
    if passed:
        module.exit_json(changed=False, **result)
    module.fail_json(changed=False, **result)


if __name__ == '__main__':
    main()
