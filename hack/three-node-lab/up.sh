#!/usr/bin/env bash
# Brings up the three-node lab: the control plane on this machine (hack/local-cluster's, without its
# local node), the lab network, the node image, then node1..node3 with `vagrant up`, whose
# provisioning joins them; then host routes to the pods and CoreDNS. Safe to run again: running
# nodes are left as they are. A node that fails is named with the fix; the others still come up.
#   up.sh [--recreate] [NODE...]     (default: every node; --recreate destroys NODEs first)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=nodes.sh
. "${THREE_NODE_HERE}/nodes.sh"
# shellcheck source=../lib/apt.sh
. "${THREE_NODE_HERE}/../lib/apt.sh"

recreate=0
nodes=()
for arg in "$@"; do
  case ${arg} in
    --recreate) recreate=1 ;;
    *) nodes+=("${arg}") ;;
  esac
done
((${#nodes[@]})) || nodes=("${THREE_NODE_NODES[@]}")

ensure_vagrant() {
  if [[ ${VAGRANT} == vagrant ]] && ! command -v vagrant >/dev/null; then
    apt_install_missing "${LOG_DIR}/apt.log" vagrant || true
  fi
  command -v "${VAGRANT}" >/dev/null ||
    three_node_die "Vagrant was not found (${VAGRANT}): install Debian's Vagrant (apt-get install vagrant) or set VAGRANT to its path. Nothing was started or changed; ${THREE_NODE_NODES[*]} are as they were."
}

ensure_docker() {
  docker info >/dev/null 2>&1 && return 0
  start_daemon dockerd
  wait_for dockerd 60 docker info || three_node_die "dockerd did not start; see ${LOG_DIR}/dockerd.log"
}

start_control_plane() {
  local name timeout
  for name in etcd:60 kube-apiserver:120 kube-controller-manager:60 kube-scheduler:60; do
    timeout=${name#*:} name=${name%%:*}
    component_healthy "${name}" >/dev/null 2>&1 && pid_of "${name}" >/dev/null && continue
    start_daemon "${name}"
    wait_for "${name}" "${timeout}" component_healthy "${name}" ||
      three_node_die "${name} did not become healthy within ${timeout}s; see ${LOG_DIR}/${name}.log (then: make three-node-down && make three-node-up)"
  done
  [[ "$(readlink /usr/local/bin/kubectl 2>/dev/null)" == "${KUBE_BIN_DIR}/kubectl" ]] ||
    ln -sfn "${KUBE_BIN_DIR}/kubectl" /usr/local/bin/kubectl
}

# The single-node lab's host network (node address for the API server, the sink for both ranges),
# without its pod bridge: here each node's podCIDR is routed to that node.
host_network() {
  "${LOCAL_CLUSTER_DIR}/network.sh" up
  ip link del "${CNI_BRIDGE}" 2>/dev/null || true
}

# Node containers Vagrant would trip over. One that never started is what a failed `docker run` of
# `vagrant up` leaves (its address was taken, say): removed, nothing ran in it. One that ran but that
# this checkout's Vagrant does not know belongs to a lab started elsewhere: refused.
check_node_containers() {
  local node state container
  for node in "$@"; do
    container="$(node_container "${node}")"
    docker container inspect "${container}" >/dev/null 2>&1 || continue
    if [[ "$(docker inspect -f '{{.State.Status}}' "${container}")" == created ]]; then
      three_node_log "removing ${container}, which a failed vagrant up of ${node} left"
      docker rm -f -v "${container}" >/dev/null
      continue
    fi
    state="$(awk -v n="${node}" '$1 == n {print $2}' <<<"$(vagrant_states)")"
    [[ ${state} == not_created ]] || continue
    three_node_die "a container ${container} exists that this checkout's Vagrant does not know (a lab started from another checkout?). Fix: make three-node-down in that checkout, or docker rm -f ${container}. Nothing was changed."
  done
}

ensure_coredns() {
  local manifest py
  for py in python3 /usr/bin/python3; do "${py}" -c 'import jinja2' 2>/dev/null && break; done
  manifest="$("${py}" "${LOCAL_CLUSTER_DIR}/render-coredns.py" --replicas "${THREE_NODE_COREDNS_REPLICAS}" \
    "${COREDNS_IMAGE}" "${CLUSTER_DNS_IP}" "${CLUSTER_DOMAIN}")" ||
    three_node_die "could not render the CoreDNS manifest (python3 with jinja2 is needed)"
  local ssa=(--server-side --force-conflicts --field-manager envoy-mesh-lab -f -)
  kubectl_ diff "${ssa[@]}" <<<"${manifest}" >/dev/null 2>&1 || kubectl_ apply "${ssa[@]}" <<<"${manifest}" >&2
  kubectl_ -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null ||
    three_node_die "CoreDNS is not available: $(kubectl_ -n kube-system get pods -l k8s-app=kube-dns -o wide 2>&1 | tail -n +2)"
}

need_root
check_node_names "${nodes[@]}"
mkdir -p "${LOG_DIR}"
ensure_vagrant
if single_node_running; then
  three_node_die "the single-node lab is running (make cluster-status). Both labs use the same API server (${NODE_IP}:${APISERVER_PORT}), etcd and pod and service ranges, so only one runs at a time: make cluster-down first, then make three-node-up."
fi
mkdir -p "${THREE_NODE_STATE}"
"${LOCAL_CLUSTER_DIR}/install-deps.sh"
ensure_docker
"${LOCAL_CLUSTER_DIR}/build-kubernetes.sh"
"${LOCAL_CLUSTER_DIR}/build-images.sh"
"${LOCAL_CLUSTER_DIR}/pki.sh"
host_network
start_control_plane
# The Vagrantfile starts nodes from this image and need not prepare again.
THREE_NODE_IMAGE="$("${THREE_NODE_HERE}/prepare.sh" | tail -n 1)"
export THREE_NODE_IMAGE

# destroy_nodes NODE...: `vagrant destroy`, and the containers of failed `vagrant up`s, which may survive it.
# Returns the status of `vagrant destroy`.
destroy_nodes() {
  local node rc=0
  "${VAGRANT}" destroy --force "$@" >>"${LOG_DIR}/three-node-vagrant.log" 2>&1 || rc=$?
  for node in "$@"; do docker rm -f -v "$(node_container "${node}")" >/dev/null 2>&1 || true; done
  return "${rc}"
}

if ((recreate)); then
  three_node_log "recreating ${nodes[*]}"
  destroy_nodes "${nodes[@]}"
fi
check_node_containers "${nodes[@]}"
three_node_log "vagrant up ${nodes[*]} (output in ${LOG_DIR}/three-node-vagrant.log)"
vagrant_rc=0
run_log="${THREE_NODE_STATE}/vagrant-up.log"
"${VAGRANT}" up --parallel "${nodes[@]}" >"${run_log}" 2>&1 || vagrant_rc=$?
cat "${run_log}" >>"${LOG_DIR}/three-node-vagrant.log"
# Vagrant's Docker provider races with itself when it creates machines in parallel (seen: one machine
# stuck in `preparing` after `docker inspect` of another's new container found no such object). A
# machine that did not get to run is made once more, on its own.
states="$(vagrant_states)"
retry=()
for node in "${nodes[@]}"; do
  [[ "$(awk -v n="${node}" '$1 == n {print $2}' <<<"${states}")" == running ]] || retry+=("${node}")
done
if ((${#retry[@]})) && ((${#retry[@]} < ${#nodes[@]})); then
  three_node_log "vagrant up failed ${retry[*]} while making machines in parallel; making it once more on its own"
  destroy_nodes "${retry[@]}" || true
  vagrant_rc=0
  "${VAGRANT}" up --no-parallel "${retry[@]}" >"${run_log}" 2>&1 || vagrant_rc=$?
  cat "${run_log}" >>"${LOG_DIR}/three-node-vagrant.log"
fi
"${THREE_NODE_HERE}/routes.sh"

states="$(vagrant_states)"
problems=()
for node in "${nodes[@]}"; do
  problem="$(node_problem "${node}" "$(awk -v n="${node}" '$1 == n {print $2}' <<<"${states}")")"
  [[ -z ${problem} ]] && continue
  # Vagrant's own words about this machine, when it failed it.
  said="$(grep -A4 "on the '${node}' machine" "${run_log}" | tail -n +2 | grep -v '^\s*$' | head -n 3 | tr -s ' \n' ' ' || true)"
  problems+=("${problem}${said:+ Vagrant said: ${said}}")
done
if ((${#problems[@]})); then
  for problem in "${problems[@]}"; do three_node_log "ERROR: ${problem}"; done
  three_node_die "${#problems[@]} of ${#nodes[@]} node(s) did not come up; the other nodes were left as they were."
fi
((vagrant_rc == 0)) ||
  three_node_die "vagrant up exited with ${vagrant_rc}: $(tail -n 3 "${run_log}" | tr -s ' \n' ' ') (whole log: ${LOG_DIR}/three-node-vagrant.log)"
ensure_coredns

three_node_log "three-node lab is up: Kubernetes ${KUBERNETES_VERSION}, nodes ${nodes[*]}"
for node in "${THREE_NODE_NODES[@]}"; do
  three_node_log "  ${node}  $(node_ip "${node}")  NodePort http://$(node_ip "${node}"):30800"
done
echo "export KUBECONFIG=${KUBECONFIG_PATH}"
