"""The lab at tutorial step 2: the edge resolves the usersvc ClusterIP, so one pod gets it all."""

from toolkit.lab import USERSVC


def test_there_is_no_discovery_service(cluster):
    assert cluster.items("deployments", "service=usersvc-sds") == []


def test_edge_resolves_the_usersvc_service_name(cluster):
    config = cluster.get("configmap", "edge-envoy-config")["data"]["envoy.yaml"]
    assert "type: STRICT_DNS" in config
    assert "type: EDS" not in config


def test_round_robin_check_fails_with_the_clusterip_explanation(cluster, lab_vars, round_robin_check):
    ips = cluster.ready_ips(USERSVC)
    assert len(ips) == 3
    result = round_robin_check(
        url=f"{lab_vars['mesh_edge_base_url']}/user/alice",
        expected_backends=ips,
        require_ok=True,
        use_proxy=False,
    )
    assert result["failed"] is True
    assert len(result["backends"]) == 1
    assert result["backends"][0] in set(ips)
    assert len(result["missing"]) == 2
    assert "ClusterIP" in result["msg"]
    assert result["errors"] == []
