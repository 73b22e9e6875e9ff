# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the other scripts
# Versions and fixed paths of the local lab cluster; sourced by every script here.
# Kubernetes 1.34 is the newest minor that runs on cgroup v1 without overrides and still supports
# containerd 1.6 (Debian bookworm's); see README.md.
KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.34.4}"
# Pinned by the Kubernetes go.mod above (go.etcd.io/etcd/server/v3).
ETCD_VERSION="${ETCD_VERSION:-v3.6.4}"
# CoreDNS that kubeadm 1.34 deploys (cmd/kubeadm/app/constants CoreDNSVersion).
COREDNS_VERSION="${COREDNS_VERSION:-v1.12.1}"
# Pause image that the 1.34 kubelet and kubeadm expect (build/pause/Makefile TAG).
PAUSE_VERSION="${PAUSE_VERSION:-3.10.1}"

# Image names are overridable so the benchmark can build into scratch tags.
PAUSE_IMAGE="${PAUSE_IMAGE:-envoy-mesh/pause:${PAUSE_VERSION}}"
COREDNS_IMAGE="${COREDNS_IMAGE:-envoy-mesh/coredns:${COREDNS_VERSION#v}}"
BASE_IMAGE="${BASE_IMAGE:-debian:bookworm-slim}"

GO="${GO:-/usr/local/go/bin/go}"
CACHE_DIR="${ENVOY_MESH_CACHE:-/var/cache/envoy-mesh-lab}"
STATE_DIR="/var/lib/envoy-mesh-lab"
RUN_DIR="/run/envoy-mesh-lab"
LOG_DIR="/var/log/envoy-mesh-lab"
KUBECONFIG_PATH="${STATE_DIR}/kubeconfig"
# Certificates, keys and the CA of the cluster (pki.sh writes them, the daemons read them).
PKI="${STATE_DIR}/pki"
KUBE_BIN_DIR="${CACHE_DIR}/kubernetes/${KUBERNETES_VERSION}/bin"
IMAGE_CACHE_DIR="${CACHE_DIR}/images"

SERVICE_CIDR="10.254.0.0/16"
API_SERVICE_IP="10.254.0.1"
CLUSTER_DNS_IP="10.254.0.2"
CLUSTER_DOMAIN="cluster.local"
POD_CIDR="10.244.0.0/16"
NODE_POD_CIDR="10.244.0.0/24"
NODE_GATEWAY="10.244.0.1"
CNI_BRIDGE="cni0"
# Both cluster ranges are routed into this dummy device, where iptables rejects them locally.
SINK_DEV="lab-sink"
# The node's own address lives on a second dummy device: reachable from pods (unlike 127.0.0.1) and
# never exposed on the machine's real network.
NODE_DEV="lab-node"
NODE_IP="10.253.0.1"
NODE_NAME="${NODE_NAME:-lab-node}"
NODEPORT_RANGE="30000-32767"

# Ports the components listen on (checked before start).
ETCD_CLIENT_PORT=2379
ETCD_PEER_PORT=2380
APISERVER_PORT=6443
CONTROLLER_MANAGER_PORT=10257
SCHEDULER_PORT=10259
KUBELET_PORT=10250
KUBELET_HEALTHZ_PORT=10248
PROXY_HEALTHZ_PORT=10256
PROXY_METRICS_PORT=10249

# containerd for the kubelet, separate from the one dockerd runs.
CONTAINERD_ROOT="${STATE_DIR}/containerd/root"
CONTAINERD_STATE="${RUN_DIR}/containerd/state"
CONTAINERD_SOCKET="${RUN_DIR}/containerd/containerd.sock"
CONTAINERD_CONFIG="${STATE_DIR}/containerd/config.toml"
CONTAINERD_RUNC_ROOT="${RUN_DIR}/runc"
CNI_CONF_DIR="${STATE_DIR}/cni/net.d"
CNI_BIN_DIR="/usr/lib/cni"
