"""Checks of the running local lab cluster: node, versions, DNS, NodePorts, the network sink, up.sh again.

Run against a cluster started with `make cluster`:  .venv/bin/pytest hack/local-cluster/tests
"""

import errno
import json
import ipaddress
import pathlib
import socket
import subprocess
import time
import urllib.request
import uuid

import pytest

from conftest import CLUSTER_DIR, KUBECTL, kubectl, kubectl_json, lab_setting, wait_until

NODE = lab_setting("NODE_NAME")
DNS_IP = lab_setting("CLUSTER_DNS_IP")
DOMAIN = lab_setting("CLUSTER_DOMAIN")
SERVICE_CIDR = ipaddress.ip_network(lab_setting("SERVICE_CIDR"))
POD_CIDR = ipaddress.ip_network(lab_setting("POD_CIDR"))
NODE_POD_CIDR = ipaddress.ip_network(lab_setting("NODE_POD_CIDR"))
SINK = lab_setting("SINK_DEV")

# An echo server that perl-base (part of the minimal Debian image) can run: answers every request with TOKEN.
ECHO_SERVER = r"""
use IO::Socket::INET;
my $s = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die $!;
while (my $c = $s->accept) {
  while (my $l = <$c>) { last if $l =~ /^\r?\n$/ }
  my $b = $ENV{TOKEN};
  print $c "HTTP/1.0 200 OK\r\nContent-Length: " . length($b) . "\r\nConnection: close\r\n\r\n$b";
  close $c;
}
"""


def run_pod(namespace, name, image, command, env=None, labels=None):
    container = {
        "name": "main",
        "image": image,
        "imagePullPolicy": "Never",
        "command": command,
        "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"containers": [container], "terminationGracePeriodSeconds": 0},
    }
    kubectl("apply", "-f", "-", input=json.dumps(pod))
    kubectl("-n", namespace, "wait", "--for=condition=Ready", f"pod/{name}", "--timeout=120s", timeout=150)
    return kubectl_json("-n", namespace, "get", "pod", name)


@pytest.fixture(scope="module")
def shell_pod(namespace, base_image):
    return run_pod(namespace, "shell", base_image, ["sleep", "infinity"])


def pod_exec(namespace, name, *command, check=True):
    return kubectl("-n", namespace, "exec", name, "--", *command, check=check)


def unused_address(network, taken, start):
    for host in network.hosts():
        if int(host) >= int(start) and str(host) not in taken:
            return str(host)
    raise AssertionError(f"no unused address in {network}")


def connect_error(address, port=80, timeout=3.0):
    """Connects from the host; returns the errno of the failure, or None if it connected."""
    with socket.socket() as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
        except socket.timeout:
            return "timeout"
        except OSError as err:
            return err.errno
    return None


def test_node_is_ready(cluster_up):
    node = kubectl_json("get", "node", NODE)
    ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
    assert ready and ready[0]["status"] == "True", ready
    assert node["spec"]["podCIDR"] == str(NODE_POD_CIDR)


def test_kubectl_and_server_report_the_built_version(cluster_up):
    expected = lab_setting("KUBERNETES_VERSION")
    versions = json.loads(kubectl("version", "-o", "json").stdout)
    assert versions["clientVersion"]["gitVersion"] == expected
    assert versions["serverVersion"]["gitVersion"] == expected
    assert pathlib.Path(KUBECTL).resolve() == pathlib.Path(lab_setting("KUBE_BIN_DIR"), "kubectl")


def test_pod_resolves_service_names_through_cluster_dns(namespace, shell_pod):
    resolv = pod_exec(namespace, "shell", "cat", "/etc/resolv.conf").stdout
    assert f"nameserver {DNS_IP}" in resolv.split("\n")
    assert f"{namespace}.svc.{DOMAIN}" in resolv
    hosts = pod_exec(namespace, "shell", "getent", "hosts", f"kubernetes.default.svc.{DOMAIN}").stdout
    assert hosts.split()[0] == str(SERVICE_CIDR[1])


def dns_query(name):
    """A DNS query for the A record of NAME (id 1, recursion desired)."""
    labels = b"".join(bytes([len(part)]) + part.encode() for part in name.split("."))
    return b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + labels + b"\x00\x00\x01\x00\x01"


def first_a_record(reply):
    """The address in the last 4 bytes of a reply with one A answer (enough for this check)."""
    answers = int.from_bytes(reply[6:8], "big")
    return str(ipaddress.ip_address(reply[-4:])) if answers else None


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_cluster_dns_answers_the_host_over(transport, cluster_up):
    query = dns_query(f"kubernetes.default.svc.{DOMAIN}")
    if transport == "udp":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(3)
            sock.sendto(query, (DNS_IP, 53))
            reply = sock.recv(512)
    else:
        with socket.create_connection((DNS_IP, 53), timeout=3) as sock:
            sock.sendall(len(query).to_bytes(2, "big") + query)
            reply = sock.recv(2 + 512)[2:]
    assert first_a_record(reply) == str(SERVICE_CIDR[1])


def test_dns_does_not_answer_names_outside_the_cluster(namespace, shell_pod):
    result = pod_exec(namespace, "shell", "getent", "hosts", "deb.debian.org", check=False)
    assert result.returncode != 0 and result.stdout == ""


def test_nodeport_answers_on_loopback(namespace, base_image):
    token = uuid.uuid4().hex
    run_pod(
        namespace,
        "echo",
        base_image,
        ["perl", "-e", ECHO_SERVER],
        env={"TOKEN": token},
        labels={"app": "echo"},
    )
    kubectl("-n", namespace, "expose", "pod", "echo", "--type=NodePort", "--port=80", "--target-port=8080")
    node_port = kubectl_json("-n", namespace, "get", "service", "echo")["spec"]["ports"][0]["nodePort"]

    def answer():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{node_port}/", timeout=3) as response:
                return response.read().decode()
        except OSError:
            return None

    assert wait_until(f"127.0.0.1:{node_port}", answer, timeout=60) == token


def test_unassigned_cluster_ip_is_refused_locally(cluster_up):
    taken = {s["spec"].get("clusterIP") for s in kubectl_json("get", "services", "-A")["items"]}
    address = unused_address(SERVICE_CIDR, taken, SERVICE_CIDR[-256])
    assert connect_error(address) == errno.ECONNREFUSED


def test_unassigned_pod_ips_fail_locally(cluster_up):
    outside_node = str(POD_CIDR[-2])  # in the pod range, not on this node: routed to the sink
    assert connect_error(outside_node) == errno.ECONNREFUSED
    taken = {p["status"].get("podIP") for p in kubectl_json("get", "pods", "-A")["items"]}
    on_node = unused_address(NODE_POD_CIDR, taken, NODE_POD_CIDR[200])  # on cni0, nobody answers ARP
    assert connect_error(on_node) in (errno.EHOSTUNREACH, errno.ECONNREFUSED)


def test_unassigned_cluster_ip_is_refused_inside_a_pod(namespace, shell_pod):
    taken = {s["spec"].get("clusterIP") for s in kubectl_json("get", "services", "-A")["items"]}
    address = unused_address(SERVICE_CIDR, taken, SERVICE_CIDR[-256])
    result = pod_exec(
        namespace, "shell", "timeout", "3", "bash", "-c", f"</dev/tcp/{address}/80", check=False
    )
    assert result.returncode == 1 and "refused" in result.stderr, (result.returncode, result.stderr)


@pytest.mark.parametrize("network", [SERVICE_CIDR, POD_CIDR])
def test_cluster_ranges_are_routed_to_the_sink(network):
    address = str(network[-3])
    route = subprocess.run(["ip", "route", "get", address], capture_output=True, text=True, check=True).stdout
    assert f"dev {SINK} " in route, route


def test_up_again_changes_nothing(cluster_up):
    pid_dir = pathlib.Path(lab_setting("STATE_DIR"), "run")
    before = {p.name: p.read_text() for p in pid_dir.glob("*.pid")}
    started = time.monotonic()
    result = subprocess.run([str(CLUSTER_DIR / "up.sh")], capture_output=True, text=True, timeout=300, check=False)
    elapsed = time.monotonic() - started
    print(f"up.sh with the cluster up: {elapsed:.1f}s")
    assert result.returncode == 0, result.stderr
    assert "starting" not in result.stderr and "building" not in result.stderr, result.stderr
    after = {p.name: p.read_text() for p in pid_dir.glob("*.pid")}
    assert after == before
