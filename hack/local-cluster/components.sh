# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the other scripts
# The cluster's daemons: start order, command lines, ports and health checks. Sourced by up/down/status.

# Start order; down.sh stops them in reverse.
COMPONENTS=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

# component_ports NAME: TCP ports the component listens on.
component_ports() {
  case $1 in
    etcd) echo "${ETCD_CLIENT_PORT} ${ETCD_PEER_PORT}" ;;
    kube-apiserver) echo "${APISERVER_PORT}" ;;
    kube-controller-manager) echo "${CONTROLLER_MANAGER_PORT}" ;;
    kube-scheduler) echo "${SCHEDULER_PORT}" ;;
    kubelet) echo "${KUBELET_PORT} ${KUBELET_HEALTHZ_PORT}" ;;
    kube-proxy) echo "${PROXY_HEALTHZ_PORT} ${PROXY_METRICS_PORT}" ;;
    *) echo "" ;;
  esac
}

# component_cmd NAME: the command line that runs the component.
component_cmd() {
  local b="${KUBE_BIN_DIR}"
  case $1 in
    dockerd)
      echo dockerd ;;
    containerd)
      echo containerd --config "${CONTAINERD_CONFIG}" ;;
    etcd)
      echo "${b}/etcd" --name lab --data-dir "${STATE_DIR}/etcd" \
        --listen-client-urls "https://127.0.0.1:${ETCD_CLIENT_PORT}" \
        --advertise-client-urls "https://127.0.0.1:${ETCD_CLIENT_PORT}" \
        --listen-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" \
        --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" \
        --initial-cluster "lab=http://127.0.0.1:${ETCD_PEER_PORT}" \
        --cert-file "${PKI}/etcd-server.crt" --key-file "${PKI}/etcd-server.key" \
        --client-cert-auth --trusted-ca-file "${PKI}/etcd-ca.crt" ;;
    kube-apiserver)
      echo "${b}/kube-apiserver" --bind-address "${NODE_IP}" --advertise-address "${NODE_IP}" \
        --secure-port "${APISERVER_PORT}" \
        --etcd-servers "https://127.0.0.1:${ETCD_CLIENT_PORT}" --etcd-cafile "${PKI}/etcd-ca.crt" \
        --etcd-certfile "${PKI}/apiserver-etcd-client.crt" --etcd-keyfile "${PKI}/apiserver-etcd-client.key" \
        --client-ca-file "${PKI}/ca.crt" \
        --tls-cert-file "${PKI}/apiserver.crt" --tls-private-key-file "${PKI}/apiserver.key" \
        --kubelet-client-certificate "${PKI}/apiserver-kubelet-client.crt" \
        --kubelet-client-key "${PKI}/apiserver-kubelet-client.key" \
        --kubelet-certificate-authority "${PKI}/ca.crt" --kubelet-preferred-address-types InternalIP \
        --service-cluster-ip-range "${SERVICE_CIDR}" --service-node-port-range "${NODEPORT_RANGE}" \
        --service-account-issuer "https://kubernetes.default.svc.${CLUSTER_DOMAIN}" \
        --service-account-key-file "${PKI}/service-account.pub" \
        --service-account-signing-key-file "${PKI}/service-account.key" \
        --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
        --allow-privileged=true ;;
    kube-controller-manager)
      echo "${b}/kube-controller-manager" --bind-address 127.0.0.1 --secure-port "${CONTROLLER_MANAGER_PORT}" \
        --kubeconfig "${STATE_DIR}/controller-manager.kubeconfig" \
        --authentication-kubeconfig "${STATE_DIR}/controller-manager.kubeconfig" \
        --authorization-kubeconfig "${STATE_DIR}/controller-manager.kubeconfig" \
        --leader-elect=false --use-service-account-credentials=true \
        --service-account-private-key-file "${PKI}/service-account.key" --root-ca-file "${PKI}/ca.crt" \
        --cluster-signing-cert-file "${PKI}/ca.crt" --cluster-signing-key-file "${PKI}/ca.key" \
        --allocate-node-cidrs=true --cluster-cidr "${POD_CIDR}" --node-cidr-mask-size 24 \
        --service-cluster-ip-range "${SERVICE_CIDR}" ;;
    kube-scheduler)
      echo "${b}/kube-scheduler" --bind-address 127.0.0.1 --secure-port "${SCHEDULER_PORT}" \
        --kubeconfig "${STATE_DIR}/scheduler.kubeconfig" \
        --authentication-kubeconfig "${STATE_DIR}/scheduler.kubeconfig" \
        --authorization-kubeconfig "${STATE_DIR}/scheduler.kubeconfig" \
        --leader-elect=false ;;
    kubelet)
      echo "${b}/kubelet" --config "${STATE_DIR}/kubelet-config.yaml" \
        --kubeconfig "${STATE_DIR}/kubelet.kubeconfig" --root-dir "${STATE_DIR}/kubelet" \
        --hostname-override "${NODE_NAME}" --node-ip "${NODE_IP}" ;;
    kube-proxy)
      echo "${b}/kube-proxy" --config "${STATE_DIR}/kube-proxy-config.yaml" ;;
  esac
}

# component_healthy NAME: succeeds once the component serves.
component_healthy() {
  case $1 in
    dockerd) docker info ;;
    containerd) ctr -a "${CONTAINERD_SOCKET}" version ;;
    etcd)
      curl -sf --cacert "${PKI}/etcd-ca.crt" --cert "${PKI}/apiserver-etcd-client.crt" \
        --key "${PKI}/apiserver-etcd-client.key" "https://127.0.0.1:${ETCD_CLIENT_PORT}/health" ;;
    kube-apiserver) curl -sf --cacert "${PKI}/ca.crt" "https://${NODE_IP}:${APISERVER_PORT}/readyz" ;;
    kube-controller-manager) curl -sfk "https://127.0.0.1:${CONTROLLER_MANAGER_PORT}/healthz" ;;
    kube-scheduler) curl -sfk "https://127.0.0.1:${SCHEDULER_PORT}/healthz" ;;
    kubelet) curl -sf "http://127.0.0.1:${KUBELET_HEALTHZ_PORT}/healthz" ;;
    kube-proxy) curl -sf "http://127.0.0.1:${PROXY_HEALTHZ_PORT}/healthz" ;;
  esac
}

# component_matches NAME PID: whether PID runs this lab's NAME (pid files may be stale or recycled).
component_matches() {
  local name=$1 pid=$2 exe cmdline
  exe="$(readlink "/proc/${pid}/exe" 2>/dev/null)" || return 1
  case ${name} in
    dockerd) [[ ${exe##*/} == dockerd ]] ;;
    containerd)
      cmdline="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null)"
      [[ ${exe##*/} == containerd && ${cmdline} == *"${CONTAINERD_CONFIG}"* ]] ;;
    *) [[ ${exe%" (deleted)"} == "${KUBE_BIN_DIR}/${name}" ]] ;;
  esac
}

# find_component NAME: pid of a running instance of NAME, recorded or not (dockerd only if recorded).
find_component() {
  local name=$1 pid
  if pid="$(pid_of "${name}")"; then echo "${pid}"; return 0; fi
  [[ ${name} == dockerd ]] && return 1
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    component_matches "${name}" "${pid}" && { echo "${pid}"; return 0; }
  done
  return 1
}
