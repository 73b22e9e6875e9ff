"""Which deployed mesh a run checks, read from the environment so that CI and side-by-side copies share it.

MESH_NAMESPACE (default: the lab's namespace), MESH_EDGE_NODE_PORT (default: the lab's NodePort), KUBECONFIG
(default: the lab's), MESH_EXTRA_VARS (more --extra-vars for the playbooks a run starts, as ansible-playbook
takes them). Used by the end-to-end suite and benchmarks/load.py; molecule.yml of the faults scenario passes
the same variables to its playbooks.
"""

import os
from dataclasses import dataclass

from .lab import EDGE_HOST, EDGE_NODE_PORT, NAMESPACE, kubeconfig


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
            namespace=environ.get("MESH_NAMESPACE") or NAMESPACE,
            node_port=int(environ.get("MESH_EDGE_NODE_PORT") or EDGE_NODE_PORT),
            kubeconfig=kubeconfig(environ),
            extra_vars=environ.get("MESH_EXTRA_VARS", ""),
        )

    @property
    def edge_host(self):
        return EDGE_HOST

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
