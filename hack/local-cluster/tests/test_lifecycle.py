"""Stop/start checks of the local lab cluster: down.sh leaves nothing behind, up.sh repairs faults.

These take the cluster down (every object in it is lost), so they only run when asked:
    LOCAL_CLUSTER_LIFECYCLE=1 .venv/bin/pytest hack/local-cluster/tests/test_lifecycle.py
The last check brings the cluster back up and leaves it running.
"""

import os
import pathlib
import socket
import subprocess

import pytest

from conftest import CLUSTER_DIR, lab_setting

pytestmark = pytest.mark.skipif(
    os.environ.get("LOCAL_CLUSTER_LIFECYCLE") != "1",
    reason="takes the cluster down; set LOCAL_CLUSTER_LIFECYCLE=1",
)

STATE_DIR = pathlib.Path(lab_setting("STATE_DIR"))
PID_DIR = STATE_DIR / "run"
KUBE_BIN_DIR = lab_setting("KUBE_BIN_DIR")
CONTAINERD_CONFIG = lab_setting("CONTAINERD_CONFIG")
CONTAINERD_SOCKET = lab_setting("CONTAINERD_SOCKET")
DEVICES = [lab_setting("SINK_DEV"), lab_setting("NODE_DEV"), lab_setting("CNI_BRIDGE")]


def script(name, **env):
    return subprocess.run(
        [str(CLUSTER_DIR / name)], capture_output=True, text=True, timeout=900, env={**os.environ, **env}, check=False
    )


def cluster_processes():
    """Pids and command lines of processes this cluster runs (components and containerd shims)."""
    found = {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            exe = os.readlink(entry / "exe")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if exe.startswith(KUBE_BIN_DIR) or CONTAINERD_CONFIG in cmdline or CONTAINERD_SOCKET in cmdline:
            found[int(entry.name)] = cmdline
    return found


def iptables_chains():
    chains = []
    for cmd in ("iptables-save", "ip6tables-save"):
        out = subprocess.run([cmd], capture_output=True, text=True, check=True).stdout
        chains += [line.split()[0][1:] for line in out.splitlines() if line.startswith(":")]
    return [c for c in chains if c.startswith(("KUBE-", "CNI-", "LAB-"))]


def test_down_leaves_nothing_behind():
    result = script("down.sh")
    assert result.returncode == 0, result.stderr
    assert cluster_processes() == {}
    assert not STATE_DIR.exists()
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    assert not [d for d in DEVICES if f" {d}:" in links]
    assert iptables_chains() == []
    mounts = pathlib.Path("/proc/self/mountinfo").read_text()
    assert str(STATE_DIR) not in mounts and "/run/envoy-mesh-lab" not in mounts


def test_down_again_is_harmless():
    result = script("down.sh")
    assert result.returncode == 0, result.stderr


def test_status_reports_a_stopped_cluster():
    result = script("status.sh")
    assert result.returncode == 1
    assert "kube-apiserver" in result.stdout and lab_setting("LOG_DIR") in result.stdout


def test_up_refuses_a_port_taken_by_another_program():
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", int(lab_setting("ETCD_CLIENT_PORT"))))
        sock.listen()
        result = script("up.sh")
    assert result.returncode != 0
    assert (
        f"port {lab_setting('ETCD_CLIENT_PORT')}" in result.stderr and f"pid {os.getpid()}" in result.stderr
    )
    assert cluster_processes() == {}, "nothing may start when a port is taken"


def test_up_without_go_says_so_when_a_build_is_needed(tmp_path):
    result = script("build-kubernetes.sh", GO="/nonexistent/go", ENVOY_MESH_CACHE=str(tmp_path))
    assert result.returncode != 0 and "Go not found at /nonexistent/go" in result.stderr


def test_up_starts_the_cluster():
    result = script("up.sh")
    assert result.returncode == 0, result.stderr
    assert script("status.sh").returncode == 0


def test_up_ignores_a_stale_pid_file_and_adopts_the_running_component():
    pid_file = PID_DIR / "kube-scheduler.pid"
    real = pid_file.read_text()
    pid_file.write_text(f"{os.getpid()}\n")  # alive, but not a scheduler
    result = script("up.sh")
    assert result.returncode == 0, result.stderr
    assert "starting" not in result.stderr
    assert pid_file.read_text() == real


def test_up_repairs_a_half_started_cluster():
    for name in ("kube-scheduler", "kubelet"):
        os.kill(int((PID_DIR / f"{name}.pid").read_text()), 9)
    assert script("status.sh").returncode == 1
    result = script("up.sh")
    assert result.returncode == 0, result.stderr
    assert "starting kube-scheduler" in result.stderr and "starting kubelet" in result.stderr
    assert script("status.sh").returncode == 0
