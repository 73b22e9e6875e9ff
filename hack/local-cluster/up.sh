#!/usr/bin/env bash
# Brings up the single-node lab cluster: installs what is missing, builds what is not cached, starts
# what is not running. Safe to run again: with the cluster up it changes nothing.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
# The three-node lab (hack/three-node-lab) runs this control plane for its own nodes.
[[ ! -d ${STATE_DIR}/three-node ]] ||
  die "the three-node lab is running (make three-node-status). Both labs use the same API server, etcd and pod and service ranges, so only one runs at a time: make three-node-down first, then make cluster."
mkdir -p "${STATE_DIR}" "${LOG_DIR}" "${PID_DIR}"

# start_and_wait NAME SECONDS: starts NAME if needed and waits until it is healthy.
start_and_wait() {
  local name=$1 timeout=$2
  component_healthy "${name}" >/dev/null 2>&1 && pid_of "${name}" >/dev/null && return 0
  start_daemon "${name}"
  wait_for "${name}" "${timeout}" component_healthy "${name}" ||
    die "${name} did not become healthy within ${timeout}s; see ${LOG_DIR}/${name}.log (then: make cluster-down && make cluster)"
}

ensure_docker() {
  docker info >/dev/null 2>&1 && return 0
  log "Docker is not answering; starting dockerd"
  start_and_wait dockerd 60
}

ensure_kubectl_link() {
  [[ "$(readlink /usr/local/bin/kubectl 2>/dev/null)" == "${KUBE_BIN_DIR}/kubectl" ]] ||
    ln -sfn "${KUBE_BIN_DIR}/kubectl" /usr/local/bin/kubectl
}

ensure_coredns() {
  local manifest py
  # The Python on PATH may be a virtualenv or pyenv without Jinja2; Debian's has python3-jinja2.
  for py in python3 /usr/bin/python3; do "${py}" -c 'import jinja2' 2>/dev/null && break; done
  manifest="$("${py}" "${HERE}/render-coredns.py" "${COREDNS_IMAGE}" "${CLUSTER_DNS_IP}" "${CLUSTER_DOMAIN}")" ||
    die "could not render the CoreDNS manifest (python3 with jinja2 is needed)"
  # Server-side apply: client-side merges collapse container ports that differ only in protocol.
  local ssa=(--server-side --force-conflicts --field-manager envoy-mesh-lab -f -)
  if ! lab_kubectl diff "${ssa[@]}" <<<"${manifest}" >/dev/null 2>&1; then
    lab_kubectl apply "${ssa[@]}" <<<"${manifest}" >&2
  fi
  lab_kubectl -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null ||
    die "CoreDNS is not available: $(lab_kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide 2>&1 | tail -n +2)"
}

node_ready() {
  [[ "$(lab_kubectl get node "${NODE_NAME}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

wait_node_ready() {
  wait_for "node ${NODE_NAME} Ready" 120 node_ready ||
    die "node ${NODE_NAME} is not Ready: $(lab_kubectl describe node "${NODE_NAME}" 2>&1 | grep -A8 '^Conditions' | tail -n +3)"
}

# Fails before anything starts when a port of a component that is not running is taken by someone else.
preflight_ports() {
  local name
  for name in "${COMPONENTS[@]}"; do
    find_component "${name}" >/dev/null || ensure_ports_free "${name}"
  done
}

"${HERE}/install-deps.sh"
preflight_ports
ensure_docker
"${HERE}/build-kubernetes.sh"
"${HERE}/build-images.sh"
"${HERE}/pki.sh"
changed_configs="$("${HERE}/configs.sh")"
# A running daemon only reads its configuration at start.
for name in containerd kubelet kube-proxy; do
  case ${name} in
    containerd) file="${CONTAINERD_CONFIG}" ;;
    *) file="${STATE_DIR}/${name}-config.yaml" ;;
  esac
  if grep -qx "${file}" <<<"${changed_configs}" && pid_of "${name}" >/dev/null; then
    log "${file} changed; restarting ${name}"
    stop_daemon "${name}"
  fi
done
"${HERE}/network.sh" up

start_and_wait containerd 30
"${HERE}/import-image.sh" "${PAUSE_IMAGE}" "${COREDNS_IMAGE}"
start_and_wait etcd 60
start_and_wait kube-apiserver 120
start_and_wait kube-controller-manager 60
start_and_wait kube-scheduler 60
start_and_wait kubelet 60
start_and_wait kube-proxy 60
ensure_kubectl_link
wait_node_ready
ensure_coredns

log "cluster is up: Kubernetes ${KUBERNETES_VERSION}, node ${NODE_NAME} (${NODE_IP}), logs in ${LOG_DIR}"
log "containerd socket for image imports: ${CONTAINERD_SOCKET}"
echo "export KUBECONFIG=${KUBECONFIG_PATH}"
