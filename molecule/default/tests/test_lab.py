"""The lab after `site.yml` at tutorial step 3: images, pods, Services, DNS and round robin."""

import json

import pytest

from toolkit.lab import EDGE_NODE_PORT, IMAGE_REPOSITORY, USERSVC

IMAGES = ["usersvc", "usersvc-sds", "envoy", "postgres", "probe"]
DEPLOYMENTS = {"postgres": 1, "usersvc": 3, "usersvc-sds": 1, "edge-envoy": 3}


def running_images(cluster):
    return {c["image"] for pod in cluster.items("pods") for c in pod["spec"]["containers"]}


def test_every_workload_image_is_in_docker_and_containerd(host, cluster, lab_vars):
    listing = "docker image ls --format '{{.Repository}}:{{.Tag}}'"
    docker = host.run_expect([0], f"{listing} '{IMAGE_REPOSITORY}/*'")
    socket = lab_vars["node_images_containerd_socket"]
    containerd = host.run_expect([0], f"ctr --address {socket} --namespace k8s.io images ls --quiet")
    in_docker = set(docker.stdout.split())
    in_containerd = {ref.removeprefix("docker.io/") for ref in containerd.stdout.split()}
    for image in IMAGES:
        assert any(ref.startswith(f"{IMAGE_REPOSITORY}/{image}:") for ref in in_docker), image
    # The pods run content-tagged images that the kubelet's containerd holds, never a registry's.
    for ref in running_images(cluster):
        assert ref.startswith(f"{IMAGE_REPOSITORY}/") and not ref.endswith(":latest"), ref
        assert ref in in_containerd and ref in in_docker, ref


@pytest.mark.parametrize(("name", "replicas"), sorted(DEPLOYMENTS.items()))
def test_deployment_pods_are_running_and_ready(cluster, name, replicas):
    pods = cluster.ready_pods(f"service={name}")
    assert len(pods) == replicas
    assert all(pod.status.phase == "Running" for pod in pods)


def test_pods_run_unprivileged(cluster):
    for pod in cluster.items("pods"):
        assert pod["spec"]["securityContext"].get("runAsNonRoot") is True, pod["metadata"]["name"]
        for container in pod["spec"]["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert container["imagePullPolicy"] in ("IfNotPresent", "Never")


@pytest.mark.parametrize(
    ("name", "port", "target", "node_port"),
    [
        ("postgres", 5432, "postgres", None),
        ("usersvc", 80, "http", None),
        ("usersvc-sds", 5000, "http", None),
        ("edge-envoy", 80, "http", EDGE_NODE_PORT),
    ],
)
def test_service_ports(cluster, name, port, target, node_port):
    service = cluster.get("service", name)
    assert service["spec"]["selector"] == {"service": name}
    (spec_port,) = service["spec"]["ports"]
    assert (spec_port["port"], spec_port["targetPort"]) == (port, target)
    assert spec_port.get("nodePort") == node_port


def test_usersvc_endpoints_are_the_sidecars(cluster):
    (endpoints,) = cluster.items("endpointslices", "kubernetes.io/service-name=usersvc")
    assert [(p["name"], p["port"]) for p in endpoints["ports"]] == [("http", 80)]
    assert len(endpoints["endpoints"]) == DEPLOYMENTS["usersvc"]


def test_discovery_service_may_only_read_endpointslices(cluster):
    (rule,) = cluster.get("role", "usersvc-sds")["rules"]
    assert rule["apiGroups"] == ["discovery.k8s.io"]
    assert rule["resources"] == ["endpointslices"]
    assert sorted(rule["verbs"]) == ["get", "list", "watch"]


def test_postgres_data_survives_pod_deletion_on_a_bound_volume(cluster):
    claim = cluster.get("pvc", "postgres-data")
    assert claim["status"]["phase"] == "Bound"


def test_services_resolve_from_a_pod(host, cluster, lab_vars):
    socket = lab_vars["node_images_containerd_socket"]
    refs = host.run_expect([0], f"ctr --address {socket} --namespace k8s.io images ls --quiet")
    image = next(ref for ref in refs.stdout.split() if f"/{IMAGE_REPOSITORY}/probe:" in f"/{ref}")
    overrides = {
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534},
        }
    }
    names = "usersvc postgres usersvc-sds edge-envoy kubernetes.default.svc.cluster.local"
    # Read the answers from the finished pod's log: `kubectl run --attach` can miss the first lines of
    # a pod that prints them before the attach is in place.
    cluster.kubectl("delete", "pod", "dns-test", "--ignore-not-found", "--wait=true")
    cluster.kubectl(
        "run", "dns-test", "--restart=Never", f"--image={image}", "--image-pull-policy=Never",
        f"--overrides={json.dumps(overrides)}",
        "--command", "--", "sh", "-c", f"for n in {names}; do dig +short +search $n | tail -n 1; done",
        check=True,
    )
    try:
        cluster.kubectl("wait", "pod/dns-test", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=60s",
                        timeout=90, check=True)
        result = cluster.kubectl("logs", "dns-test", check=True)
    finally:
        cluster.kubectl("delete", "pod", "dns-test", "--wait=false")
    answers = result.stdout.split()
    assert len(answers) == 5
    assert answers[-1] == "10.254.0.1"
    services = {name: cluster.get("service", name)["spec"]["clusterIP"] for name in names.split()[:4]}
    assert answers[:4] == list(services.values())


def test_edge_cycles_through_every_usersvc_pod(cluster, lab_vars, round_robin_check):
    ips = cluster.ready_ips(USERSVC)
    result = round_robin_check(
        url=f"{lab_vars['mesh_edge_base_url']}/user/alice",
        expected_backends=ips,
        require_ok=True,
        use_proxy=False,
        wait_timeout=30,
    )
    assert result["failed"] is False, result["msg"]
    assert result["changed"] is False
    assert sorted(result["cycle"]) == ips
    assert result["sequence"] == result["cycle"] * (12 // len(ips))


def test_seeded_users_answer_through_the_edge(host, lab_vars):
    for name, fullname in (("alice", "Alice"), ("bob", "Bob")):
        answer = json.loads(host.check_output(f"curl -sf {lab_vars['mesh_edge_base_url']}/user/{name}"))
        assert answer["ok"] is True and answer["fullname"] == fullname
        assert "password" not in answer
