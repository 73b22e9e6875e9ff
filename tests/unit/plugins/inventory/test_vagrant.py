# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vagrant inventory plugin loaded as Ansible loads it; no Vagrant is run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.plugins.loader import inventory_loader

from ansible_collections.envoy_mesh.lab.plugins.plugin_utils import vagrant

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'plugin_utils', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


@pytest.fixture
def plugin():
    found = inventory_loader.get('envoy_mesh.lab.vagrant')
    assert found is not None
    return found


def inventory_file(tmp_path, body, name='lab.vagrant.yml'):
    path = tmp_path / name
    path.write_text('plugin: envoy_mesh.lab.vagrant\n' + body)
    return str(path)


def project(tmp_path):
    directory = tmp_path / 'vagrant'
    directory.mkdir()
    (directory / 'Vagrantfile').write_text('Vagrant.configure("2") do |config| end\n')
    return directory


def test_verify_file_wants_a_vagrant_yml_name(plugin, tmp_path):
    assert plugin.verify_file(inventory_file(tmp_path, 'project_dir: .\n'))
    assert plugin.verify_file(inventory_file(tmp_path, 'project_dir: .\n', name='vagrant.yaml'))
    assert not plugin.verify_file(inventory_file(tmp_path, 'project_dir: .\n', name='hosts.yml'))


def test_parse_fails_clearly_without_a_vagrantfile(plugin, tmp_path):
    path = inventory_file(tmp_path, 'project_dir: .\n')
    with pytest.raises(AnsibleParserError) as error:
        plugin.parse(InventoryData(), DataLoader(), path, cache=False)
    assert "no Vagrantfile in {0}: set project_dir".format(tmp_path) in str(error.value)


def test_parse_fails_clearly_without_vagrant(plugin, tmp_path):
    project(tmp_path)
    path = inventory_file(tmp_path, 'project_dir: vagrant\nvagrant_binary: /nonexistent/bin/vagrant\n')
    with pytest.raises(AnsibleParserError) as error:
        plugin.parse(InventoryData(), DataLoader(), path, cache=False)
    assert "the Vagrant executable '/nonexistent/bin/vagrant' was not found" in str(error.value)


def test_parse_finds_the_project_relative_to_a_linked_config(plugin, tmp_path):
    # Molecule links inventory sources into a directory of its own.
    project(tmp_path)
    real = inventory_file(tmp_path, 'project_dir: vagrant\nvagrant_binary: /nonexistent/bin/vagrant\n')
    links = tmp_path / 'links'
    links.mkdir()
    (links / 'lab.vagrant.yml').symlink_to(real)
    with pytest.raises(AnsibleParserError) as error:
        plugin.parse(InventoryData(), DataLoader(), str(links / 'lab.vagrant.yml'), cache=False)
    # Past the Vagrantfile check: the project was found beside the real file.
    assert "the Vagrant executable '/nonexistent/bin/vagrant' was not found" in str(error.value)


def test_project_dir_falls_back_to_vagrant_cwd(plugin, tmp_path, monkeypatch):
    directory = project(tmp_path)
    monkeypatch.setenv('VAGRANT_CWD', str(directory))
    path = inventory_file(tmp_path, 'vagrant_binary: /nonexistent/bin/vagrant\n')
    with pytest.raises(AnsibleParserError) as error:
        plugin.parse(InventoryData(), DataLoader(), path, cache=False)
    assert "the Vagrant executable '/nonexistent/bin/vagrant' was not found" in str(error.value)
    monkeypatch.delenv('VAGRANT_CWD')
    with pytest.raises(AnsibleError, match="Required config 'project_dir'"):
        plugin.parse(InventoryData(), DataLoader(), path, cache=False)


def test_parse_reports_a_failing_command(plugin, tmp_path):
    project(tmp_path)
    path = inventory_file(tmp_path, 'project_dir: vagrant\nvagrant_binary: "false"\n')
    with pytest.raises(AnsibleParserError) as error:
        plugin.parse(InventoryData(), DataLoader(), path, cache=False)
    assert 'false status --machine-readable exited with 1' in str(error.value)


def populate(plugin, tmp_path, options):
    """Fill a real InventoryData from the recorded outputs of a lab whose node2 is off."""
    path = inventory_file(tmp_path, options + 'project_dir: vagrant\n')
    inventory = InventoryData()
    BaseInventoryPlugin.parse(plugin, inventory, DataLoader(), path)
    plugin._read_config_data(path)
    names = vagrant.running_names(vagrant.parse_status(fixture('status-node2-poweroff.txt')), 'vagrant')
    plugin._populate(dict(names=names, ssh_configs=vagrant.parse_ssh_config(fixture('ssh-config-three-nodes.txt'))))
    return inventory


def test_populate_adds_running_machines_to_nodes_and_control_plane(plugin, tmp_path):
    inventory = populate(plugin, tmp_path, '')
    assert sorted(inventory.hosts) == ['node1', 'node3']
    assert [h.name for h in inventory.groups['nodes'].get_hosts()] == ['node1', 'node3']
    assert [h.name for h in inventory.groups['control_plane'].get_hosts()] == ['node1']
    host_vars = inventory.get_host('node3').vars
    assert host_vars['ansible_host'] == '127.0.0.1'
    assert host_vars['ansible_port'] == 2201
    assert host_vars['ansible_user'] == 'vagrant'
    assert host_vars['ansible_ssh_private_key_file'].endswith('/.vagrant/machines/node3/virtualbox/private_key')
    assert 'StrictHostKeyChecking=no' in host_vars['ansible_ssh_common_args']


def test_populate_applies_group_map_extra_vars_and_constructed_options(plugin, tmp_path):
    inventory = populate(plugin, tmp_path, '\n'.join([
        'group_map:',
        '  control_plane: [node3]',
        'extra_vars:',
        '  ansible_python_interpreter: /usr/bin/python',
        'compose:',
        '  ssh_target: ansible_user ~ "@" ~ ansible_host ~ ":" ~ ansible_port',
        'keyed_groups:',
        '  - key: ansible_user',
        '    prefix: user',
        'groups:',
        '  first_port: ansible_port == 2222',
        '',
    ]))
    assert [h.name for h in inventory.groups['control_plane'].get_hosts()] == ['node3']
    node1 = inventory.get_host('node1')
    assert node1.vars['ansible_python_interpreter'] == '/usr/bin/python'
    assert node1.vars['ssh_target'] == 'vagrant@127.0.0.1:2222'
    assert sorted(h.name for h in inventory.groups['user_vagrant'].get_hosts()) == ['node1', 'node3']
    assert [h.name for h in inventory.groups['first_port'].get_hosts()] == ['node1']
