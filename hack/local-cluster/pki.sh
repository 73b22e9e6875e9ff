#!/usr/bin/env bash
# Creates the cluster's certificates, service-account keys and kubeconfigs under ${STATE_DIR}/pki.
# Existing files are kept, so running it again changes nothing.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DAYS=3650

new_key() { [[ -s $1 ]] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# new_ca NAME CN
new_ca() {
  local name=$1 cn=$2
  [[ -s ${PKI}/${name}.crt ]] && return 0
  new_key "${PKI}/${name}.key"
  openssl req -x509 -new -key "${PKI}/${name}.key" -days "${DAYS}" -subj "/CN=${cn}" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "${PKI}/${name}.crt" 2>/dev/null
}

# issue CA NAME SUBJECT USAGE [SANS]: a leaf certificate signed by CA.
# USAGE is serverAuth, clientAuth or both joined with a comma.
issue() {
  local ca=$1 name=$2 subject=$3 usage=$4 sans=${5:-}
  [[ -s ${PKI}/${name}.crt ]] && return 0
  new_key "${PKI}/${name}.key"
  local ext="${PKI}/${name}.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=${usage}"
    [[ -z ${sans} ]] || echo "subjectAltName=${sans}"
  } >"${ext}"
  openssl req -new -key "${PKI}/${name}.key" -subj "${subject}" 2>/dev/null |
    openssl x509 -req -CA "${PKI}/${ca}.crt" -CAkey "${PKI}/${ca}.key" -CAcreateserial -days "${DAYS}" \
      -extfile "${ext}" -out "${PKI}/${name}.crt" 2>/dev/null
  rm -f "${ext}"
}

# kubeconfig NAME USER-CERT: a kubeconfig for the API on the node address.
kubeconfig() {
  local file=$1 cert=$2
  [[ -s ${file} ]] && return 0
  cat >"${file}.tmp" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: envoy-mesh-lab
  cluster:
    server: https://${NODE_IP}:${APISERVER_PORT}
    certificate-authority-data: $(base64 -w0 "${PKI}/ca.crt")
users:
- name: ${cert}
  user:
    client-certificate-data: $(base64 -w0 "${PKI}/${cert}.crt")
    client-key-data: $(base64 -w0 "${PKI}/${cert}.key")
contexts:
- name: envoy-mesh-lab
  context:
    cluster: envoy-mesh-lab
    user: ${cert}
current-context: envoy-mesh-lab
KUBECONFIG
  chmod 0600 "${file}.tmp"
  mv "${file}.tmp" "${file}"
}

command -v openssl >/dev/null || die "openssl missing (apt-get install openssl)"
umask 077
mkdir -p "${PKI}"

new_ca ca envoy-mesh-lab-ca
new_ca etcd-ca envoy-mesh-lab-etcd-ca

host="$(hostname)"
issue etcd-ca etcd-server "/CN=etcd" serverAuth,clientAuth "DNS:localhost,IP:127.0.0.1"
issue etcd-ca apiserver-etcd-client "/CN=kube-apiserver-etcd-client" clientAuth
issue ca apiserver "/CN=kube-apiserver" serverAuth \
  "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.${CLUSTER_DOMAIN},DNS:localhost,DNS:${host},IP:127.0.0.1,IP:${NODE_IP},IP:${API_SERVICE_IP}"
issue ca apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
issue ca admin "/O=system:masters/CN=kubernetes-admin" clientAuth
issue ca controller-manager "/CN=system:kube-controller-manager" clientAuth
issue ca scheduler "/CN=system:kube-scheduler" clientAuth
issue ca kube-proxy "/CN=system:kube-proxy" clientAuth
issue ca kubelet-client "/O=system:nodes/CN=system:node:${NODE_NAME}" clientAuth
issue ca kubelet-server "/CN=${NODE_NAME}" serverAuth "DNS:${NODE_NAME},DNS:localhost,IP:127.0.0.1,IP:${NODE_IP}"
new_key "${PKI}/service-account.key"
[[ -s ${PKI}/service-account.pub ]] || openssl pkey -in "${PKI}/service-account.key" -pubout -out "${PKI}/service-account.pub"

kubeconfig "${KUBECONFIG_PATH}" admin
kubeconfig "${STATE_DIR}/controller-manager.kubeconfig" controller-manager
kubeconfig "${STATE_DIR}/scheduler.kubeconfig" scheduler
kubeconfig "${STATE_DIR}/kube-proxy.kubeconfig" kube-proxy
kubeconfig "${STATE_DIR}/kubelet.kubeconfig" kubelet-client
