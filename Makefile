# Entry points. `make lab` builds and starts everything; `make test` runs what CI runs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export KUBECONFIG ?= /var/lib/envoy-mesh-lab/kubeconfig
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: lab test venv test-deps cluster cluster-down cluster-status lint sanity units workloads molecule

COLLECTION_LINK := $(VENV)/collections/ansible_collections/envoy_mesh/lab

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

cluster:
	hack/local-cluster/up.sh

cluster-down:
	hack/local-cluster/down.sh

cluster-status:
	hack/local-cluster/status.sh

lab: venv cluster
	ansible-playbook -i inventory/local site.yml

lint: venv
	ansible-lint --profile production

sanity: venv test-deps
	hack/ansible-test.sh sanity

units: venv
	hack/ansible-test.sh units

workloads: venv test-deps
	pytest -p no:cacheprovider tests/workloads

molecule: venv cluster
	molecule test --all

test: lint sanity units workloads molecule
