"""The whole data plane on loopback, as the tutorial runs it in Kubernetes.

Three "pods" get their own loopback address (127.0.0.11..13, their POD_IP). Each runs usersvc bound to
that address and a sidecar Envoy listening on it; a discovery service reads the endpoint file; the edge
Envoy is rendered from the step-3 template.
"""

from toolkit.http import request

from .envoy import start_edge, start_sidecar
from .postgres import PostgresCluster
from .processes import free_port_on_all, wait_until
from .sds import EndpointFile, SdsProcess
from .usersvc import UsersvcProcess

POD_ADDRESSES = ("127.0.0.11", "127.0.0.12", "127.0.0.13")


class Backend:
    def __init__(self, processes, index, address, db_env, app_port, sidecar_port):
        self.processes = processes
        self.index = index
        self.address = address
        self.app_port = app_port
        self.sidecar_port = sidecar_port
        self.app = UsersvcProcess(processes, db_env, address=address, port=app_port, pod_ip=address,
                                  pod_name=f"usersvc-{index}", name=f"usersvc-{index}")
        self.sidecar = None
        self.start_sidecar()

    def start_sidecar(self):
        self.sidecar = start_sidecar(self.processes, f"sidecar-{self.index}-{self.sidecar_port}", self.address,
                                     self.sidecar_port, self.address, self.app_port)

    @property
    def endpoint(self):
        return (self.address, self.sidecar_port)


class DataPlane:
    def __init__(self, processes, endpoint_path):
        self.processes = processes
        self.postgres = PostgresCluster(processes)
        app_port = free_port_on_all(POD_ADDRESSES)
        sidecar_port = free_port_on_all(POD_ADDRESSES)
        self.backends = [Backend(processes, i, address, self.postgres.client_env(), app_port, sidecar_port)
                         for i, address in enumerate(POD_ADDRESSES)]
        self.endpoints = EndpointFile(endpoint_path)
        self.publish(self.backends)
        self.sds = SdsProcess(processes, self.endpoints)
        self.edge = start_edge(processes, edge_envoy_sds_host="127.0.0.1", edge_envoy_sds_port=self.sds.port)
        self.wait_for_rotation(self.backends)

    def publish(self, backends):
        self.endpoints.write({"usersvc": [b.endpoint for b in backends]})

    def wait_for_rotation(self, backends, timeout=10):
        wanted = {b.endpoint for b in backends}

        def in_rotation():
            return (set(self.edge.cluster_hosts("usersvc")) == wanted
                    and self.edge.healthy_hosts("usersvc") == wanted
                    and self.edge.stat("cluster.usersvc.membership_healthy") == len(wanted))

        wait_until(in_rotation, timeout, interval=0.01, what=f"edge rotation {sorted(wanted)}")

    def call(self, method, path, body=None):
        return request(method, "127.0.0.1", self.edge.listen_port, path, body=body)

    def resolvednames(self, count, path="/user/alice"):
        """``count`` sequential GETs through the edge, each on a new connection like curl."""
        names = []
        for _request in range(count):
            response = self.call("GET", path)
            assert response.status == 200, response.body
            names.append(response.json()["resolvedname"])
        return names

    def destroy(self):
        self.postgres.destroy()
