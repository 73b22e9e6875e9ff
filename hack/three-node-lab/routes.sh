#!/usr/bin/env bash
# Routes each node's podCIDR to the node's lab address on this machine (host-gw), so that this
# machine reaches every pod; the nodes keep the same routes among themselves (lab-node-routes).
# Without such a route, pod addresses stay routed to the single-node lab's sink and are refused.
# Routes it made carry protocol 77; stale ones are removed. Run by up.sh and by Vagrant after `up`.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROTO=77
FORMAT='{range .items[*]}{.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'

need_root
wanted=" "
if [[ ${1:-} != --remove ]]; then
  nodes="$(kubectl_ get nodes -o jsonpath="${FORMAT}")" || three_node_die "could not read the nodes from the API server"
  while read -r cidr address; do
    [[ -n ${cidr} && -n ${address} ]] || continue
    wanted+="${cidr} "
    ip route replace "${cidr}" via "${address}" proto "${PROTO}"
  done <<<"${nodes}"
fi
while read -r cidr _; do
  [[ ${wanted} == *" ${cidr} "* ]] || ip route del "${cidr}" proto "${PROTO}" 2>/dev/null || true
done < <(ip route show proto "${PROTO}")
