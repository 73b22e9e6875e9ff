# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing of Vagrant outputs; the fixtures follow what Vagrant prints for a three-node lab."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.envoy_mesh.lab.plugins.plugin_utils import vagrant

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')
PROJECT = '/home/alice/kubernetes-vagrant-centos-cluster'


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


# ---------------------------------------------------------------- status

def test_parse_status_lists_machines_in_vagrantfile_order():
    machines = vagrant.parse_status(fixture('status-node2-poweroff.txt'))
    assert machines == [
        dict(name='node1', state='running', provider='virtualbox'),
        dict(name='node2', state='poweroff', provider='virtualbox'),
        dict(name='node3', state='running', provider='virtualbox'),
    ]
    assert vagrant.running_names(machines, PROJECT) == ['node1', 'node3']


def test_parse_status_of_a_single_machine_without_metadata_records():
    machines = vagrant.parse_status(fixture('status-single-machine-vagrant-1.txt'))
    assert machines == [dict(name='default', state='running', provider='vmware_fusion')]


def test_parse_status_skips_lines_that_are_not_records():
    text = 'Vagrant gems may not be loaded\n' + fixture('status-all-running.txt') + '\n\n1,2\n'
    assert [m['name'] for m in vagrant.parse_status(text)] == ['node1', 'node2', 'node3']


def test_parse_status_raises_vagrants_own_error_message():
    with pytest.raises(vagrant.VagrantError) as error:
        vagrant.parse_status(fixture('status-no-environment.txt'))
    assert str(error.value).startswith(
        'vagrant status failed (Vagrant::Errors::NoEnvironmentError): A Vagrant environment or target '
        'machine is required to run this command. Run `vagrant init` to create a new Vagrant environment. Or, get')


def test_running_names_explains_why_there_is_nothing_to_manage():
    machines = vagrant.parse_status(fixture('status-not-created.txt'))
    with pytest.raises(vagrant.VagrantError) as error:
        vagrant.running_names(machines, PROJECT)
    assert str(error.value) == ('no machine of {0} is running (node1: not_created, node2: not_created, '
                                'node3: not_created): run "vagrant up" there first'.format(PROJECT))
    with pytest.raises(vagrant.VagrantError, match='lists no machine'):
        vagrant.running_names([], PROJECT)


def test_unescape():
    assert vagrant.unescape('a%!(VAGRANT_COMMA) b\\nc\\r') == 'a, b\nc\r'


# ---------------------------------------------------------------- ssh-config

def test_parse_ssh_config_of_three_nodes():
    hosts = vagrant.parse_ssh_config(fixture('ssh-config-three-nodes.txt'))
    assert sorted(hosts) == ['node1', 'node2', 'node3']
    assert hosts['node2']['hostname'] == '127.0.0.1'
    assert hosts['node2']['port'] == '2200'
    assert hosts['node2']['identityfile'] == [PROJECT + '/.vagrant/machines/node2/virtualbox/private_key']


def test_parse_ssh_config_with_quoted_paths_blank_lines_and_several_keys():
    entry = vagrant.parse_ssh_config(fixture('ssh-config-spaces-and-keys.txt'))['node1']
    assert entry['identityfile'] == [
        '/home/alice/My Labs/envoy mesh/.vagrant/machines/node1/virtualbox/private_key',
        '/home/alice/.vagrant.d/insecure_private_key',
    ]
    assert entry['identitiesonly'] == 'yes'
    assert entry['hostkeyalgorithms'] == '+ssh-rsa'


def test_split_option_accepts_both_separators():
    assert vagrant.split_option('  Port 2222') == ('Port', '2222')
    assert vagrant.split_option('Port=2222') == ('Port', '2222')
    assert vagrant.split_option('Port = 2222') == ('Port', '2222')
    assert vagrant.split_option('IdentityFile "/a b/key"') == ('IdentityFile', '/a b/key')
    assert vagrant.split_option('ForwardAgent') == ('ForwardAgent', '')


def test_first_value_of_an_option_wins_and_lines_before_host_are_ignored():
    hosts = vagrant.parse_ssh_config('Port 1\nHost a\n  Port 2\n  Port 3\n# comment\n')
    assert hosts == {'a': {'port': '2'}}


def test_connection_vars():
    entry = vagrant.parse_ssh_config(fixture('ssh-config-three-nodes.txt'))['node1']
    assert vagrant.connection_vars('node1', entry) == dict(
        ansible_host='127.0.0.1',
        ansible_port=2222,
        ansible_user='vagrant',
        ansible_ssh_private_key_file=PROJECT + '/.vagrant/machines/node1/virtualbox/private_key',
        ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes',
    )
    checked = vagrant.connection_vars('node1', entry, host_key_checking=True)
    assert checked['ansible_ssh_common_args'] == '-o IdentitiesOnly=yes'


def test_connection_vars_name_what_is_missing():
    with pytest.raises(vagrant.VagrantError, match='gives no port, user for node1'):
        vagrant.connection_vars('node1', {'hostname': '127.0.0.1'})
    with pytest.raises(vagrant.VagrantError, match="gives port 'x' for node1, not a number"):
        vagrant.connection_vars('node1', {'hostname': 'h', 'port': 'x', 'user': 'u'})


# ---------------------------------------------------------------- inventory

def test_build_inventory_groups_and_extra_vars():
    configs = vagrant.parse_ssh_config(fixture('ssh-config-three-nodes.txt'))
    result = vagrant.build_inventory(
        ['node1', 'node3'], configs, group_map={'control_plane': ['node1'], 'workers': ['node2', 'node3']},
        extra_vars={'ansible_python_interpreter': '/usr/bin/python', 'ansible_user': 'root'})
    assert sorted(result['hosts']) == ['node1', 'node3']
    assert result['hosts']['node3']['ansible_port'] == 2201
    assert result['hosts']['node3']['ansible_user'] == 'root'
    assert result['hosts']['node1']['ansible_python_interpreter'] == '/usr/bin/python'
    assert result['groups'] == {'nodes': ['node1', 'node3'], 'control_plane': ['node1'], 'workers': ['node3']}
    assert result['warnings'] == ['group workers names node2, which is not running']


def test_build_inventory_needs_an_ssh_config_for_every_running_machine():
    with pytest.raises(vagrant.VagrantError, match='no entry for the running machine node4'):
        vagrant.build_inventory(['node4'], vagrant.parse_ssh_config(fixture('ssh-config-three-nodes.txt')))


# ---------------------------------------------------------------- the project

def test_find_vagrantfile(tmp_path):
    with pytest.raises(vagrant.VagrantError) as error:
        vagrant.find_vagrantfile(str(tmp_path))
    assert str(error.value) == ("no Vagrantfile in {0}: set project_dir to the directory of the lab's "
                                'Vagrantfile'.format(tmp_path))
    with pytest.raises(vagrant.VagrantError, match='is not a directory'):
        vagrant.find_vagrantfile(str(tmp_path / 'absent'))
    (tmp_path / 'Vagrantfile').write_text('Vagrant.configure("2") do |config| end\n')
    assert vagrant.find_vagrantfile(str(tmp_path)) == str(tmp_path / 'Vagrantfile')


def test_command_failed_message_is_one_short_line():
    msg = vagrant.command_failed_message(['vagrant', 'ssh-config'], 1, 'The provider for this Vagrant-managed '
                                         'machine is reporting that it\nis not yet ready for SSH.' + ' x' * 500)
    assert msg.startswith('vagrant ssh-config exited with 1: The provider for this Vagrant-managed machine is '
                          'reporting that it is not yet ready for SSH.')
    assert '\n' not in msg and len(msg) < 400


# ---------------------------------------------------------------- recorded from a real lab
# Outputs of Vagrant 2.3.4 with the docker provider on the test lab (tests/vagrant), the
# project path replaced: the forms above hold for another provider and its states too.
DOCKER_PROJECT = '/home/alice/envoy-mesh-lab/tests/vagrant'


def test_real_status_of_running_stopped_and_destroyed_machines():
    assert vagrant.parse_status(fixture('status-docker-running.txt')) == [
        dict(name='node1', state='running', provider='docker'),
        dict(name='node2', state='running', provider='docker'),
    ]
    stopped = vagrant.parse_status(fixture('status-docker-node2-stopped.txt'))
    assert stopped[1] == dict(name='node2', state='stopped', provider='docker')
    assert vagrant.running_names(stopped, DOCKER_PROJECT) == ['node1']
    destroyed = vagrant.parse_status(fixture('status-docker-node2-not-created.txt'))
    assert destroyed[1] == dict(name='node2', state='not_created', provider='docker')
    assert vagrant.running_names(destroyed, DOCKER_PROJECT) == ['node1']


def test_real_status_outside_a_project_raises_after_its_ui_error_line():
    with pytest.raises(vagrant.VagrantError, match=r'^vagrant status failed \(Vagrant::Errors::NoEnvironmentError\)'):
        vagrant.parse_status(fixture('status-docker-no-vagrantfile.txt'))


def test_real_ssh_config_gives_per_machine_keys_on_loopback_ports():
    configs = vagrant.parse_ssh_config(fixture('ssh-config-docker.txt'))
    result = vagrant.build_inventory(['node1', 'node2'], configs, group_map={'control_plane': ['node1']})
    assert result['groups'] == {'nodes': ['node1', 'node2'], 'control_plane': ['node1']}
    assert result['warnings'] == []
    assert result['hosts']['node2'] == dict(
        ansible_host='127.0.0.1',
        ansible_port=32770,
        ansible_user='vagrant',
        ansible_ssh_private_key_file=DOCKER_PROJECT + '/.vagrant/machines/node2/docker/private_key',
        ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes',
    )
