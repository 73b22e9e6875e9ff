#!/usr/bin/env bash
# Builds the images the cluster itself needs, without any registry: the Debian base image (debootstrap),
# the pause image (Kubernetes' pause.c) and CoreDNS (its Go module). Each is saved as a tarball in the
# version-keyed cache and only rebuilt when that tarball is missing. The Dockerfiles of pause and
# CoreDNS are images/pause/ and images/coredns/ of the repository.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGES_DIR="$(cd "${HERE}/../.." && pwd)/images"
mkdir -p "${IMAGE_CACHE_DIR}"

# tarball_of IMAGE: the cache file an image is saved to.
tarball_of() { echo "${IMAGE_CACHE_DIR}/$(echo "$1" | tr '/:' '__').tar"; }

# Succeeds when the image is in Docker and in the cache, loading or saving whichever copy is missing
# (Docker's store may have been reset, or the cache emptied).
load_cached() {
  local image=$1 tar
  tar="$(tarball_of "${image}")"
  if docker image inspect "${image}" >/dev/null 2>&1; then
    [[ -s ${tar} ]] || save_cached "${image}"
    return 0
  fi
  [[ -s ${tar} ]] || return 1
  docker load -i "${tar}" >/dev/null && log "loaded ${image} from ${tar}"
}

save_cached() {
  local image=$1 tar
  tar="$(tarball_of "${image}")"
  docker save "${image}" -o "${tar}.tmp" && mv "${tar}.tmp" "${tar}"
}

build_base() {
  docker image inspect "${BASE_IMAGE}" >/dev/null 2>&1 && return 0
  command -v debootstrap >/dev/null || die "debootstrap missing (apt-get install debootstrap)"
  local root
  root="$(mktemp -d /tmp/envoy-mesh-base.XXXXXX)"
  log "making ${BASE_IMAGE} with debootstrap (about a minute)"
  debootstrap --variant=minbase bookworm "${root}" http://deb.debian.org/debian >>"${LOG_DIR}/build-images.log" 2>&1 \
    || { rm -rf "${root}"; die "debootstrap failed, see ${LOG_DIR}/build-images.log"; }
  rm -rf "${root}"/var/cache/apt/archives/*.deb "${root}"/var/lib/apt/lists/*
  tar -C "${root}" -c . | docker import - "${BASE_IMAGE}" >/dev/null
  rm -rf "${root}"
}

build_pause() {
  load_cached "${PAUSE_IMAGE}" && return 0
  local ctx src
  src="$(k8s_module_dir)/build/pause/linux/pause.c"
  [[ -f ${src} ]] || die "pause.c not found in the Kubernetes module (${src})"
  ctx="$(mktemp -d /tmp/envoy-mesh-pause.XXXXXX)"
  log "building ${PAUSE_IMAGE} from ${src}"
  gcc -Os -Wall -Werror -static -DVERSION="v${PAUSE_VERSION}-envoy-mesh" -o "${ctx}/pause" "${src}"
  strip "${ctx}/pause"
  cp "${IMAGES_DIR}/pause/Dockerfile" "${ctx}/Dockerfile"
  docker build -q -t "${PAUSE_IMAGE}" "${ctx}" >/dev/null 2>>"${LOG_DIR}/build-images.log" ||
    die "docker build of ${PAUSE_IMAGE} failed, see ${LOG_DIR}/build-images.log"
  rm -rf "${ctx}"
  save_cached "${PAUSE_IMAGE}"
}

build_coredns() {
  load_cached "${COREDNS_IMAGE}" && return 0
  local bin_dir="${CACHE_DIR}/coredns/${COREDNS_VERSION}" ctx
  if [[ ! -x ${bin_dir}/coredns ]]; then
    log "building CoreDNS ${COREDNS_VERSION} from its Go module"
    mkdir -p "${bin_dir}"
    GOBIN="${bin_dir}" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -p=${BUILD_JOBS:-2}" \
      "${GO}" install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@${COREDNS_VERSION}"
  fi
  ctx="$(mktemp -d /tmp/envoy-mesh-coredns.XXXXXX)"
  cp "${bin_dir}/coredns" "${ctx}/coredns"
  cp "${IMAGES_DIR}/coredns/Dockerfile" "${ctx}/Dockerfile"
  docker build -q -t "${COREDNS_IMAGE}" "${ctx}" >/dev/null 2>>"${LOG_DIR}/build-images.log" ||
    die "docker build of ${COREDNS_IMAGE} failed, see ${LOG_DIR}/build-images.log"
  rm -rf "${ctx}"
  save_cached "${COREDNS_IMAGE}"
}

[[ -x ${GO} ]] || die "Go not found at ${GO}; install Go >= 1.24 there or set GO=/path/to/go"
docker info >/dev/null 2>&1 || die "Docker is not running (up.sh starts it)"
mkdir -p "${LOG_DIR}"
build_base
build_pause
build_coredns
log "images ready: ${BASE_IMAGE} ${PAUSE_IMAGE} ${COREDNS_IMAGE}"
