#!/usr/bin/env bash
# Stops every process the lab cluster started and removes its state, networking and iptables rules.
# Works on a half-started cluster. The build cache (${ENVOY_MESH_CACHE}) and the logs are kept.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
# The three-node lab's nodes go first; its down.sh comes back here once they are gone.
if [[ -d ${STATE_DIR}/three-node ]]; then exec "${HERE}/../three-node-lab/down.sh"; fi

# Kills the pods' containers through containerd while it still answers.
remove_containers() {
  find_component containerd >/dev/null || return 0
  local id
  for id in $(lab_ctr tasks ls -q 2>/dev/null); do
    lab_ctr tasks kill -a -s SIGKILL "${id}" >/dev/null 2>&1 || true
  done
  for id in $(lab_ctr tasks ls -q 2>/dev/null); do
    lab_ctr tasks delete -f "${id}" >/dev/null 2>&1 || true
  done
  for id in $(lab_ctr containers ls -q 2>/dev/null); do
    lab_ctr containers delete "${id}" >/dev/null 2>&1 || true
  done
}

# Every process still in the kubelet's pod cgroups belongs to a pod of this cluster.
kill_pod_processes() {
  local procs pid
  procs="$(find /sys/fs/cgroup/pids/kubepods -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u || true)"
  for pid in ${procs}; do kill -KILL "${pid}" 2>/dev/null || true; done
  [[ -z ${procs} ]] || sleep 0.5
}

# Shims outlive containerd; pick ours by the containerd address they were started with.
kill_shims() {
  local pid cmdline
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    [[ "$(readlink "/proc/${pid}/exe" 2>/dev/null)" == */containerd-shim* ]] || continue
    cmdline="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null)" || continue
    if [[ ${cmdline} == *"-address ${CONTAINERD_SOCKET} "* ]]; then kill -KILL "${pid}" 2>/dev/null || true; fi
  done
}

# Unmounts everything below the cluster's directories and the pods' network namespaces, deepest first.
unmount_all() {
  local mnt
  awk '{print $5}' /proc/self/mountinfo |
    { grep -E "^(${STATE_DIR}|${RUN_DIR}|/run/netns/cni-|/var/run/netns/cni-)" || true; } | sort -r |
    while read -r mnt; do umount "${mnt}" 2>/dev/null || umount -l "${mnt}" 2>/dev/null || true; done
  rm -f /run/netns/cni-* 2>/dev/null || true
}

# remove_chains PREFIX: deletes every iptables/ip6tables chain named PREFIX* and the jumps to it.
# Used for the CNI plugins' chains (pods were not torn down through CNI) and the kubelet's KUBE-* chains
# that `kube-proxy --cleanup` leaves.
remove_chains() {
  local prefix=$1 cmd table rule chain chains
  for cmd in iptables ip6tables; do
    command -v "${cmd}" >/dev/null || continue
    for table in nat filter mangle; do
      "${cmd}-save" -t "${table}" 2>/dev/null | { grep -E "^-A [A-Z]+ .*-j ${prefix}" || true; } |
        sed 's/^-A /-D /' | while read -r rule; do eval "${cmd} -w -t ${table} ${rule}" 2>/dev/null || true; done
      chains="$("${cmd}-save" -t "${table}" 2>/dev/null | sed -n "s/^:\(${prefix}[^ ]*\) .*/\1/p")"
      for chain in ${chains}; do "${cmd}" -w -t "${table}" -F "${chain}" 2>/dev/null || true; done
      for chain in ${chains}; do "${cmd}" -w -t "${table}" -X "${chain}" 2>/dev/null || true; done
    done
  done
}

remove_pod_cgroups() {
  local dir
  for dir in /sys/fs/cgroup/*/kubepods; do
    [[ -d ${dir} ]] || continue
    find "${dir}" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

stop_daemon kube-proxy
stop_daemon kubelet
remove_containers
kill_pod_processes
stop_daemon containerd
kill_shims
kill_pod_processes
stop_daemon kube-scheduler
stop_daemon kube-controller-manager
stop_daemon kube-apiserver
stop_daemon etcd
# dockerd only if this cluster started it (a pid file exists); a Docker started otherwise is left alone.
if pid_of dockerd >/dev/null; then stop_daemon dockerd; fi

unmount_all
if [[ -x ${KUBE_BIN_DIR}/kube-proxy ]]; then
  "${KUBE_BIN_DIR}/kube-proxy" --cleanup >>"${LOG_DIR}/kube-proxy.log" 2>&1 || true
fi
remove_chains CNI-
remove_chains KUBE-
"${HERE}/network.sh" down
remove_pod_cgroups
# --one-file-system: never follow a mount that failed to detach into another filesystem.
rm -rf --one-file-system "${STATE_DIR}" "${RUN_DIR}"
log "cluster removed (build cache kept in ${CACHE_DIR}, logs in ${LOG_DIR})"
