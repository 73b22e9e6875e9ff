"""Prints a playbook that runs, on localhost, every tasks file of a role that installs packages.

    node_installs.py [--root DIR] > node-installs.yml

A role may install what it runs on a node (coredns installs dig). The fresh-machine check runs
these tasks files on its fresh node before it looks for programs, so what a role installs for
itself counts as installed, and nothing else does. Found from the code: a tasks file counts when
one of its tasks uses a package module.
"""

import argparse
import os
import sys

import yaml

import program_sources

PACKAGE_MODULES = {"package", "apt", "yum", "dnf"}


def installing_tasks_files(root):
    """(role, tasks file) of every tasks file with a package module task, sorted."""
    found = []
    for path in program_sources.tracked_files(root):
        parts = path.split("/")
        if len(parts) != 4 or parts[0] != "roles" or parts[2] != "tasks" or not path.endswith(".yml"):
            continue
        for document in program_sources.load_yaml(os.path.join(root, path)):
            for task in program_sources.walk(document):
                if any(program_sources.module_name(str(key)) in PACKAGE_MODULES for key in task):
                    found.append((parts[1], parts[3][:-len(".yml")]))
                    break
    return sorted(set(found))


def playbook(entries):
    tasks = [
        {
            "name": "Run %s's %s entry point" % (role, tasks_file),
            "ansible.builtin.import_role": {"name": "envoy_mesh.lab." + role, "tasks_from": tasks_file},
        }
        for role, tasks_file in entries
    ]
    if not tasks:
        tasks = [{"name": "No role installs packages", "ansible.builtin.meta": "noop"}]
    return [{"name": "Install what the roles install for themselves", "hosts": "localhost",
             "gather_facts": False, "tasks": tasks}]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..")))
    args = parser.parse_args(argv)
    sys.stdout.write("---\n" + yaml.safe_dump(playbook(installing_tasks_files(args.root)), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
