# Entry points. `make lab` builds and starts everything; `make test` runs what CI runs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := pytest -p no:cacheprovider
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export KUBECONFIG ?= /var/lib/envoy-mesh-lab/kubeconfig
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
COLLECTION_LINK := $(VENV)/collections/ansible_collections/envoy_mesh/lab

.PHONY: lab test venv test-deps cluster cluster-down cluster-status cluster-test \
	cluster-lifecycle-test centos7-check lint sanity units workloads molecule \
	three-node-lab three-node-up three-node-down three-node-status

venv: $(VENV)/.installed $(COLLECTION_LINK)
$(VENV)/.installed: requirements.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	touch $@

# ansible.cfg's collections_path finds the checkout itself as envoy_mesh.lab through this link.
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

test-deps:
	hack/install-test-deps.sh

cluster: venv
	hack/local-cluster/up.sh

cluster-down:
	hack/local-cluster/down.sh

cluster-status:
	hack/local-cluster/status.sh

lab: cluster
	ansible-playbook site.yml

# The tutorial's three-node Vagrant lab (hack/three-node-lab/README.md); not at the same time as the
# single-node lab. NODES=node2 brings up only that node, RECREATE=node2 destroys and recreates it.
three-node-up: venv
	hack/three-node-lab/up.sh $(if $(RECREATE),--recreate $(RECREATE),$(NODES))

three-node-down:
	hack/three-node-lab/down.sh

three-node-status:
	hack/three-node-lab/status.sh

three-node-lab: three-node-up
	ansible-playbook -i inventory/three-node/lab.vagrant.yml site.yml

lint: venv
	ansible-lint --profile production

sanity: venv test-deps
	hack/ansible-test.sh sanity
	hack/python36/check.sh

units: venv
	hack/ansible-test.sh units

# The cluster's own checks (node Ready, version, DNS, NodePort, the sink for unassigned addresses).
cluster-test: cluster
	$(PYTEST) hack/local-cluster/tests/test_local_cluster.py

# Takes the cluster down and up again (stale pid files, a half-started cluster); ends with it up.
cluster-lifecycle-test: cluster
	LOCAL_CLUSTER_LIFECYCLE=1 $(PYTEST) hack/local-cluster/tests/test_lifecycle.py

workloads: venv test-deps cluster
	$(PYTEST) tests/workloads

# Scenarios in a fixed order: default builds the images the later ones reuse; three-node, last, takes
# the single-node lab down for its own and brings it back when it is done.
molecule: venv test-deps cluster
	for s in default step2 faults vagrant three-node; do molecule test -s $$s || exit 1; done

# The controller path for the tutorial's CentOS 7 nodes: ansible-core 2.16 (requirements-centos7.txt).
centos7-check: venv test-deps cluster
	$(PYTEST) tests/vagrant/test_python36_compile.py
	tests/vagrant/check-centos7-controller.sh

test: lint sanity units cluster-test cluster-lifecycle-test centos7-check molecule workloads
