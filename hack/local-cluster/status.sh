#!/usr/bin/env bash
# Shows each component of the lab cluster (pid, alive, ports, health), the logs and the kubeconfig.
# Exits 0 when every component runs and is healthy, 1 otherwise.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

all_ok=0
printf '%-24s %-11s %-6s %-8s %s\n' COMPONENT PID ALIVE HEALTHY PORTS
for name in dockerd "${COMPONENTS[@]}"; do
  pid="-" alive=no healthy=no
  if found="$(find_component "${name}")"; then
    pid=${found} alive=yes
  fi
  component_healthy "${name}" >/dev/null 2>&1 && healthy=yes
  ports="$(component_ports "${name}")"
  [[ ${name} == containerd ]] && ports="${CONTAINERD_SOCKET}"
  [[ ${name} == dockerd ]] && ports="/var/run/docker.sock"
  # Docker may have been started outside this cluster: then it only has to answer.
  if [[ ${name} == dockerd && ${alive} == no && ${healthy} == yes ]]; then pid="(external)" alive=yes; fi
  [[ ${alive} == yes && ${healthy} == yes ]] || all_ok=1
  printf '%-24s %-11s %-6s %-8s %s\n' "${name}" "${pid}" "${alive}" "${healthy}" "${ports// /,}"
done
echo
echo "Kubernetes:  ${KUBERNETES_VERSION} (binaries in ${KUBE_BIN_DIR})"
echo "API server:  https://${NODE_IP}:${APISERVER_PORT}"
echo "kubeconfig:  ${KUBECONFIG_PATH}$([[ -s ${KUBECONFIG_PATH} ]] || echo ' (missing)')"
echo "logs:        ${LOG_DIR}"
echo "state:       ${STATE_DIR}"
exit "${all_ok}"
