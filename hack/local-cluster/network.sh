#!/usr/bin/env bash
# Node networking that must exist before any component starts, and is removed by `network.sh down`:
# the node address, a sink for the service and pod ranges (so their packets never leave the machine),
# forwarding between pods, and the sysctls kube-proxy and the CNI bridge rely on. Idempotent.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHAIN_FWD="LAB-FORWARD"
CHAIN_OUT="LAB-OUTPUT"

ensure_chain_jump() {
  local table=$1 parent=$2 chain=$3
  iptables -w -t "${table}" -N "${chain}" 2>/dev/null || true
  iptables -w -t "${table}" -C "${parent}" -j "${chain}" 2>/dev/null || iptables -w -t "${table}" -I "${parent}" 1 -j "${chain}"
}

# sync_chain TABLE CHAIN RULE...: makes CHAIN hold exactly these rules (each RULE one string), in order.
# Rewritten only when different; a moment without rules is harmless (the sink has no wire behind it).
sync_chain() {
  local table=$1 chain=$2; shift 2
  local rule same=1 rules=()
  for rule in "$@"; do
    read -ra rules <<<"${rule}"
    iptables -w -t "${table}" -C "${chain}" "${rules[@]}" 2>/dev/null || same=0
  done
  (( $(iptables -w -t "${table}" -S "${chain}" | grep -c '^-A') == $# )) || same=0
  ((same)) && return 0
  iptables -w -t "${table}" -F "${chain}"
  for rule in "$@"; do
    read -ra rules <<<"${rule}"
    iptables -w -t "${table}" -A "${chain}" "${rules[@]}"
  done
}

# A port-less local device: dummy where the kernel has it, else an empty bridge (same effect: packets
# routed to it never reach a wire).
ensure_dummy() {
  local dev=$1
  ip link show "${dev}" >/dev/null 2>&1 ||
    ip link add "${dev}" type dummy 2>/dev/null || ip link add "${dev}" type bridge
  ip link set "${dev}" up
}

up() {
  ensure_dummy "${NODE_DEV}"
  ip addr replace "${NODE_IP}/32" dev "${NODE_DEV}"
  ensure_dummy "${SINK_DEV}"
  # A device route, not `unreachable`: host traffic to a ClusterIP needs a first route lookup to
  # succeed before kube-proxy's nat OUTPUT rule rewrites it to a pod address on cni0.
  ip route replace "${SERVICE_CIDR}" dev "${SINK_DEV}"
  ip route replace "${POD_CIDR}" dev "${SINK_DEV}"
  # The node's pod bridge, made before the CNI plugin does so its /24 is local from the start. A short
  # neighbour timeout makes a connection to a gone pod fail in well under a second instead of three.
  ip link show "${CNI_BRIDGE}" >/dev/null 2>&1 || ip link add "${CNI_BRIDGE}" type bridge
  ip addr replace "${NODE_GATEWAY}/${NODE_POD_CIDR#*/}" dev "${CNI_BRIDGE}"
  ip link set "${CNI_BRIDGE}" up
  sysctl -qw "net.ipv4.neigh.${CNI_BRIDGE}.mcast_solicit=2" "net.ipv4.neigh.${CNI_BRIDGE}.retrans_time_ms=150"

  # Whatever is still routed to the sink has no owner: refuse it at once instead of timing out.
  # In OUTPUT every chain sees the interface of the first route lookup, even after kube-proxy's nat
  # OUTPUT rule has rerouted a ClusterIP connection to its pod, so DNATed packets are let through.
  ensure_chain_jump filter OUTPUT "${CHAIN_OUT}"
  sync_chain filter "${CHAIN_OUT}" \
    "-o ${SINK_DEV} -p tcp -m conntrack ! --ctstate DNAT -j REJECT --reject-with tcp-reset" \
    "-o ${SINK_DEV} -m conntrack ! --ctstate DNAT -j REJECT --reject-with icmp-port-unreachable"
  # Docker sets the FORWARD policy to DROP; pods talk to each other and to the node through cni0.
  ensure_chain_jump filter FORWARD "${CHAIN_FWD}"
  sync_chain filter "${CHAIN_FWD}" \
    "-o ${SINK_DEV} -p tcp -j REJECT --reject-with tcp-reset" \
    "-o ${SINK_DEV} -j REJECT --reject-with icmp-port-unreachable" \
    "-s ${POD_CIDR} -j ACCEPT" \
    "-d ${POD_CIDR} -j ACCEPT"

  sysctl -qw net.ipv4.ip_forward=1
  sysctl -qw net.ipv4.conf.all.route_localnet=1
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null ||
    die "net.bridge.bridge-nf-call-iptables is not available: the kernel needs br_netfilter"
}

down() {
  local table chain parent
  for spec in "filter OUTPUT ${CHAIN_OUT}" "filter FORWARD ${CHAIN_FWD}"; do
    read -r table parent chain <<<"${spec}"
    while iptables -w -t "${table}" -D "${parent}" -j "${chain}" 2>/dev/null; do :; done
    iptables -w -t "${table}" -F "${chain}" 2>/dev/null || true
    iptables -w -t "${table}" -X "${chain}" 2>/dev/null || true
  done
  ip link del "${SINK_DEV}" 2>/dev/null || true
  ip link del "${NODE_DEV}" 2>/dev/null || true
  # Its pods are gone by now.
  ip link del "${CNI_BRIDGE}" 2>/dev/null || true
  # Back to the kernel default: martian loopback destinations are dropped again.
  sysctl -qw net.ipv4.conf.all.route_localnet=0
}

need_root
case ${1:-up} in
  up) up ;;
  down) down ;;
  *) die "usage: $0 [up|down]" ;;
esac
