#!/usr/bin/env bash
# Issues what a node needs to join the cluster, into ${THREE_NODE_JOIN_DIR}/<node>/, which the
# Vagrantfile mounts read-only into the node for its provisioning (provision/join.sh): the cluster CA,
# a kubelet client certificate (O=system:nodes, CN=system:node:<node>) and serving certificate
# signed by it, kube-proxy's kubeconfig and node.env. Existing files are kept.
#   join-files.sh NODE...
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PKI="${STATE_DIR}/pki"

# issue DIR NAME SUBJECT USAGE [SANS]: a key and a certificate signed by the cluster CA.
issue() {
  local dir=$1 name=$2 subject=$3 usage=$4 sans=${5:-} ext
  [[ -s ${dir}/${name}.crt ]] && return 0
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${dir}/${name}.key" 2>/dev/null
  ext="$(mktemp)"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=${usage}"
    [[ -z ${sans} ]] || echo "subjectAltName=${sans}"
  } >"${ext}"
  openssl req -new -key "${dir}/${name}.key" -subj "${subject}" 2>/dev/null |
    openssl x509 -req -CA "${PKI}/ca.crt" -CAkey "${PKI}/ca.key" -CAcreateserial -days 3650 \
      -extfile "${ext}" -out "${dir}/${name}.crt" 2>/dev/null
  rm -f "${ext}"
}

write_kubelet_kubeconfig() {
  local dir=$1 node=$2
  [[ -s ${dir}/kubelet.kubeconfig ]] && return 0
  cat >"${dir}/kubelet.kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: envoy-mesh-lab
  cluster:
    server: https://${NODE_IP}:${APISERVER_PORT}
    certificate-authority-data: $(base64 -w0 "${PKI}/ca.crt")
users:
- name: system:node:${node}
  user:
    client-certificate-data: $(base64 -w0 "${dir}/kubelet-client.crt")
    client-key-data: $(base64 -w0 "${dir}/kubelet-client.key")
contexts:
- name: envoy-mesh-lab
  context:
    cluster: envoy-mesh-lab
    user: system:node:${node}
current-context: envoy-mesh-lab
KUBECONFIG
}

write_node_env() {
  local dir=$1 node=$2
  cat >"${dir}/node.env" <<ENV
NODE_NAME=${node}
NODE_IP=$(node_ip "${node}")
API_SERVER=https://${NODE_IP}:${APISERVER_PORT}
POD_CIDR=${POD_CIDR}
SERVICE_CIDR=${SERVICE_CIDR}
CLUSTER_DNS_IP=${CLUSTER_DNS_IP}
CLUSTER_DOMAIN=${CLUSTER_DOMAIN}
BASE_IMAGE=${BASE_IMAGE}
ENV
}

(($#)) || three_node_die "usage: $0 NODE..."
check_node_names "$@"
[[ -s ${PKI}/ca.key && -s ${STATE_DIR}/kube-proxy.kubeconfig ]] ||
  three_node_die "the cluster's PKI is missing (${PKI}): make three-node-up creates it"
umask 077
for node in "$@"; do
  dir="${THREE_NODE_JOIN_DIR}/${node}"
  mkdir -p "${dir}"
  ip="$(node_ip "${node}")"
  cp "${PKI}/ca.crt" "${dir}/ca.crt"
  issue "${dir}" kubelet-client "/O=system:nodes/CN=system:node:${node}" clientAuth
  issue "${dir}" kubelet-server "/CN=${node}" serverAuth "DNS:${node},IP:${ip}"
  write_kubelet_kubeconfig "${dir}" "${node}"
  cp "${STATE_DIR}/kube-proxy.kubeconfig" "${dir}/kube-proxy.kubeconfig"
  write_node_env "${dir}" "${node}"
done
