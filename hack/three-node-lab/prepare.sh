#!/usr/bin/env bash
# What `vagrant up` of a node needs from this machine, given a running control plane: the lab
# network, the shared directory, the node image and every node's join files. Prints the node image
# reference. Idempotent; run by up.sh, and by the Vagrantfile for a `vagrant up` of its own.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
component_healthy kube-apiserver >/dev/null 2>&1 ||
  three_node_die "the control plane is not running: make three-node-up starts it (and the nodes)"
[[ -d ${THREE_NODE_STATE} ]] ||
  three_node_die "the API server that runs is the single-node lab's: make cluster-down, then make three-node-up"

# The lab network: a user-defined bridge, so that each node keeps a fixed address.
if ! docker network inspect "${THREE_NODE_NETWORK}" >/dev/null 2>&1; then
  three_node_log "creating Docker network ${THREE_NODE_NETWORK} (${THREE_NODE_SUBNET}, bridge ${THREE_NODE_BRIDGE})"
  docker network create --driver bridge --subnet "${THREE_NODE_SUBNET}" --gateway "${THREE_NODE_GATEWAY}" \
    --opt "com.docker.network.bridge.name=${THREE_NODE_BRIDGE}" "${THREE_NODE_NETWORK}" >/dev/null
fi
mkdir -p "${THREE_NODE_SHARE_DIR}"
image="$("${THREE_NODE_HERE}/node-image.sh")"
"${THREE_NODE_HERE}/join-files.sh" "${THREE_NODE_NODES[@]}"
echo "${image}"
