#!/usr/bin/env bash
# Ensures the node image of the three-node lab (images/lab-node) in Docker and prints its reference.
# Its tag is a hash of everything that goes into it: the Dockerfile and files, the kubelet, kube-proxy
# and kubectl binaries, the cluster's images (pause, CoreDNS, base) and Vagrant's public key. A built
# image is also saved to the cache, so it is loaded rather than rebuilt once Docker's store is reset.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SOURCE_DIR="$(cd "${THREE_NODE_HERE}/../../images/lab-node" && pwd)"
BINARIES=(kubelet kube-proxy kubectl)

tarball_of() { echo "${IMAGE_CACHE_DIR}/$(echo "$1" | tr '/:' '__').tar"; }

vagrant_public_key() {
  local dir
  dir="$(ruby -e 'puts Gem::Specification.find_by_name("vagrant").gem_dir' 2>/dev/null)" ||
    three_node_die "Vagrant's gem was not found (is Vagrant installed? apt-get install vagrant)"
  head -n 1 "${dir}/keys/vagrant.pub"
}

# The content tag: files and binaries by their hashes, images by their IDs.
content_tag() {
  {
    (cd "${SOURCE_DIR}" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    (cd "${KUBE_BIN_DIR}" && sha256sum "${BINARIES[@]}")
    for image in "${BASE_IMAGE}" "${PAUSE_IMAGE}" "${COREDNS_IMAGE}"; do
      echo "${image} $(docker image inspect -f '{{.Id}}' "${image}")"
    done
    echo "${PUBLIC_KEY}"
  } | sha256sum | cut -c1-12
}

build() {
  local image=$1 ctx
  ctx="$(mktemp -d /tmp/envoy-mesh-node-image.XXXXXX)"
  trap 'rm -rf "${ctx}"' RETURN
  cp -a "${SOURCE_DIR}/." "${ctx}/"
  sed -i "s|@PAUSE_IMAGE@|${PAUSE_IMAGE}|" "${ctx}/rootfs/etc/containerd/config.toml"
  mkdir -p "${ctx}/bin" "${ctx}/cluster-images"
  for binary in "${BINARIES[@]}"; do cp "${KUBE_BIN_DIR}/${binary}" "${ctx}/bin/"; done
  docker save "${PAUSE_IMAGE}" -o "${ctx}/cluster-images/pause.tar"
  docker save "${COREDNS_IMAGE}" -o "${ctx}/cluster-images/coredns.tar"
  docker save "${BASE_IMAGE}" -o "${ctx}/cluster-images/base.tar"
  three_node_log "building ${image} (apt inside the build; about two minutes the first time)"
  docker build --build-arg "BASE_IMAGE=${BASE_IMAGE}" --build-arg "VAGRANT_PUBLIC_KEY=${PUBLIC_KEY}" \
    --tag "${image}" "${ctx}" >>"${LOG_DIR}/three-node-image.log" 2>&1 ||
    three_node_die "building ${image} failed: $(tail -n 3 "${LOG_DIR}/three-node-image.log" | tr -s ' \n' ' ') (whole log: ${LOG_DIR}/three-node-image.log)"
}

mkdir -p "${IMAGE_CACHE_DIR}" "${LOG_DIR}"
for binary in "${BINARIES[@]}"; do
  [[ -x ${KUBE_BIN_DIR}/${binary} ]] || three_node_die "${KUBE_BIN_DIR}/${binary} is missing: hack/local-cluster/build-kubernetes.sh builds it"
done
for image in "${BASE_IMAGE}" "${PAUSE_IMAGE}" "${COREDNS_IMAGE}"; do
  docker image inspect "${image}" >/dev/null 2>&1 || three_node_die "${image} is missing from Docker: hack/local-cluster/build-images.sh makes it"
done
PUBLIC_KEY="$(vagrant_public_key)"
IMAGE="${THREE_NODE_IMAGE_REPOSITORY}:$(content_tag)"
TARBALL="$(tarball_of "${IMAGE}")"
if ! docker image inspect "${IMAGE}" >/dev/null 2>&1; then
  if [[ -s ${TARBALL} ]]; then
    three_node_log "loading ${IMAGE} from ${TARBALL}"
    docker load -i "${TARBALL}" >/dev/null
  else
    build "${IMAGE}"
  fi
fi
if [[ ! -s ${TARBALL} ]]; then
  # One cached node image: the previous ones only take space.
  rm -f "${IMAGE_CACHE_DIR}/$(echo "${THREE_NODE_IMAGE_REPOSITORY}" | tr '/' '_')_"*.tar
  docker save "${IMAGE}" -o "${TARBALL}.tmp" && mv "${TARBALL}.tmp" "${TARBALL}"
fi
echo "${IMAGE}"
