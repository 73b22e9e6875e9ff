# shellcheck shell=bash
# Shared helpers: messages, pid files, port checks, the lab's kubectl and ctr. Sourced, never run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
. "${HERE}/versions.sh"
# shellcheck source=components.sh
. "${HERE}/components.sh"
PID_DIR="${STATE_DIR}/run"

log() { printf '[local-cluster] %s\n' "$*" >&2; }
die() { printf '[local-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

need_root() {
  [[ ${EUID} -eq 0 ]] || die "run as root (the cluster manages iptables, mounts and daemons)"
}

# lab_kubectl ARGS...: the built kubectl with the cluster-admin kubeconfig.
lab_kubectl() { "${KUBE_BIN_DIR}/kubectl" --kubeconfig "${KUBECONFIG_PATH}" "$@"; }

# lab_ctr ARGS...: ctr on the kubelet's containerd, in the namespace Kubernetes uses.
lab_ctr() { ctr -a "${CONTAINERD_SOCKET}" -n k8s.io "$@"; }

# k8s_module_dir: the k8s.io/kubernetes module of KUBERNETES_VERSION in Go's module cache (downloaded
# if needed), for its build/ sources.
k8s_module_dir() {
  "${GO}" mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
}

# pid_of NAME: prints the pid recorded for NAME if that process is still alive.
pid_of() {
  local file="${PID_DIR}/$1.pid" pid
  [[ -s ${file} ]] || return 1
  pid="$(<"${file}")"
  [[ ${pid} =~ ^[0-9]+$ ]] && kill -0 "${pid}" 2>/dev/null || return 1
  # A recycled pid would belong to another program.
  component_matches "$1" "${pid}" || return 1
  echo "${pid}"
}

# port_owner PORT: prints "pid/name" of the process listening on TCP PORT, if any.
port_owner() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true
}

# ensure_ports_free NAME: fails with the owner's pid and command when a port of NAME is taken.
ensure_ports_free() {
  local port owner
  for port in $(component_ports "$1"); do
    owner="$(port_owner "${port}")"
    [[ -z ${owner} ]] && continue
    die "port ${port} needed by $1 is in use by pid ${owner} ($(tr '\0' ' ' <"/proc/${owner}/cmdline" 2>/dev/null | cut -c1-120)). Stop that process, or run hack/local-cluster/down.sh if it is a leftover of this cluster."
  done
}

# start_daemon NAME: runs the component detached, logging to ${LOG_DIR}/NAME.log; adopts a running one.
start_daemon() {
  local name=$1 pid cmd
  mkdir -p "${PID_DIR}" "${LOG_DIR}"
  if pid="$(find_component "${name}")"; then
    echo "${pid}" >"${PID_DIR}/${name}.pid"
    return 0
  fi
  rm -f "${PID_DIR}/${name}.pid"
  ensure_ports_free "${name}"
  read -ra cmd <<<"$(component_cmd "${name}")"
  log "starting ${name}"
  (
    # A daemon must not keep what it would inherit beyond stdio, such as the descriptor of the
    # machine lock of `flock LOCK make cluster`, which it would then hold until it stops.
    for fd in /proc/"${BASHPID}"/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec ${fd}>&-"
    done
    exec setsid "${cmd[@]}" >>"${LOG_DIR}/${name}.log" 2>&1 </dev/null
  ) &
  echo $! >"${PID_DIR}/${name}.pid"
}

# stop_daemon NAME: TERM, wait, then KILL the component (recorded or found); removes the pid file.
stop_daemon() {
  local name=$1 pid
  for _ in 1 2 3; do
    pid="$(find_component "${name}")" || break
    log "stopping ${name} (pid ${pid})"
    kill -TERM "${pid}" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "${pid}" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "${pid}" 2>/dev/null || true
    rm -f "${PID_DIR}/${name}.pid"
    sleep 0.1
  done
  rm -f "${PID_DIR}/${name}.pid"
}

# wait_for DESCRIPTION SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
  local what=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
  log "${what}: ok"
}
