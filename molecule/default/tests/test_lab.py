"""The lab after `site.yml` at tutorial step 3: images, pods, Services, DNS and round robin."""

import json

import pytest

IMAGES = ["usersvc", "usersvc-sds", "envoy", "postgres", "probe"]
DEPLOYMENTS = {"postgres": 1, "usersvc": 3, "usersvc-sds": 1, "edge-envoy": 1}


def running_images(kube):
    return {c["image"] for pod in kube.items("pods") for c in pod["spec"]["containers"]}


def test_every_workload_image_is_in_docker_and_containerd(host, kube, lab_vars):
    docker = host.run_expect([0], "docker image ls --format '{{.Repository}}:{{.Tag}}' 'envoy-mesh/*'")
    socket = lab_vars["node_images_containerd_socket"]
    containerd = host.run_expect([0], f"ctr --address {socket} --namespace k8s.io images ls --quiet")
    in_docker = set(docker.stdout.split())
    in_containerd = {ref.removeprefix("docker.io/") for ref in containerd.stdout.split()}
    for image in IMAGES:
        assert any(ref.startswith(f"envoy-mesh/{image}:") for ref in in_docker), image
    # The pods run content-tagged images that the kubelet's containerd holds, never a registry's.
    for ref in running_images(kube):
        assert ref.startswith("envoy-mesh/") and not ref.endswith(":latest"), ref
        assert ref in in_containerd and ref in in_docker, ref


@pytest.mark.parametrize(("name", "replicas"), sorted(DEPLOYMENTS.items()))
def test_deployment_pods_are_running_and_ready(kube, name, replicas):
    pods = kube.ready_pods(f"service={name}")
    assert len(pods) == replicas
    assert all(pod["status"]["phase"] == "Running" for pod in pods)


def test_pods_run_unprivileged(kube):
    for pod in kube.items("pods"):
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
        ("edge-envoy", 80, "http", 30800),
    ],
)
def test_service_ports(kube, name, port, target, node_port):
    service = kube.get("service", name)
    assert service["spec"]["selector"] == {"service": name}
    (spec_port,) = service["spec"]["ports"]
    assert (spec_port["port"], spec_port["targetPort"]) == (port, target)
    assert spec_port.get("nodePort") == node_port


def test_usersvc_endpoints_are_the_sidecars(kube):
    (endpoints,) = kube.items("endpointslices", "--selector", "kubernetes.io/service-name=usersvc")
    assert [(p["name"], p["port"]) for p in endpoints["ports"]] == [("http", 80)]
    assert len(endpoints["endpoints"]) == DEPLOYMENTS["usersvc"]


def test_discovery_service_may_only_read_endpointslices(kube):
    (rule,) = kube.get("role", "usersvc-sds")["rules"]
    assert rule["apiGroups"] == ["discovery.k8s.io"]
    assert rule["resources"] == ["endpointslices"]
    assert sorted(rule["verbs"]) == ["get", "list", "watch"]


def test_postgres_data_survives_pod_deletion_on_a_bound_volume(kube):
    claim = kube.get("pvc", "postgres-data")
    assert claim["status"]["phase"] == "Bound"


def test_services_resolve_from_a_pod(host, kube, lab_vars):
    socket = lab_vars["node_images_containerd_socket"]
    refs = host.run_expect([0], f"ctr --address {socket} --namespace k8s.io images ls --quiet")
    image = next(ref for ref in refs.stdout.split() if "/envoy-mesh/probe:" in f"/{ref}")
    overrides = {
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534},
        }
    }
    names = "usersvc postgres usersvc-sds edge-envoy kubernetes.default.svc.cluster.local"
    kubectl = "kubectl --namespace envoy-tutorial"
    # Read the answers from the finished pod's log: `kubectl run --attach` can miss the first lines of
    # a pod that prints them before the attach is in place.
    host.run(f"{kubectl} delete pod dns-test --ignore-not-found --wait=true")
    host.run_expect(
        [0],
        f"{kubectl} run dns-test --restart=Never "
        f"--image={image} --image-pull-policy=Never --overrides='{json.dumps(overrides)}' "
        f"--command -- sh -c 'for n in {names}; do dig +short +search $n | tail -n 1; done'",
    )
    try:
        host.run_expect([0], f"{kubectl} wait pod/dns-test --for=jsonpath='{{.status.phase}}'=Succeeded --timeout=60s")
        result = host.run_expect([0], f"{kubectl} logs dns-test")
    finally:
        host.run(f"{kubectl} delete pod dns-test --wait=false")
    answers = result.stdout.split()
    assert len(answers) == 5
    assert answers[-1] == "10.254.0.1"
    services = {name: kube.get("service", name)["spec"]["clusterIP"] for name in names.split()[:4]}
    assert answers[:4] == list(services.values())


def test_edge_cycles_through_every_usersvc_pod(kube, lab_vars, round_robin_check):
    pods = kube.ready_pods("service=usersvc")
    result = round_robin_check(
        url=f"{lab_vars['mesh_edge_base_url']}/user/alice",
        expected_backends=[pod["status"]["podIP"] for pod in pods],
        require_ok=True,
        use_proxy=False,
        wait_timeout=30,
    )
    assert result["failed"] is False, result["msg"]
    assert result["changed"] is False
    assert sorted(result["cycle"]) == sorted(pod["status"]["podIP"] for pod in pods)
    assert result["sequence"] == result["cycle"] * (12 // len(pods))


def test_seeded_users_answer_through_the_edge(host, lab_vars):
    for name, fullname in (("alice", "Alice"), ("bob", "Bob")):
        answer = json.loads(host.check_output(f"curl -sf {lab_vars['mesh_edge_base_url']}/user/{name}"))
        assert answer["ok"] is True and answer["fullname"] == fullname
        assert "password" not in answer
