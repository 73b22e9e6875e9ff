"""A throwaway namespace on the real cluster where the tests write the EndpointSlices usersvc-sds reads."""

from toolkit.kube import Cluster

ACCOUNT = "usersvc-sds"
READER_RULES = [{"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]}]


class SliceNamespace:
    """A namespace with a selector-less Service ``usersvc`` and a ServiceAccount that may only read slices.

    Nothing else writes the Service's EndpointSlices, so they hold exactly what put_slice() wrote.
    """

    def __init__(self, kubeconfig=None):
        self.cluster = Cluster.in_new_namespace("sds-test", kubeconfig)
        self.name = self.cluster.namespace
        try:
            self._populate()
        except Exception:
            self.destroy()
            raise

    def _populate(self):
        core, rbac = self.cluster.core, self.cluster.rbac
        core.create_namespaced_service(self.name, {
            "metadata": {"name": "usersvc"},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 80}]},
        })
        core.create_namespaced_service_account(self.name, {"metadata": {"name": ACCOUNT}})
        rbac.create_namespaced_role(self.name, {"metadata": {"name": "endpointslice-reader"}, "rules": READER_RULES})
        rbac.create_namespaced_role_binding(self.name, {
            "metadata": {"name": ACCOUNT},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "endpointslice-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": ACCOUNT, "namespace": self.name}],
        })

    @property
    def server(self):
        return self.cluster.server

    def service_account_dir(self, directory, token=None):
        """The discovery service's ServiceAccount as the kubelet mounts it (``token`` replaces the real one)."""
        return self.cluster.service_account_dir(ACCOUNT, directory, token=token)

    def put_slice(self, name, endpoints, ports=(("http", 80),)):
        """Create or replace an EndpointSlice of usersvc; ``endpoints`` is [(ip, ready)]."""
        body = {
            "metadata": {"name": name, "labels": {"kubernetes.io/service-name": "usersvc",
                                                  "endpointslice.kubernetes.io/managed-by": "sds-tests"}},
            "addressType": "IPv4",
            "ports": [{"name": port_name, "port": port, "protocol": "TCP"} for port_name, port in ports],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": ready}} for ip, ready in endpoints],
        }
        discovery = self.cluster.discovery
        existing = {item.metadata.name for item in discovery.list_namespaced_endpoint_slice(self.name).items}
        if name in existing:
            discovery.replace_namespaced_endpoint_slice(name, self.name, body)
        else:
            discovery.create_namespaced_endpoint_slice(self.name, body)

    def delete_slice(self, name):
        self.cluster.discovery.delete_namespaced_endpoint_slice(name, self.name)

    def destroy(self):
        try:
            self.cluster.delete_namespace()
        finally:
            self.cluster.close()
