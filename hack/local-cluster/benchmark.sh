#!/usr/bin/env bash
# Measures the lab cluster's build and start times and prints them. Usage: benchmark.sh MODE...
#   cold   build everything from nothing (empty Go module and build caches, scratch image tags) and print
#          the build wall time and peak RSS; the running cluster is not touched
#   warm   down.sh, then up.sh with the binaries cached (DISRUPTS a running cluster: all objects are lost)
#   again  up.sh with the cluster already up
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# timed LABEL CMD...: runs CMD under GNU time and prints wall seconds and peak RSS of its largest process.
timed() {
  local label=$1; shift
  local report
  report="$(mktemp)"
  /usr/bin/time -f '%e %M' -o "${report}" "$@" >>"${LOG_DIR}/benchmark.log" 2>&1 ||
    die "${label} failed, see ${LOG_DIR}/benchmark.log"
  read -r wall rss <"${report}"
  rm -f "${report}"
  printf '%-34s %8.1f s   peak RSS %6d MiB\n' "${label}" "${wall}" "$((rss / 1024))"
}

cold() {
  local scratch
  scratch="$(mktemp -d /var/tmp/envoy-mesh-bench.XXXXXX)"
  (
    export ENVOY_MESH_CACHE="${scratch}/cache" GOMODCACHE="${scratch}/gomod" GOCACHE="${scratch}/gocache"
    export BASE_IMAGE="envoy-mesh-bench/base:cold" PAUSE_IMAGE="envoy-mesh-bench/pause:cold"
    export COREDNS_IMAGE="envoy-mesh-bench/coredns:cold"
    timed "cold: Kubernetes + etcd build" "${HERE}/build-kubernetes.sh"
    timed "cold: images (base, pause, CoreDNS)" "${HERE}/build-images.sh"
    docker image rm -f "${BASE_IMAGE}" "${PAUSE_IMAGE}" "${COREDNS_IMAGE}" >/dev/null 2>&1 || true
    GOMODCACHE="${scratch}/gomod" "${GO}" clean -modcache
  )
  rm -rf "${scratch}"
}

warm() {
  timed "warm: down.sh" "${HERE}/down.sh"
  timed "warm: up.sh (binaries cached)" "${HERE}/up.sh"
}

again() {
  timed "again: up.sh with the cluster up" "${HERE}/up.sh"
}

need_root
command -v /usr/bin/time >/dev/null || die "GNU time is needed (apt-get install time)"
(($#)) || die "usage: $0 cold|warm|again..."
mkdir -p "${LOG_DIR}"
for mode in "$@"; do
  case ${mode} in
    cold|warm|again) "${mode}" ;;
    *) die "unknown mode ${mode}" ;;
  esac
done
