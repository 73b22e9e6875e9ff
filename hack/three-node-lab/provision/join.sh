#!/usr/bin/env bash
# The lab's provisioning of one node, run by Vagrant inside the node after it is created (as the
# tutorial lab's install.sh): loads the cluster's own images, installs the join files that the host
# issued (mounted at /etc/lab-join), writes the kubelet's and kube-proxy's configuration, starts them,
# and waits until the node is Ready. Running it again changes nothing on a joined node.
set -euo pipefail
JOIN=/etc/lab-join
K8S=/etc/kubernetes
IMAGES=/usr/local/share/lab-node/images

fail() {
  printf '[join %s] ERROR: %s\n' "${NODE_NAME:-$(hostname)}" "$*" >&2
  exit 1
}
say() { printf '[join %s] %s\n' "${NODE_NAME}" "$*" >&2; }

# wait_until SECONDS CMD...: polls CMD.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

kubectl_() { kubectl --kubeconfig "${K8S}/kubelet.kubeconfig" --request-timeout 10s "$@"; }

check_runtimes() {
  wait_until 30 ctr version ||
    fail "containerd, the kubelet's runtime, does not answer (/var/log/lab-node/containerd.log on the node). Recreate the node: make three-node-up RECREATE=${NODE_NAME}"
  wait_until 30 docker info ||
    fail "Docker, which builds the images, does not answer (/var/log/lab-node/dockerd.log on the node). Recreate the node: make three-node-up RECREATE=${NODE_NAME}"
}

# The pause and CoreDNS images are the cluster's own (a VM would pull them); the base image is what
# the collection's image builds start from.
load_cluster_images() {
  ctr --namespace k8s.io images import "${IMAGES}/pause.tar" >/dev/null
  ctr --namespace k8s.io images import "${IMAGES}/coredns.tar" >/dev/null
  docker image inspect "${BASE_IMAGE}" >/dev/null 2>&1 || docker load -i "${IMAGES}/base.tar" >/dev/null
}

install_join_files() {
  install -d -m 0700 "${K8S}"
  local file
  for file in ca.crt kubelet-client.crt kubelet-client.key kubelet-server.crt kubelet-server.key \
    kubelet.kubeconfig kube-proxy.kubeconfig node.env; do
    install -m 0600 "${JOIN}/${file}" "${K8S}/${file}"
  done
}

write_configs() {
  echo "nameserver ${CLUSTER_DNS_IP}" >"${K8S}/resolv.conf"
  cat >"${K8S}/kubelet-config.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${NODE_IP}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: ${K8S}/kubelet-server.crt
tlsPrivateKeyFile: ${K8S}/kubelet-server.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${K8S}/ca.crt
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
# No systemd, cgroup v1 in the container's own cgroup namespace: the kubelet's pods go below
# /kubelet, so the nodes' kubelets never meet in one /kubepods.
cgroupDriver: cgroupfs
cgroupRoot: /kubelet
failSwapOn: false
clusterDNS:
- ${CLUSTER_DNS_IP}
clusterDomain: ${CLUSTER_DOMAIN}
# Docker's embedded DNS (127.0.0.11) is not reachable from pods: pods get the cluster DNS only.
resolvConf: ${K8S}/resolv.conf
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
evictionHard:
  memory.available: 100Mi
  nodefs.available: 5%
  imagefs.available: 5%
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
EOT
  cat >"${K8S}/kube-proxy-config.yaml" <<EOT
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: ${K8S}/kube-proxy.kubeconfig
hostnameOverride: ${NODE_NAME}
clusterCIDR: ${POD_CIDR}
bindAddress: ${NODE_IP}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# NodePorts answer on the node's lab address (and loopback), like the tutorial's node addresses.
nodePortAddresses:
- ${NODE_IP}/32
- 127.0.0.0/8
iptables:
  localhostNodePorts: true
# conntrack sysctls are read-only outside the machine's first network namespace.
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOT
}

# The pod network: Debian's bridge plugin on this node's podCIDR, known once the node is registered.
write_cni_config() {
  local subnet=$1
  mkdir -p /etc/cni/net.d
  cat >/etc/cni/net.d/10-envoy-mesh-lab.conflist.tmp <<EOT
{
  "cniVersion": "1.0.0",
  "name": "envoy-mesh-lab",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "${subnet}"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOT
  mv /etc/cni/net.d/10-envoy-mesh-lab.conflist.tmp /etc/cni/net.d/10-envoy-mesh-lab.conflist
}

pod_cidr() { kubectl_ get node "${NODE_NAME}" -o jsonpath='{.spec.podCIDR}'; }
has_pod_cidr() { [[ -n "$(pod_cidr)" ]]; }
ready() {
  [[ "$(kubectl_ get node "${NODE_NAME}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

[[ -s ${JOIN}/node.env ]] ||
  fail "no join files in ${JOIN}: bring nodes up with make three-node-up, which issues them"
# shellcheck source=/dev/null
. "${JOIN}/node.env"
[[ ${NODE_NAME} == "$(hostname)" ]] || fail "the join files are for ${NODE_NAME}, not this machine ($(hostname))"
check_runtimes
load_cluster_images
install_join_files
write_configs
lab-node-kube start
wait_until 60 has_pod_cidr ||
  fail "the kubelet did not register the node within 60 s: $(tail -n 5 /var/log/lab-node/kubelet.log)"
write_cni_config "$(pod_cidr)"
wait_until 120 ready ||
  fail "the node is not Ready after 120 s: $(tail -n 5 /var/log/lab-node/kubelet.log)"
say "Ready: address ${NODE_IP}, pods $(pod_cidr)"
