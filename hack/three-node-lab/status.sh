#!/usr/bin/env bash
# Shows the three-node lab: the control plane on this machine, then each node (Vagrant state,
# address, SSH with Vagrant's key, containerd, Docker, Kubernetes Ready), with the fix for any
# problem. Exits 0 when everything runs, 1 otherwise.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=nodes.sh
. "${THREE_NODE_HERE}/nodes.sh"

need_root
all_ok=0
[[ -d ${THREE_NODE_STATE} ]] || { echo "the three-node lab is not up (make three-node-up)"; exit 1; }
printf '%-24s %-8s %-8s\n' COMPONENT ALIVE HEALTHY
for name in etcd kube-apiserver kube-controller-manager kube-scheduler; do
  alive=no healthy=no
  find_component "${name}" >/dev/null && alive=yes
  component_healthy "${name}" >/dev/null 2>&1 && healthy=yes
  [[ ${alive} == yes && ${healthy} == yes ]] || all_ok=1
  printf '%-24s %-8s %-8s\n' "${name}" "${alive}" "${healthy}"
done
echo
states="$(vagrant_states)"
printf '%-6s %-13s %-13s %-6s %s\n' NODE VAGRANT ADDRESS READY PROBLEM
for node in "${THREE_NODE_NODES[@]}"; do
  state="$(awk -v n="${node}" '$1 == n {print $2}' <<<"${states}")"
  problem="$(node_problem "${node}" "${state:-unknown}")"
  [[ -z ${problem} ]] || all_ok=1
  printf '%-6s %-13s %-13s %-6s %s\n' "${node}" "${state:-unknown}" "$(node_ip "${node}")" \
    "$(node_ready "${node}" || true)" "${problem:--}"
done
echo
echo "kubeconfig:  ${KUBECONFIG_PATH}"
echo "NodePort:    http://$(node_ip node1):30800 (and every node's address)"
echo "logs:        ${LOG_DIR} (host), /var/log/lab-node (nodes)"
exit "${all_ok}"
