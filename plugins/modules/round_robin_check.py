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
    answers holding all K expected backends. O(mode=balanced) wants each backend's count
    close to the ideal share, the number of answers divided by K (see O(tolerance)).
  - With O(wait_timeout) it repeats whole rounds until the check passes, for example while
    the discovery service catches up after a scale.
  - With a safe O(method) (V(GET), V(HEAD) or V(OPTIONS)) it only reads, reports no change and
    runs normally in check mode. Any other method may change data on the server, so the module
    then reports a change, and in check mode sends nothing (RV(sent=false)).
  - It takes the URL options of M(ansible.builtin.uri) (credentials, client certificate,
    CA, proxy, user agent) with the same names and behaviour.
  - Failure messages say what was seen and its likely cause (a single backend behind a
    ClusterIP, an HTML page instead of the JSON API, a refused connection, missing or
    unexpected backends, an untrusted certificate, missing credentials).
author:
  - envoy_mesh.lab maintainers (@envoy-mesh-lab)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.url
attributes:
  check_mode:
    support: partial
    details:
      - Requests with a safe method (V(GET), V(HEAD), V(OPTIONS)) are sent and checked as in a
        normal run.
      - Requests with any other method may change data on the server. In check mode they are not
        sent; the result has RV(sent=false), empty answers, and RV(changed=true) as a normal run
        would report.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  url:
    description:
      - HTTP or HTTPS URL of the load balancer, for example the edge Envoy's NodePort.
      - Credentials may be given in it (V(http://user:password@host/path)); O(url_username) and
        O(url_password) keep the password out of the task's output.
    type: str
    required: true
  method:
    description:
      - HTTP method of every request.
      - Any method but V(GET), V(HEAD) and V(OPTIONS) may write, so the module reports a change
        for it and does not send it in check mode.
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
  ca_path:
    description:
      - PEM file with the CA certificate that validates the server certificate of an HTTPS
        O(url), instead of the system's CA bundle.
    type: path
  ciphers:
    description:
      - TLS ciphers to offer, joined in order with V(:), in the
        L(OpenSSL cipher list format,https://docs.openssl.org/master/man1/openssl-ciphers/).
      - The available ciphers depend on the Python and OpenSSL of the host that runs the module.
    type: list
    elements: str
  use_netrc:
    description:
      - Whether to send Basic credentials for the host from C(~/.netrc) (or the file named by
        E(NETRC)) when O(url_username) is not set.
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
      - V(balanced) requires each backend's count to lie within one request or within O(tolerance)
        of the ideal share, the number of answers divided by the number of backends.
    type: str
    choices: [strict, balanced]
    default: strict
  tolerance:
    description:
      - Allowed relative distance of each backend's count from the ideal share (the number of
        answers divided by the number of backends) in O(mode=balanced); V(0.2) allows counts
        from 80% to 120% of the share.
      - A count at most one request away from the ideal share always passes, whatever the
        tolerance. So every perfect rotation passes, also when the requests are not a multiple
        of the backends (12 requests over 5 backends give 3, 3, 2, 2, 2 around the share 2.4;
        7 over 3 give 3, 2, 2 around 2.33).
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
    (with C(delegate_to) set to C(localhost)) as well as on a node. The files of O(ca_path),
    O(client_cert) and O(client_key) are read on the host that runs it.
  - Set O(use_proxy=false) for loopback NodePorts when E(http_proxy) is set.
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

- name: Check an HTTPS edge that wants a client certificate and Basic credentials
  envoy_mesh.lab.round_robin_check:
    url: https://edge.example.test/user/health
    expected_count: 3
    mode: balanced
    ca_path: /etc/pki/edge/ca.pem
    client_cert: /etc/pki/edge/client.pem
    client_key: /etc/pki/edge/client.key
    url_username: checker
    url_password: "{{ edge_checker_password }}"
    force_basic_auth: true

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
sent:
  description:
    - Whether the requests were sent. V(false) in check mode when O(method) may write (the other
      values are then empty and RV(msg) says what was not sent), and when the options are invalid.
  returned: always
  type: bool
  sample: true
changed:
  description:
    - V(true) when requests that may write (any O(method) but V(GET), V(HEAD) and V(OPTIONS)) were
      sent, or would have been sent outside check mode; the module cannot tell whether the server
      changed anything, so use C(changed_when) to say it. V(false) for safe methods.
  returned: always
  type: bool
  sample: false
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
from ansible.module_utils.urls import url_argument_spec

from ansible_collections.envoy_mesh.lab.plugins.module_utils import round_robin


def argument_spec():
    """uri's URL options (url_argument_spec plus ca_path, ciphers, use_netrc) and the check's own."""
    spec = url_argument_spec()
    spec.update(
        url=dict(type='str', required=True),
        ca_path=dict(type='path'),
        ciphers=dict(type='list', elements='str'),
        use_netrc=dict(type='bool', default=True),
        method=dict(type='str', default='GET'),
        headers=dict(type='dict', default={}),
        body=dict(type='raw'),
        body_format=dict(type='str', choices=['raw', 'json'], default='raw'),
        status_code=dict(type='list', elements='int', default=[200]),
        timeout=dict(type='int', default=10),
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
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[('expected_backends', 'expected_count')],
        required_one_of=[('expected_backends', 'expected_count')],
        supports_check_mode=True,
    )
    result = round_robin.execute(module.params, module.check_mode, round_robin.reusable_opener,
                                 time.monotonic, time.sleep)
    if result.pop('passed'):
        module.exit_json(**result)
    module.fail_json(**result)


if __name__ == '__main__':
    main()
