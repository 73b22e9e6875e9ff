#!/usr/bin/env bash
# Takes the three-node lab down: destroys node1..node3 (their volumes go with them), removes every
# node container of the lab even if Vagrant lost track of it, the lab network and the host routes,
# then stops the control plane and removes its state with hack/local-cluster/down.sh. The build
# caches (node image included) are kept. Works from any state and can be run twice.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
if command -v "${VAGRANT}" >/dev/null; then
  "${VAGRANT}" destroy --force >>"${LOG_DIR}/three-node-vagrant.log" 2>&1 ||
    three_node_log "vagrant destroy failed (see ${LOG_DIR}/three-node-vagrant.log); removing the containers directly"
fi
if docker info >/dev/null 2>&1; then
  leftovers="$(docker ps -aq --filter "label=${THREE_NODE_LABEL}")"
  # shellcheck disable=SC2086  # a list of ids
  [[ -z ${leftovers} ]] || docker rm -f -v ${leftovers} >/dev/null
  docker network rm "${THREE_NODE_NETWORK}" >/dev/null 2>&1 || true
fi
rm -rf "${THREE_NODE_HERE}/.vagrant/machines"
"${THREE_NODE_HERE}/routes.sh" --remove
# The marker goes first: local-cluster/down.sh hands over to this script while it exists.
rm -rf "${THREE_NODE_STATE}"
"${LOCAL_CLUSTER_DIR}/down.sh"
three_node_log "three-node lab removed (node image kept in Docker and ${IMAGE_CACHE_DIR})"
