"""A throwaway namespace on a real Kubernetes API server, for the EndpointSlice source of usersvc-sds."""

import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit

LAB_KUBECONFIG = "/var/lib/envoy-mesh-lab/kubeconfig"
READER_RULES = [{"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]}]


def kubeconfig_path():
    path = os.environ.get("KUBECONFIG") or LAB_KUBECONFIG
    return path if Path(path).is_file() else None


class Namespace:
    """A namespace with a selector-less Service ``usersvc`` and a ServiceAccount that may only read slices."""

    def __init__(self, kubeconfig):
        from kubernetes import client, config  # pylint: disable=import-outside-toplevel  # optional dependency

        self.api_client = config.new_client_from_config(config_file=kubeconfig)
        self.core = client.CoreV1Api(self.api_client)
        self.discovery = client.DiscoveryV1Api(self.api_client)
        self.rbac = client.RbacAuthorizationV1Api(self.api_client)
        self.name = f"sds-test-{uuid.uuid4().hex[:8]}"
        self.core.create_namespace({"metadata": {"name": self.name}})
        try:
            self._populate()
        except Exception:
            self.destroy()
            raise

    def _populate(self):
        self.core.create_namespaced_service(self.name, {
            "metadata": {"name": "usersvc"},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 80}]},
        })
        self.core.create_namespaced_service_account(self.name, {"metadata": {"name": "usersvc-sds"}})
        self.rbac.create_namespaced_role(self.name,
                                         {"metadata": {"name": "endpointslice-reader"}, "rules": READER_RULES})
        self.rbac.create_namespaced_role_binding(self.name, {
            "metadata": {"name": "usersvc-sds"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "endpointslice-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "usersvc-sds", "namespace": self.name}],
        })

    @property
    def server(self):
        parts = urlsplit(self.api_client.configuration.host)
        return parts.hostname, str(parts.port or 443)

    def service_account_dir(self, directory, token=None):
        """Lay out token, ca.crt and namespace as the kubelet mounts them in a pod."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if token is None:
            request = {"spec": {"audiences": [], "expirationSeconds": 3600}}
            token = self.core.create_namespaced_service_account_token("usersvc-sds", self.name, request).status.token
        (directory / "token").write_text(token)
        shutil.copyfile(self.api_client.configuration.ssl_ca_cert, directory / "ca.crt")
        (directory / "namespace").write_text(self.name)
        return directory

    def put_slice(self, name, endpoints, ports=(("http", 80),)):
        """Create or replace an EndpointSlice of usersvc; ``endpoints`` is [(ip, ready)]."""
        body = {
            "metadata": {"name": name, "labels": {"kubernetes.io/service-name": "usersvc",
                                                  "endpointslice.kubernetes.io/managed-by": "sds-tests"}},
            "addressType": "IPv4",
            "ports": [{"name": port_name, "port": port, "protocol": "TCP"} for port_name, port in ports],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": ready}} for ip, ready in endpoints],
        }
        existing = {item.metadata.name for item in self.discovery.list_namespaced_endpoint_slice(self.name).items}
        if name in existing:
            self.discovery.replace_namespaced_endpoint_slice(name, self.name, body)
        else:
            self.discovery.create_namespaced_endpoint_slice(self.name, body)

    def delete_slice(self, name):
        self.discovery.delete_namespaced_endpoint_slice(name, self.name)

    def destroy(self):
        self.core.delete_namespace(self.name)
        self.api_client.close()
