"""Envoy v3 EDS messages in their JSON form, and the tutorial's v1 registration view. Pure logic."""

import hashlib
import json

EDS_TYPE_URL = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"


class BadRequest(ValueError):
    pass


def parse_discovery_request(body):
    """Return (version_info, resource_names) of a DiscoveryRequest, or raise BadRequest."""
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(request, dict):
        raise BadRequest("DiscoveryRequest must be a JSON object")
    type_url = request.get("type_url") or request.get("typeUrl") or EDS_TYPE_URL
    if type_url != EDS_TYPE_URL:
        raise BadRequest(f"unsupported type_url {type_url!r}")
    version = request.get("version_info", request.get("versionInfo", ""))
    names = request.get("resource_names", request.get("resourceNames", []))
    if not isinstance(version, str) or not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise BadRequest("version_info must be a string and resource_names a list of strings")
    return version, sorted(set(names))


def cluster_load_assignment(cluster_name, endpoints):
    lb_endpoints = [
        {"endpoint": {"address": {"socket_address": {"address": ep.address, "port_value": ep.port}}}}
        for ep in endpoints
    ]
    return {
        "@type": EDS_TYPE_URL,
        "cluster_name": cluster_name,
        "endpoints": [{"lb_endpoints": lb_endpoints}] if lb_endpoints else [],
    }


def resources_version(resources):
    """A version derived from content, so a restarted server agrees with what Envoy already has."""
    canonical = json.dumps(resources, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def discovery_response(version, resources):
    return {"version_info": version, "resources": resources, "type_url": EDS_TYPE_URL}


def registration(endpoints):
    """The v1 SDS answer the tutorial shows: GET /v1/registration/<service>."""
    return {"hosts": [{"ip_address": ep.address, "port": ep.port, "tags": {}} for ep in endpoints]}
