"""The Vagrant path against real Vagrant machines: the inventory plugin, SSH, and reprovisioning.

Every check runs the commands a user types (vagrant, ansible-inventory, ansible, ansible-playbook,
ssh) and compares what they say with one another.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.lab import REPO

LAB = REPO / "tests" / "vagrant"
INVENTORY = LAB / "lab.vagrant.yml"
BIN = Path(sys.executable).parent
IMAGES_REPOSITORY = "envoy-mesh-vagrant"
ENV = dict(os.environ, VAGRANT_CHECKPOINT_DISABLE="1", ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))


def run(*args, cwd=REPO, check=True, timeout=600):
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def ssh_config():
    """{machine: {'port': int, 'key': path}} from `vagrant ssh-config`, read without the plugin."""
    machines = {}
    current = None
    for line in run("vagrant", "ssh-config", cwd=LAB).stdout.splitlines():
        words = line.split(None, 1)
        if len(words) != 2:
            continue
        key, value = words
        if key == "Host":
            current = machines.setdefault(value, {})
        elif key == "HostName":
            current["host"] = value
        elif key == "Port":
            current["port"] = int(value)
        elif key == "IdentityFile":
            current["key"] = value.strip('"')
    return machines


def fingerprint(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def container_id(machine):
    return (LAB / ".vagrant" / "machines" / machine / "docker" / "id").read_text().strip()


def plain(value):
    """A value of `ansible-inventory --list` without the marker it puts on strings never templated."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def inventory():
    return plain(json.loads(run(BIN / "ansible-inventory", "-i", INVENTORY, "--list").stdout))


def ssh_with_key(key, port):
    """Exit code of a plain ssh login with the given key only (255 when refused)."""
    return run(
        "ssh", "-i", key, "-p", port, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10",
        "vagrant@127.0.0.1", "true", check=False, timeout=60,
    ).returncode


def test_plugin_lists_the_machines_with_what_vagrant_reports():
    data = inventory()
    assert sorted(data["nodes"]["hosts"]) == ["node1", "node2"]
    assert data["control_plane"]["hosts"] == ["node1"]
    reported = ssh_config()
    for name, machine in reported.items():
        host_vars = data["_meta"]["hostvars"][name]
        assert machine["host"] == "127.0.0.1"
        assert (host_vars["ansible_host"], host_vars["ansible_port"]) == ("127.0.0.1", machine["port"])
        assert host_vars["ansible_ssh_private_key_file"] == machine["key"]
    # Vagrant replaced its insecure key with one key per machine.
    assert len({fingerprint(m["key"]) for m in reported.values()}) == len(reported)


def test_machines_built_the_images_with_the_hosts_docker_over_ssh():
    result = run(
        BIN / "ansible", "-i", INVENTORY, "nodes", "-m", "ansible.builtin.command",
        "-a", f"docker image ls --quiet --filter reference={IMAGES_REPOSITORY}/*",
    )
    assert result.stdout.count("rc=0") == 2
    local = run("docker", "image", "ls", "--format", "{{.Repository}}", "--filter",
                f"reference={IMAGES_REPOSITORY}/*").stdout.split()
    assert sorted(set(local)) == sorted(
        f"{IMAGES_REPOSITORY}/{image}" for image in ["envoy", "postgres", "probe", "usersvc", "usersvc-sds"]
    )


def test_reprovision_recreates_a_machine_that_the_next_run_reaches_with_its_new_port_and_key(tmp_path):
    before = ssh_config()
    node2_before = before["node2"]
    old_key = tmp_path / "node2-old-key"
    shutil.copy(node2_before["key"], old_key)
    old_key.chmod(0o600)
    old_container = container_id("node2")
    node1_container = container_id("node1")

    run(
        BIN / "ansible-playbook", "-i", INVENTORY, REPO / "playbooks" / "reprovision.yml",
        "-e", f"reprovision_project_dir={LAB}",
        "-e", '{"reprovision_machines": ["node2"]}',
        "-e", f"reprovision_converge_playbook={LAB / 'nodes.yml'}",
        timeout=900,
    )

    after = ssh_config()
    node2_after = after["node2"]
    assert container_id("node2") != old_container, "node2 was not recreated"
    assert node2_after["port"] != node2_before["port"]
    assert fingerprint(node2_after["key"]) != fingerprint(old_key)
    # node1 was left alone.
    assert container_id("node1") == node1_container
    assert after["node1"]["port"] == before["node1"]["port"]
    assert fingerprint(after["node1"]["key"]) == fingerprint(before["node1"]["key"])

    # A fresh run finds the new port and key through the plugin and gets in with them.
    host_vars = inventory()["_meta"]["hostvars"]["node2"]
    assert host_vars["ansible_port"] == node2_after["port"]
    result = run(BIN / "ansible", "-i", INVENTORY, "node2", "-m", "ansible.builtin.command", "-a", "hostname")
    assert "node2" in result.stdout.split(">>", 1)[1]
    # The old key no longer opens the machine; the new one does.
    assert ssh_with_key(old_key, node2_after["port"]) == 255
    assert ssh_with_key(node2_after["key"], node2_after["port"]) == 0
