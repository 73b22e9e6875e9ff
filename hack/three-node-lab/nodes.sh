# shellcheck shell=bash
# Checks of the node machines, shared by up.sh and status.sh. Sourced after lib.sh.

# vagrant_states: "name state" per node, as Vagrant sees them (running, not_created, stopped, ...).
vagrant_states() {
  "${VAGRANT}" status --machine-readable 2>/dev/null | awk -F, '$3 == "state" {print $2, $4}'
}

# node_key NODE: the private key Vagrant uses for NODE (its own once inserted, else the insecure one).
node_key() {
  local own="${THREE_NODE_HERE}/.vagrant/machines/$1/docker/private_key"
  if [[ -s ${own} ]]; then
    echo "${own}"
  else
    echo "$(ruby -e 'puts Gem::Specification.find_by_name("vagrant").gem_dir')/keys/vagrant"
  fi
}

# node_ssh NODE COMMAND: runs COMMAND on NODE as Vagrant does (its key, at the node's address). A
# recreated node has a new host key at the same address: known_hosts is not used, as with Vagrant.
node_ssh() {
  local node=$1
  shift
  ssh -i "$(node_key "${node}")" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR \
    "vagrant@$(node_ip "${node}")" "$@"
}

# node_problem NODE STATE: prints what is wrong with NODE and how to fix it; nothing when it is fine.
node_problem() {
  local node=$1 state=$2 container out
  container="$(node_container "${node}")"
  local squatter
  squatter="$(address_holder "${node}")"
  if [[ ${state} != running && -n ${squatter} ]]; then
    echo "${node} is ${state}$(container_exit "${container}"): its address $(node_ip "${node}") is taken by container ${squatter}. Fix: free it (docker rm -f ${squatter}), then make three-node-up RECREATE=${node}"
    return
  fi
  case ${state} in
    running) ;;
    not_created)
      echo "${node} is not created$(container_exit "${container}"). Fix: make three-node-up NODES=${node}"
      return ;;
    *)
      echo "${node} is ${state}$(container_exit "${container}"). Fix: make three-node-up RECREATE=${node}"
      return ;;
  esac
  if ! out="$(node_ssh "${node}" true 2>&1)"; then
    if [[ ${out} == *"Permission denied"* ]]; then
      echo "${node} refuses the SSH key that Vagrant holds for it ($(node_key "${node}")): the key or the machine was replaced outside Vagrant. Fix: make three-node-up RECREATE=${node}"
    else
      echo "${node} does not answer over SSH at $(node_ip "${node}"): ${out:-no output}. Fix: make three-node-up RECREATE=${node}"
    fi
    return
  fi
  node_ssh "${node}" sudo ctr version >/dev/null 2>&1 ||
    { echo "${node} has no working container runtime: containerd does not answer (/var/log/lab-node/containerd.log on the node). Fix: make three-node-up RECREATE=${node}"; return; }
  node_ssh "${node}" sudo docker info >/dev/null 2>&1 ||
    { echo "${node} has no working Docker for image builds (/var/log/lab-node/dockerd.log on the node). Fix: make three-node-up RECREATE=${node}"; return; }
  [[ "$(node_ready "${node}")" == True ]] ||
    echo "${node} is not a Ready Kubernetes node ($(kubectl_ get node "${node}" --no-headers 2>&1 | head -n 1)); see /var/log/lab-node/kubelet.log on the node. Fix: make three-node-up RECREATE=${node}"
}

# address_holder NODE: the container other than NODE's own that holds NODE's address on the lab network.
address_holder() {
  docker network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{"\n"}}{{end}}' \
    "${THREE_NODE_NETWORK}" 2>/dev/null |
    awk -v ip="$(node_ip "$1")/" -v own="$(node_container "$1")" 'index($2, ip) == 1 && $1 != own {print $1}'
}

container_exit() {
  local status
  status="$(docker inspect -f '{{.State.Status}} (exit {{.State.ExitCode}}{{if .State.Error}}: {{.State.Error}}{{end}})' "$1" 2>/dev/null)" || return 0
  echo ", container ${status}"
}
