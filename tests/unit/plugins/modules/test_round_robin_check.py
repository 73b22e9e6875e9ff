# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module run as Ansible runs it (a separate Python process) against a real local server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import json
import os
import subprocess
import sys

from ansible_collections.envoy_mesh.lab.plugins.module_utils import round_robin
from ansible_collections.envoy_mesh.lab.tests.unit.plugins.backends import (
    closed_port_url, cycling, fixed, json_reply,
)

MODULE = 'ansible_collections.envoy_mesh.lab.plugins.modules.round_robin_check'
PODS = ['10.244.0.7', '10.244.0.8', '10.244.0.9']


def collections_root():
    path = os.path.abspath(round_robin.__file__)
    for dummy in range(6):  # module_utils, plugins, lab, envoy_mesh, ansible_collections
        path = os.path.dirname(path)
    return path


def run_module(tmp_path, check_mode=False, **args):
    if check_mode:
        args['_ansible_check_mode'] = True
    args_file = tmp_path / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(p for p in (collections_root(), env.get('PYTHONPATH')) if p)
    proc = subprocess.run([sys.executable, '-m', MODULE, str(args_file)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=120, check=False)
    assert proc.stdout, proc.stderr.decode()
    return json.loads(proc.stdout)


def test_passes_on_a_perfect_cycle(tmp_path, backend_server):
    server = backend_server(cycling(PODS))
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS, require_ok=True)
    assert not result.get('failed'), result['msg']
    assert result['changed'] is False
    assert result['cycle'] == PODS
    assert result['sequence'] == PODS * 4
    assert result['rounds'] == 1 and result['waited_s'] == 0
    assert len(server.requests) == 12
    assert set(result['latency_ms']) == {'min', 'median', 'p95', 'max', 'mean'}


def test_check_mode_still_sends_the_requests(tmp_path, backend_server):
    server = backend_server(cycling(PODS))
    result = run_module(tmp_path, check_mode=True, url=server.url + '/user/alice', expected_count=3, requests=6)
    assert not result.get('failed') and result['changed'] is False
    assert len(server.requests) == 6


def test_fails_with_the_step_2_diagnosis_when_one_pod_answers(tmp_path, backend_server):
    server = backend_server(cycling(['10.244.0.8']))
    result = run_module(tmp_path, url=server.url + '/user/alice', expected_backends=PODS)
    assert result['failed'] and result['changed'] is False
    assert 'the edge is balancing per ClusterIP, not per pod (tutorial step 2?)' in result['msg']
    assert result['counts'] == {'10.244.0.8': 12}


def test_fails_on_an_html_page(tmp_path, backend_server):
    server = backend_server(fixed(200, 'text/html', b'<html>welcome</html>'))
    result = run_module(tmp_path, url=server.url + '/', expected_count=3)
    assert result['failed']
    assert "12 of 12 requests failed: the URL answered text/html, not JSON: is it the edge Envoy's /user route?" \
        in result['msg']
    assert {e['kind'] for e in result['errors']} == {'not_json'}


def test_fails_naming_the_url_when_nothing_listens(tmp_path):
    url = closed_port_url()
    result = run_module(tmp_path, url=url, expected_count=3, requests=3)
    assert result['failed']
    assert 'connection refused by {0}'.format(url) in result['msg']


def test_waits_for_a_new_backend_to_join(tmp_path, backend_server):
    before = itertools.cycle(PODS[:2])
    after = itertools.cycle(PODS)
    seen = itertools.count()
    server = backend_server(lambda request: json_reply(next(before) if next(seen) < 12 else next(after)))
    result = run_module(tmp_path, url=server.url + '/user/health', expected_backends=PODS, requests=6,
                        wait_timeout=30, wait_interval=0.2)
    assert not result.get('failed'), result['msg']
    assert result['rounds'] == 3
    assert result['waited_s'] >= 0.4


def test_sends_a_json_body(tmp_path, backend_server):
    server = backend_server(cycling(PODS))
    result = run_module(tmp_path, url=server.url + '/user/alice', method='PUT', body_format='json',
                        body={'fullname': 'Alice', 'password': 'alicerules'}, expected_backends=PODS, requests=3)
    assert not result.get('failed'), result['msg']
    assert json.loads(server.requests[0]['body']) == {'fullname': 'Alice', 'password': 'alicerules'}


def test_rejects_fewer_requests_than_backends(tmp_path):
    result = run_module(tmp_path, url=closed_port_url(), expected_backends=PODS, requests=2)
    assert result['failed']
    assert result['msg'] == 'requests (2) must be at least the number of expected backends (3)'
