#!/usr/bin/env bash
# Writes the configuration files of containerd, the CNI network, the kubelet and kube-proxy.
# Files are rewritten only when their content changes (their paths are printed), so a second run
# leaves them untouched and up.sh restarts only the daemons whose configuration changed.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# write_file PATH: stores stdin at PATH unless PATH already holds exactly that.
write_file() {
  local path=$1 tmp
  mkdir -p "$(dirname "${path}")"
  tmp="$(mktemp "${path}.XXXXXX")"
  cat >"${tmp}"
  if cmp -s "${tmp}" "${path}"; then
    rm -f "${tmp}"
  else
    chmod 0644 "${tmp}"
    mv "${tmp}" "${path}"
    echo "${path}"
  fi
}

write_file "${CONTAINERD_CONFIG}" <<EOT
# containerd for the lab's kubelet; separate root, state and socket from the containerd dockerd runs.
version = 2
root = "${CONTAINERD_ROOT}"
state = "${CONTAINERD_STATE}"

[grpc]
  address = "${CONTAINERD_SOCKET}"

[ttrpc]
  address = "${CONTAINERD_SOCKET}.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${STATE_DIR}/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  # Root here lacks CAP_SYS_RESOURCE, so a negative oom_score_adj (the kubelet asks -998 for sandboxes)
  # cannot be set; clamp it to containerd's own value instead of failing every pod.
  restrict_oom_score_adj = true

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${CONTAINERD_RUNC_ROOT}"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${CNI_CONF_DIR}"
EOT

write_file "${CNI_CONF_DIR}/10-envoy-mesh-lab.conflist" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "envoy-mesh-lab",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "${CNI_BRIDGE}",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "${STATE_DIR}/cni/ipam",
        "ranges": [[{"subnet": "${NODE_POD_CIDR}", "gateway": "${NODE_GATEWAY}"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {
      "type": "portmap",
      "capabilities": {"portMappings": true}
    }
  ]
}
EOT

# Pods with dnsPolicy Default read this instead of the machine's resolv.conf: DNS stays in the cluster.
write_file "${STATE_DIR}/resolv.conf" <<EOT
nameserver ${CLUSTER_DNS_IP}
EOT

write_file "${STATE_DIR}/kubelet-config.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${NODE_IP}
port: ${KUBELET_PORT}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${KUBELET_HEALTHZ_PORT}
tlsCertFile: ${PKI}/kubelet-server.crt
tlsPrivateKeyFile: ${PKI}/kubelet-server.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${PKI}/ca.crt
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://${CONTAINERD_SOCKET}
# No systemd on the node and cgroup v1: cgroupfs, and swap is tolerated.
cgroupDriver: cgroupfs
failSwapOn: false
clusterDNS:
- ${CLUSTER_DNS_IP}
clusterDomain: ${CLUSTER_DOMAIN}
resolvConf: ${STATE_DIR}/resolv.conf
staticPodPath: ""
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
# A lab machine, not a production node: evict only when the disk is really full.
evictionHard:
  memory.available: 100Mi
  nodefs.available: 5%
  imagefs.available: 5%
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
EOT

write_file "${STATE_DIR}/kube-proxy-config.yaml" <<EOT
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: ${STATE_DIR}/kube-proxy.kubeconfig
hostnameOverride: ${NODE_NAME}
clusterCIDR: ${POD_CIDR}
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:${PROXY_HEALTHZ_PORT}
metricsBindAddress: 127.0.0.1:${PROXY_METRICS_PORT}
# NodePorts answer on loopback (and the node address), never on the machine's real interfaces.
nodePortAddresses:
- 127.0.0.0/8
- ${NODE_IP}/32
iptables:
  localhostNodePorts: true
# Leave the machine's conntrack sysctls as they are.
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOT
