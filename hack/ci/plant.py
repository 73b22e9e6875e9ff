"""Plants a known defect in a copy of the repository, to show that the fresh-machine check fails.

    plant.py task ROOT   a role task that runs a program nothing installs
    plant.py dig ROOT    the coredns role without its dig install, as the code was before it had one

Only for copies: it edits the files under ROOT in place.
"""

import os
import sys

import yaml

PLANTED_PROGRAM = "envoy-mesh-planted-program"


def plant_task(root):
    path = os.path.join(root, "roles", "mesh_validate", "tasks", "main.yml")
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(
            "\n- name: Run a program that nothing installs (planted by hack/ci/plant.py)\n"
            "  ansible.builtin.command:\n"
            "    argv: [%s, --version]\n"
            "  changed_when: false\n" % PLANTED_PROGRAM
        )


def plant_dig(root):
    tasks = os.path.join(root, "roles", "coredns", "tasks")
    nodes = os.path.join(tasks, "nodes.yml")
    with open(nodes, encoding="utf-8") as stream:
        steps = yaml.safe_load(stream)
    steps = [step for step in steps if step.get("ansible.builtin.import_tasks") != "dig.yml"]
    with open(nodes, "w", encoding="utf-8") as stream:
        stream.write("---\n" + yaml.safe_dump(steps, sort_keys=False))
    os.remove(os.path.join(tasks, "dig.yml"))


def main(argv):
    plants = {"task": plant_task, "dig": plant_dig}
    if len(argv) != 2 or argv[0] not in plants:
        sys.stderr.write(__doc__)
        return 2
    plants[argv[0]](argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
