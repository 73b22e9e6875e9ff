"""EndpointSlice bookkeeping for one Service: pure logic, no I/O."""

from .store import Endpoint


class ResourceExpired(Exception):
    """The watch's resourceVersion is too old (HTTP 410); the caller must list again."""


def slice_endpoints(endpoint_slice, port_name):
    """Ready (address, port) pairs of one EndpointSlice for the port called ``port_name``."""
    port = None
    for candidate in endpoint_slice.get("ports") or []:
        if (candidate.get("name") or "") == port_name and candidate.get("port"):
            port = candidate["port"]
            break
    if port is None:
        return []
    result = []
    for endpoint in endpoint_slice.get("endpoints") or []:
        # The API says an unset "ready" means unknown, to be treated as ready.
        if (endpoint.get("conditions") or {}).get("ready") is False:
            continue
        result.extend(Endpoint(address, port) for address in endpoint.get("addresses") or [])
    return result


class SliceCache:
    """The current EndpointSlices of one Service, fed by a list and then watch events."""

    def __init__(self, port_name):
        self.port_name = port_name
        self.resource_version = None
        self._slices = {}

    def reset(self, slice_list):
        """Replace everything with the result of a list call."""
        self._slices = {item["metadata"]["name"]: item for item in slice_list.get("items") or []}
        self.resource_version = slice_list["metadata"]["resourceVersion"]

    def apply(self, event):
        """Apply one watch event; return True when the slice set changed.

        An event it cannot read raises ValueError: the caller lists again rather than guess.
        """
        if not isinstance(event, dict) or not isinstance(event.get("object"), dict):
            raise ValueError(f"malformed watch event: {_short(event)}")
        kind = event.get("type")
        obj = event["object"]
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise ResourceExpired(obj.get("message", "resource version expired"))
            raise RuntimeError(f"watch error: {obj.get('code')} {obj.get('message')}")
        if kind not in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK"):
            raise ValueError(f"unknown watch event type {kind!r}: {_short(event)}")
        metadata = obj.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if kind != "BOOKMARK" and not (isinstance(name, str) and name):
            raise ValueError(f"{kind} event without metadata.name: {_short(event)}")
        if isinstance(metadata, dict) and metadata.get("resourceVersion"):
            self.resource_version = metadata["resourceVersion"]
        if kind in ("ADDED", "MODIFIED"):
            self._slices[name] = obj
            return True
        if kind == "DELETED":
            return self._slices.pop(name, None) is not None
        # BOOKMARK only moves the resourceVersion forward.
        return False

    def endpoints(self):
        result = set()
        for endpoint_slice in self._slices.values():
            result.update(slice_endpoints(endpoint_slice, self.port_name))
        return sorted(result)


def _short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
