"""Which deployed mesh the suite checks, read from the environment so CI and side-by-side copies share it.

MESH_NAMESPACE (default envoy-tutorial), MESH_EDGE_NODE_PORT (default 30800), KUBECONFIG (default the
local lab's), MESH_EXTRA_VARS (more --extra-vars for the playbooks the suite runs, as ansible-playbook takes them).
"""

import os
from dataclasses import dataclass

LAB_KUBECONFIG = "/var/lib/envoy-mesh-lab/kubeconfig"


@dataclass(frozen=True)
class MeshTarget:
    namespace: str
    node_port: int
    kubeconfig: str
    extra_vars: str = ""

    @classmethod
    def from_env(cls, environ=None):
        environ = os.environ if environ is None else environ
        return cls(
            namespace=environ.get("MESH_NAMESPACE") or "envoy-tutorial",
            node_port=int(environ.get("MESH_EDGE_NODE_PORT") or 30800),
            kubeconfig=environ.get("KUBECONFIG") or LAB_KUBECONFIG,
            extra_vars=environ.get("MESH_EXTRA_VARS", ""),
        )

    @property
    def edge_host(self):
        # NodePorts answer on loopback in the local lab.
        return "127.0.0.1"

    @property
    def edge_url(self):
        return f"http://{self.edge_host}:{self.node_port}"

    def playbook_args(self):
        """--extra-vars that point the collection's playbooks at this copy of the mesh."""
        args = [
            "--extra-vars", f"mesh_namespace={self.namespace}",
            "--extra-vars", f"mesh_kubeconfig={self.kubeconfig}",
            "--extra-vars", f"mesh_edge_base_url={self.edge_url}",
            "--extra-vars", f"edge_envoy_node_port={self.node_port}",
        ]
        if self.extra_vars.strip():
            args += ["--extra-vars", self.extra_vars]
        return args
