# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs round_robin_check as Ansible runs a module: a separate Python process reading its arguments."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

from ansible_collections.envoy_mesh.lab.plugins.module_utils import round_robin

MODULE = 'ansible_collections.envoy_mesh.lab.plugins.modules.round_robin_check'
PROXY_VARIABLES = ('http_proxy', 'https_proxy', 'all_proxy', 'no_proxy')


def collections_root():
    path = os.path.abspath(round_robin.__file__)
    for dummy in range(6):  # module_utils, plugins, lab, envoy_mesh, ansible_collections
        path = os.path.dirname(path)
    return path


def module_env(extra=None):
    """This process's environment without proxy settings (tests set their own), plus extra."""
    env = dict((k, v) for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES)
    env['PYTHONPATH'] = os.pathsep.join(p for p in (collections_root(), env.get('PYTHONPATH')) if p)
    env.update(extra or {})
    return env


def run_module_raw(tmp_path, check_mode=False, env=None, **args):
    """(result dict, the module's whole stdout as text)."""
    if check_mode:
        args['_ansible_check_mode'] = True
    args_file = tmp_path / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    proc = subprocess.run([sys.executable, '-m', MODULE, str(args_file)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=module_env(env), timeout=120, check=False)
    assert proc.stdout, proc.stderr.decode()
    return json.loads(proc.stdout), proc.stdout.decode()


def run_module(tmp_path, check_mode=False, env=None, **args):
    return run_module_raw(tmp_path, check_mode=check_mode, env=env, **args)[0]
