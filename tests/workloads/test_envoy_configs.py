"""Every rendered Envoy config passes `envoy --mode validate` and says what the tutorial needs."""

import pytest
import yaml

from harness import REPO
from harness.envoy import EDGE_DEFAULTS, SIDECAR_DEFAULTS, render_edge, render_sidecar, validate

ROLE_DEFAULTS = {
    "sidecar": REPO / "roles" / "usersvc" / "defaults" / "main.yml",
    "edge": REPO / "roles" / "edge_envoy" / "defaults" / "main.yml",
}
H2_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"


def role_defaults(kind, keys):
    """The template variables as the role sets them, when the role's defaults exist."""
    path = ROLE_DEFAULTS[kind]
    if not path.exists():
        return {}
    defaults = yaml.safe_load(path.read_text()) or {}
    return {key: defaults[key] for key in keys if key in defaults}


CONFIGS = {
    "sidecar": lambda: render_sidecar(**role_defaults("sidecar", SIDECAR_DEFAULTS)),
    "edge-step2": lambda: render_edge(**{**role_defaults("edge", EDGE_DEFAULTS), "edge_envoy_discovery": "dns"}),
    "edge-step3": lambda: render_edge(**{**role_defaults("edge", EDGE_DEFAULTS), "edge_envoy_discovery": "eds"}),
    "edge-access-log": lambda: render_edge(**{**role_defaults("edge", EDGE_DEFAULTS), "edge_envoy_access_log": "true"}),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_rendered_config_validates(tmp_path, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(CONFIGS[name]())
    result = validate(path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "OK" in result.stdout


@pytest.mark.parametrize("overrides, message", [
    ({"edge_envoy_discovery": "xds"}, "edge_envoy_discovery must be dns or eds"),
    ({"edge_envoy_connect_timeout": "soon"}, "soon"),
])
def test_validation_rejects_bad_values(tmp_path, overrides, message):
    path = tmp_path / "broken.yaml"
    path.write_text(render_edge(**overrides))
    result = validate(path)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def load(name):
    return yaml.safe_load(CONFIGS[name]())


def cluster(config, name):
    return next(c for c in config["static_resources"]["clusters"] if c["name"] == name)


def route(config):
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    (virtual_host,) = hcm["route_config"]["virtual_hosts"]
    (only_route,) = virtual_host["routes"]
    return hcm, only_route


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_admin_listens_on_loopback_only(name):
    config = load(name)
    assert config["admin"]["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 8001}
    assert config["node"]["cluster"] and config["node"]["id"]


def test_sidecar_accepts_h2c_and_forwards_http1_to_the_app():
    config = load("sidecar")
    listener = config["static_resources"]["listeners"][0]
    assert listener["address"]["socket_address"] == {"address": "0.0.0.0", "port_value": 80}
    hcm, only_route = route(config)
    assert hcm["codec_type"] == "AUTO"
    assert only_route["match"] == {"prefix": "/user"}
    app = cluster(config, only_route["route"]["cluster"])
    assert app["type"] == "STATIC"
    assert "http_protocol_options" in app["typed_extension_protocol_options"][H2_OPTIONS]["explicit_http_config"]
    address = app["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
    assert address == {"address": "127.0.0.1", "port_value": 5000}


@pytest.mark.parametrize("name", ["edge-step2", "edge-step3"])
def test_edge_routes_user_round_robin_over_http2(name):
    config = load(name)
    only_route = route(config)[1]
    assert only_route["match"] == {"prefix": "/user"}
    assert only_route["route"]["timeout"] == "0s"
    assert set(only_route["route"]["retry_policy"]["retry_on"].split(",")) == {"connect-failure", "reset"}
    upstream = cluster(config, "usersvc")
    assert upstream["connect_timeout"] == "0.25s"
    assert upstream["lb_policy"] == "ROUND_ROBIN"
    assert "http2_protocol_options" in upstream["typed_extension_protocol_options"][H2_OPTIONS]["explicit_http_config"]


def test_step2_is_one_dns_name():
    upstream = cluster(load("edge-step2"), "usersvc")
    assert upstream["type"] == "STRICT_DNS"
    (endpoint,) = upstream["load_assignment"]["endpoints"][0]["lb_endpoints"]
    assert endpoint["endpoint"]["address"]["socket_address"] == {"address": "usersvc", "port_value": 80}


def test_step3_uses_eds_from_the_discovery_service_with_health_checks():
    config = load("edge-step3")
    upstream = cluster(config, "usersvc")
    assert upstream["type"] == "EDS"
    assert upstream["eds_cluster_config"]["service_name"] == "usersvc"
    source = upstream["eds_cluster_config"]["eds_config"]["api_config_source"]
    assert source["api_type"] == "REST" and source["cluster_names"] == ["usersvc-sds"]
    assert upstream["health_checks"][0]["http_health_check"]["path"] == "/user/health"
    assert upstream["outlier_detection"]
    sds = cluster(config, "usersvc-sds")
    assert sds["type"] == "STRICT_DNS"
    address = sds["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
    assert address == {"address": "usersvc-sds", "port_value": 5000}


def test_edge_access_log_only_when_asked():
    assert "access_log" not in route(load("edge-step3"))[0]
    (logger,) = route(load("edge-access-log"))[0]["access_log"]
    assert logger["name"] == "envoy.access_loggers.stdout"
