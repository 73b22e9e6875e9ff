# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the other scripts
# The three-node lab: node names, addresses and paths, on top of the single-node lab's helpers
# (hack/local-cluster/lib.sh: versions, paths, daemons). Sourced, never run.
set -euo pipefail

THREE_NODE_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOCAL_CLUSTER_DIR="$(cd "${THREE_NODE_HERE}/../local-cluster" && pwd)"
# shellcheck source=../local-cluster/lib.sh
. "${LOCAL_CLUSTER_DIR}/lib.sh"

# The tutorial's node1..node3 at 172.17.8.101-103 would collide with Docker's bridge (172.17.0.0/16):
# the lab network is 10.253.8.0/24 and each node keeps its last octet.
THREE_NODE_NODES=(node1 node2 node3)
THREE_NODE_NETWORK="envoy-mesh-lab-nodes"
THREE_NODE_BRIDGE="lab-nodes"
THREE_NODE_SUBNET="10.253.8.0/24"
THREE_NODE_GATEWAY="10.253.8.1"
# Docker label on every node container, whichever checkout made it.
THREE_NODE_LABEL="envoy-mesh-lab.node"
# Present from the first step of `up.sh` until `down.sh` is done: the single-node lab refuses to
# start while it exists (the two labs share the API server and the cluster's ranges).
THREE_NODE_STATE="${STATE_DIR}/three-node"
THREE_NODE_JOIN_DIR="${THREE_NODE_STATE}/join"
# The directory of this machine that every node mounts at THREE_NODE_SHARE_MOUNT, standing in for
# the NFS share a real lab would export (this kernel has no NFS).
THREE_NODE_SHARE_DIR="${THREE_NODE_STATE}/share"
THREE_NODE_SHARE_MOUNT="/srv/envoy-mesh-share"
THREE_NODE_IMAGE_REPOSITORY="envoy-mesh-lab/node"
# CoreDNS pods, on different nodes: losing one node must not take cluster DNS with it.
THREE_NODE_COREDNS_REPLICAS=2
VAGRANT="${VAGRANT:-vagrant}"
export VAGRANT_CHECKPOINT_DISABLE=1
# Vagrant must act on this project, whatever VAGRANT_CWD the caller has.
export VAGRANT_CWD="${THREE_NODE_HERE}"

three_node_log() { printf '[three-node-lab] %s\n' "$*" >&2; }
three_node_die() { printf '[three-node-lab] ERROR: %s\n' "$*" >&2; exit 1; }

# node_ip NAME: nodeN is 10.253.8.(100+N).
node_ip() { echo "10.253.8.$((100 + ${1#node}))"; }

node_container() { echo "envoy-mesh-$1"; }

# check_node_names NAME...: fails naming an unknown node and the known ones.
check_node_names() {
  local name
  for name in "$@"; do
    [[ " ${THREE_NODE_NODES[*]} " == *" ${name} "* ]] ||
      three_node_die "there is no node '${name}' in the three-node lab: its nodes are ${THREE_NODE_NODES[*]}"
  done
}

# single_node_running: succeeds when the single-node lab's node (kubelet or its containerd) runs.
single_node_running() {
  find_component kubelet >/dev/null || find_component containerd >/dev/null
}

kubectl_() { "${KUBE_BIN_DIR}/kubectl" --kubeconfig "${KUBECONFIG_PATH}" "$@"; }

# The node's Ready condition as the API server has it ("True", "False", "Unknown" or empty).
node_ready() {
  kubectl_ get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null
}
