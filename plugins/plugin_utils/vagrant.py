# -*- coding: utf-8 -*-
# Copyright: (c) envoy_mesh.lab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a Vagrant project: the output of `vagrant status --machine-readable` and
`vagrant ssh-config`, turned into Ansible hosts and groups.

Pure functions of their arguments (stdlib only, Python 3.6 syntax), so that they can
be tested on recorded outputs without Vagrant.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

RUNNING = 'running'
NODES_GROUP = 'nodes'
VAGRANTFILE_NAMES = ('Vagrantfile', 'vagrantfile')
# Vagrant makes a new host key whenever a machine is recreated, and forwarded SSH
# ports are reused by other machines: known_hosts entries only get in the way.
NO_HOST_KEY_CHECKING = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'


class VagrantError(Exception):
    """A Vagrant project that cannot give an inventory; the message says why."""


# ---------------------------------------------------------------- the project

def find_vagrantfile(project_dir):
    """Path of the Vagrantfile of project_dir; VagrantError when there is none."""
    if not os.path.isdir(project_dir):
        raise VagrantError('project_dir {0} is not a directory: set it to the directory that holds '
                           'the Vagrantfile'.format(project_dir))
    for name in VAGRANTFILE_NAMES:
        path = os.path.join(project_dir, name)
        if os.path.isfile(path):
            return path
    raise VagrantError('no Vagrantfile in {0}: set project_dir to the directory of the lab\'s '
                       'Vagrantfile'.format(project_dir))


def missing_binary_message(binary):
    return ('the Vagrant executable {0!r} was not found: install Vagrant or point vagrant_binary '
            'at it'.format(binary))


def command_failed_message(args, returncode, stderr):
    detail = ' '.join((stderr or '').split())[:300]
    return '{0} exited with {1}{2}'.format(' '.join(args), returncode, ': ' + detail if detail else '')


# ---------------------------------------------------------------- vagrant status

def unescape(value):
    """Undo the escaping of machine-readable output (commas and line breaks)."""
    return value.replace('%!(VAGRANT_COMMA)', ',').replace('\\n', '\n').replace('\\r', '\r')


def parse_status(text):
    """Machines of `vagrant status --machine-readable` in Vagrantfile order.

    Returns a list of dict(name, state, provider). Lines that are not machine-readable
    records (plugin warnings, for example) are skipped; an error-exit record raises
    VagrantError with Vagrant's own message.
    """
    machines = []
    by_name = {}
    for line in text.splitlines():
        parts = line.split(',', 3)
        if len(parts) < 4 or not parts[0].isdigit():
            continue
        target, kind, data = parts[1], parts[2], parts[3]
        if kind == 'error-exit':
            error_class, dummy, message = data.partition(',')
            raise VagrantError('vagrant status failed ({0}): {1}'.format(
                error_class, ' '.join(unescape(message).split())))
        if not target or kind not in ('state', 'provider-name'):
            continue
        if target not in by_name:
            by_name[target] = dict(name=target, state=None, provider=None)
            machines.append(by_name[target])
        by_name[target]['state' if kind == 'state' else 'provider'] = unescape(data)
    return machines


def running_names(machines, project_dir):
    """Names of the running machines; VagrantError naming every state when none runs."""
    names = [m['name'] for m in machines if m['state'] == RUNNING]
    if names:
        return names
    if not machines:
        raise VagrantError('vagrant status lists no machine in {0}'.format(project_dir))
    raise VagrantError('no machine of {0} is running ({1}): run "vagrant up" there first'.format(
        project_dir, ', '.join('{0}: {1}'.format(m['name'], m['state']) for m in machines)))


# ---------------------------------------------------------------- vagrant ssh-config

def split_option(line):
    """('Key', 'value') of one ssh_config line; 'Key value' and 'Key=value' are both valid."""
    stripped = line.strip()
    cut = len(stripped)
    for index, char in enumerate(stripped):
        if char.isspace() or char == '=':
            cut = index
            break
    key = stripped[:cut]
    value = stripped[cut:].strip()
    if value.startswith('='):
        value = value[1:].strip()
    return key, unquote(value)


def unquote(value):
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse_ssh_config(text):
    """{host: {option (lower case): value}} of `vagrant ssh-config` output.

    IdentityFile may repeat, so it maps to a list; for other options the first value
    wins, as in ssh_config(5). Blank lines do not end a Host block, the next Host does.
    """
    hosts = {}
    current = None
    for line in text.splitlines():
        if not line.strip() or line.strip().startswith('#'):
            continue
        key, value = split_option(line)
        key = key.lower()
        if key == 'host':
            current = hosts.setdefault(value, {})
        elif current is None:
            continue
        elif key == 'identityfile':
            current.setdefault(key, []).append(value)
        else:
            current.setdefault(key, value)
    return hosts


def connection_vars(name, entry, host_key_checking=False):
    """Ansible connection variables of one machine from its ssh-config entry."""
    absent = [option for option in ('hostname', 'port', 'user') if not entry.get(option)]
    if absent:
        raise VagrantError('vagrant ssh-config gives no {0} for {1}'.format(
            ', '.join(absent), name))
    if not entry['port'].isdigit():
        raise VagrantError('vagrant ssh-config gives port {0!r} for {1}, not a number'.format(
            entry['port'], name))
    result = dict(ansible_host=entry['hostname'], ansible_port=int(entry['port']),
                  ansible_user=entry['user'])
    if entry.get('identityfile'):
        result['ansible_ssh_private_key_file'] = entry['identityfile'][0]
    args = []
    if not host_key_checking:
        args.append(NO_HOST_KEY_CHECKING)
    if entry.get('identitiesonly', '').lower() == 'yes':
        # Keys from an ssh agent would be offered first and exhaust MaxAuthTries.
        args.append('-o IdentitiesOnly=yes')
    if args:
        result['ansible_ssh_common_args'] = ' '.join(args)
    return result


# ---------------------------------------------------------------- the inventory

def build_inventory(names, ssh_configs, group_map=None, extra_vars=None, host_key_checking=False):
    """Hosts and groups of the running machines.

    Returns dict(hosts={name: vars}, groups={group: [names]}, warnings=[...]): every
    machine is in NODES_GROUP, group_map adds groups of named machines, and extra_vars
    are set on every host after the connection variables.
    """
    hosts = {}
    for name in names:
        if name not in ssh_configs:
            raise VagrantError('vagrant ssh-config has no entry for the running machine {0}'.format(name))
        host_vars = connection_vars(name, ssh_configs[name], host_key_checking)
        host_vars.update(extra_vars or {})
        hosts[name] = host_vars
    groups = {NODES_GROUP: list(names)}
    warnings = []
    for group, members in sorted((group_map or {}).items()):
        groups[group] = [m for m in members if m in hosts]
        absent = [m for m in members if m not in hosts]
        if absent:
            warnings.append('group {0} names {1}, which {2} not running'.format(
                group, ', '.join(absent), 'is' if len(absent) == 1 else 'are'))
    return dict(hosts=hosts, groups=groups, warnings=warnings)
