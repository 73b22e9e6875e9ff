#!/usr/bin/env bash
# Figures of the three-node lab (printed, never asserted): lab up cold (node image not cached) and
# warm (cached), site.yml's first run on fresh nodes and its no-op run, and peak memory. Takes the
# single-node lab down for the time and brings it back if it ran. Needs the machine to itself.
#   benchmark.sh [cold|warm|site|memory|all]   (default all)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPO="$(cd "${THREE_NODE_HERE}/../.." && pwd)"
PLAYBOOK=("${REPO}/.venv/bin/ansible-playbook" -i "${REPO}/inventory/three-node/lab.vagrant.yml" "${REPO}/site.yml")
export ANSIBLE_CONFIG="${REPO}/ansible.cfg" KUBECONFIG="${KUBECONFIG_PATH}"

figure() { printf '%-46s %s\n' "$1" "$2"; }

# timed LABEL CMD...: runs CMD (output to the benchmark log) and prints its wall time.
timed() {
  local label=$1 start rc=0
  shift
  start=$(date +%s.%N)
  "$@" >>"${LOG_DIR}/three-node-benchmark.log" 2>&1 || rc=$?
  ((rc == 0)) || three_node_die "${label} failed (exit ${rc}); see ${LOG_DIR}/three-node-benchmark.log"
  figure "${label}" "$(printf '%.1f s' "$(echo "$(date +%s.%N) - ${start}" | bc)")"
}

lab_down() {
  if [[ -d ${THREE_NODE_STATE} ]] || single_node_running; then "${LOCAL_CLUSTER_DIR}/down.sh" >>"${LOG_DIR}/three-node-benchmark.log" 2>&1; fi
}

cold() {
  lab_down
  docker info >/dev/null 2>&1 || { start_daemon dockerd; wait_for dockerd 60 docker info; }
  docker image ls -q "${THREE_NODE_IMAGE_REPOSITORY}" | xargs -r docker image rm -f >/dev/null
  rm -f "${IMAGE_CACHE_DIR}/$(echo "${THREE_NODE_IMAGE_REPOSITORY}" | tr '/' '_')_"*.tar
  timed "lab up, cold (node image built)" "${THREE_NODE_HERE}/up.sh"
}

warm() {
  lab_down
  timed "lab up, warm (node image cached, new nodes)" "${THREE_NODE_HERE}/up.sh"
  timed "lab up again, nothing to do" "${THREE_NODE_HERE}/up.sh"
}

site() {
  [[ -d ${THREE_NODE_STATE} ]] || warm
  timed "site.yml, first run on the nodes as they are" "${PLAYBOOK[@]}"
  timed "site.yml again, no change" "${PLAYBOOK[@]}"
}

# Memory: each node's cgroup holds everything of the node (daemons, builds, pods). Its recorded peak
# counts the page cache of the image builds too, so the RSS now (after site.yml) is printed beside it;
# the control plane's processes give their peak RSS.
memory() {
  local node id peak rss total=0 name pid hwm stat
  for node in "${THREE_NODE_NODES[@]}"; do
    id="$(docker inspect -f '{{.Id}}' "$(node_container "${node}")")"
    stat="/sys/fs/cgroup/memory/docker/${id}/memory.stat"
    peak=$(($(cat "/sys/fs/cgroup/memory/docker/${id}/memory.max_usage_in_bytes") / 1048576))
    rss=$(awk '$1 == "total_rss" {print int($2 / 1048576)}' "${stat}")
    figure "memory ${node}: RSS now, peak with page cache" "${rss} MiB, ${peak} MiB"
    total=$((total + rss))
  done
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler dockerd; do
    pid="$(find_component "${name}")" || continue
    hwm=$(($(awk '/VmHWM/ {print $2}' "/proc/${pid}/status") / 1024))
    figure "peak RSS ${name}" "${hwm} MiB"
    total=$((total + hwm))
  done
  figure "memory of the lab (nodes' RSS + control plane peaks)" "${total} MiB"
}

need_root
command -v bc >/dev/null || three_node_die "bc is needed (apt-get install bc)"
single_ran=0
single_node_running && single_ran=1
case ${1:-all} in
  cold) cold ;;
  warm) warm ;;
  site) site ;;
  memory) memory ;;
  all) cold; warm; site; memory ;;
  *) three_node_die "usage: $0 [cold|warm|site|memory|all]" ;;
esac
if ((single_ran)); then
  lab_down
  "${LOCAL_CLUSTER_DIR}/up.sh" >>"${LOG_DIR}/three-node-benchmark.log" 2>&1
fi
