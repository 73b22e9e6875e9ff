"""Minimal in-cluster Kubernetes API client on the standard library."""

import http.client
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request

from .endpointslices import ResourceExpired

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class ApiError(Exception):
    pass


class KubernetesApi:
    def __init__(self, base_url, token_path, ca_path):
        self.base_url = base_url.rstrip("/")
        self.token_path = token_path
        # No ProxyHandler: the API server is reached directly, whatever *_proxy variables say.
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca_path)))

    @classmethod
    def in_cluster(cls, account_dir=SERVICE_ACCOUNT_DIR):
        host = os.environ.get("KUBERNETES_SERVICE_HOST")
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        if not host:
            raise ApiError("KUBERNETES_SERVICE_HOST is not set: not running in a pod")
        if ":" in host:
            host = f"[{host}]"
        return cls(f"https://{host}:{port}", os.path.join(account_dir, "token"), os.path.join(account_dir, "ca.crt"))

    def _open(self, path, params, timeout):
        # Bound service-account tokens are rotated on disk, so read the file on every call.
        with open(self.token_path, encoding="utf-8") as handle:
            token = handle.read().strip()
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(params)}"
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        try:
            return self._opener.open(req, timeout=timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(2048).decode("utf-8", "replace")
            exc.close()
            if exc.code == 410:
                raise ResourceExpired(detail) from exc
            raise ApiError(f"GET {path}: HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise ApiError(f"GET {path}: {type(exc).__name__}: {exc}") from exc

    def get(self, path, params, timeout=30):
        with self._open(path, params, timeout) as resp:
            return json.load(resp)

    def watch(self, path, params, timeout):
        """Yield watch events; ``timeout`` bounds the wait for each line, not the whole watch.

        A stream cut short raises http.client.IncompleteRead (or OSError) from the iteration.
        """
        with self._open(path, dict(params, watch="1"), timeout) as resp:
            for line in resp:
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise ValueError(f"watch line is not JSON: {line[:200]!r}") from exc


def read_namespace(account_dir=SERVICE_ACCOUNT_DIR):
    with open(os.path.join(account_dir, "namespace"), encoding="utf-8") as handle:
        return handle.read().strip()
