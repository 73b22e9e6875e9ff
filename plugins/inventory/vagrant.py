# -*- coding: utf-8 -*-
# Copyright: (c) envoy_mesh.lab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: vagrant
short_description: Running machines of a Vagrant project
version_added: 0.1.0
description:
  - Asks Vagrant for the machines of the project in O(project_dir) with
    C(vagrant status --machine-readable) and, for the running ones, C(vagrant ssh-config).
  - Every running machine becomes a host with C(ansible_host), C(ansible_port), C(ansible_user)
    and C(ansible_ssh_private_key_file) as Vagrant reports them now, so a project recreated
    with C(vagrant destroy -f && vagrant up) needs no inventory edit.
  - Hosts are in the group C(nodes); O(group_map) adds more groups, by default C(control_plane)
    holding C(node1).
  - The inventory file name must end with C(vagrant.yml) or C(vagrant.yaml).
author:
  - envoy_mesh.lab maintainers (@envoy-mesh-lab)
requirements:
  - Vagrant on the controller.
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: Marks the file as an inventory of this plugin.
    type: str
    required: true
    choices: [envoy_mesh.lab.vagrant]
  project_dir:
    description:
      - Directory that holds the C(Vagrantfile). A relative path is relative to the inventory file
        (to the file a symbolic link points at, when the inventory file is a link).
      - Falls back to the environment variable C(VAGRANT_CWD), the variable with which Vagrant
        itself is pointed at a project.
    type: str
    required: true
    env:
      - name: VAGRANT_CWD
  vagrant_binary:
    description:
      - Name or path of the Vagrant executable.
    type: str
    default: vagrant
  group_map:
    description:
      - Groups to create, each with the machine names it holds. Names of machines that are not
        running are left out with a warning.
    type: dict
    default:
      control_plane: [node1]
  extra_vars:
    description:
      - Variables set on every host, after the connection variables (so they may override them),
        for example C(ansible_python_interpreter) for old guests.
    type: dict
    default: {}
  host_key_checking:
    description:
      - Whether SSH checks the host keys of the machines. Off by default, since Vagrant makes new
        keys whenever a machine is recreated and reuses forwarded ports across machines; the hosts
        then get C(ansible_ssh_common_args) with C(StrictHostKeyChecking=no) and
        C(UserKnownHostsFile=/dev/null).
    type: bool
    default: false
  command_timeout:
    description:
      - Seconds to wait for each Vagrant command.
    type: int
    default: 120
notes:
  - Only SSH connection settings are read from C(vagrant ssh-config); a C(ProxyCommand) there is
    not carried over.
  - Vagrant runs in O(project_dir) with C(VAGRANT_CWD) unset, and with C(VAGRANT_CHECKPOINT_DISABLE=1)
    unless that is set, so that reading the inventory never waits on Vagrant's version check.
"""

EXAMPLES = r"""
# inventory/vagrant/lab.vagrant.yml: the tutorial's three CentOS 7 nodes; the project
# directory comes from VAGRANT_CWD (export VAGRANT_CWD=~/src/kubernetes-vagrant-centos-cluster)
plugin: envoy_mesh.lab.vagrant
extra_vars:
  ansible_python_interpreter: /usr/bin/python3

---
# More groups, a keyed group, and the Vagrant queries kept in a cache
plugin: envoy_mesh.lab.vagrant
project_dir: ~/src/kubernetes-vagrant-centos-cluster
group_map:
  control_plane: [node1]
  workers: [node2, node3]
keyed_groups:
  - key: ansible_user
    prefix: user
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-inventory
"""

import os
import shutil
import subprocess

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.envoy_mesh.lab.plugins.plugin_utils import vagrant


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = 'envoy_mesh.lab.vagrant'

    def verify_file(self, path):
        return (super(InventoryModule, self).verify_file(path)
                and path.endswith(('vagrant.yml', 'vagrant.yaml')))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        # A linked config (Molecule links inventory sources) stays relative to its own directory.
        project_dir = os.path.join(os.path.dirname(os.path.realpath(path)),
                                   os.path.expanduser(self.get_option('project_dir')))
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        facts = None
        if use_cache:
            try:
                facts = self._cache[cache_key]
            except KeyError:
                pass
        try:
            if facts is None:
                facts = self._query(os.path.normpath(project_dir))
            self._populate(facts)
        except vagrant.VagrantError as exc:
            raise AnsibleParserError(str(exc))
        if self.get_option('cache'):
            self._cache[cache_key] = facts

    def _query(self, project_dir):
        """What Vagrant says about the project: running machine names and their SSH settings."""
        vagrant.find_vagrantfile(project_dir)
        binary = self.get_option('vagrant_binary')
        if shutil.which(binary) is None:
            raise vagrant.VagrantError(vagrant.missing_binary_message(binary))
        status = self._run([binary, 'status', '--machine-readable'], project_dir)
        names = vagrant.running_names(vagrant.parse_status(status), project_dir)
        ssh_config = self._run([binary, 'ssh-config'] + names, project_dir)
        return dict(names=names, ssh_configs=vagrant.parse_ssh_config(ssh_config))

    def _run(self, args, project_dir):
        env = dict(os.environ)
        # VAGRANT_CWD would make Vagrant read another project than project_dir.
        env.pop('VAGRANT_CWD', None)
        # Otherwise each command may first ask the vendor's servers for a newer version.
        env.setdefault('VAGRANT_CHECKPOINT_DISABLE', '1')
        try:
            proc = subprocess.run(args, cwd=project_dir, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, universal_newlines=True,
                                  timeout=self.get_option('command_timeout'), check=False)
        except OSError as exc:
            raise vagrant.VagrantError('{0}: {1}'.format(vagrant.missing_binary_message(args[0]), exc))
        except subprocess.TimeoutExpired:
            raise vagrant.VagrantError('{0} did not finish within {1}s'.format(
                ' '.join(args), self.get_option('command_timeout')))
        if proc.returncode != 0:
            # Machine-readable output carries Vagrant's own message: raise that when present.
            vagrant.parse_status(proc.stdout)
            raise vagrant.VagrantError(vagrant.command_failed_message(args, proc.returncode, proc.stderr))
        return proc.stdout

    def _populate(self, facts):
        result = vagrant.build_inventory(
            facts['names'], facts['ssh_configs'], group_map=self.get_option('group_map'),
            extra_vars=self.get_option('extra_vars'), host_key_checking=self.get_option('host_key_checking'))
        for warning in result['warnings']:
            self.display.warning(warning)
        for group in result['groups']:
            self.inventory.add_group(group)
        strict = self.get_option('strict')
        for name in facts['names']:
            host_vars = result['hosts'][name]
            self.inventory.add_host(name, group=vagrant.NODES_GROUP)
            for key, value in host_vars.items():
                self.inventory.set_variable(name, key, value)
            self._set_composite_vars(self.get_option('compose'), host_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), host_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), host_vars, name, strict=strict)
        for group, members in result['groups'].items():
            for name in members:
                self.inventory.add_child(group, name)
