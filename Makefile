# Entry points. `make lab` builds and starts everything; `make test` runs what CI runs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := pytest -p no:cacheprovider
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export KUBECONFIG ?= /var/lib/envoy-mesh-lab/kubeconfig
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
COLLECTION_LINK := $(VENV)/collections/ansible_collections/envoy_mesh/lab
AAR_DOC := $(VENV)/aar-doc/bin/aar-doc
GALAXY_TOOLS := $(VENV)/galaxy/bin/galaxy-importer-installed
DOCSITE_TOOLS := $(VENV)/docsite/bin/antsibull-docs-installed
DIST_DIR := build/dist
DIST_TARBALL := $(DIST_DIR)/envoy_mesh-lab-$(shell sed -n 's/^version: //p' galaxy.yml).tar.gz

.PHONY: lab test venv test-deps cluster cluster-down cluster-status cluster-test \
	cluster-lifecycle-test centos7-check lint sanity python36 units workloads molecule fresh-machine-check \
	role-docs role-docs-check three-node-lab three-node-up three-node-down three-node-status \
	dist dist-check galaxy-tools galaxy-check ee-check docs

# The development tools come with it: aar-doc, in a venv of its own (below).
venv: $(VENV)/.installed $(COLLECTION_LINK) $(AAR_DOC)
# pip's byte-compiling is half the main venv's install time (56 of 112 s), mostly for the ansible
# package's collections, which the lab never imports; Python compiles what it imports anyway.
PIP_NO_COMPILE := --no-compile
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q $(PIP_NO_COMPILE) -r requirements-dev.txt -c constraints.txt
	touch $@

# ansible.cfg's collections_path finds the checkout itself as envoy_mesh.lab through this link.
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

# aar-doc in a venv of its own: its pinned typer conflicts with the one in constraints.txt.
$(AAR_DOC): requirements-docs.txt
	test -x $(VENV)/aar-doc/bin/python || python3 -m venv $(VENV)/aar-doc
	$(VENV)/aar-doc/bin/python -m pip install -q -r requirements-docs.txt
	touch $@

# roles/<role>/README.md from meta/argument_specs.yml and meta/main.yml (template in .aar_doc/).
ROLES := $(notdir $(wildcard roles/*))
ROLE_DOCS_FRESH := .cache/role-docs
role-docs: $(AAR_DOC)
	for role in $(ROLES); do $(AAR_DOC) --config-file .aar_doc.yml roles/$$role markdown || exit 1; done

# Fails when a role README differs from what its specs generate; `make role-docs` updates them.
role-docs-check: $(AAR_DOC)
	rm -rf $(ROLE_DOCS_FRESH) && mkdir -p $(ROLE_DOCS_FRESH)
	for role in $(ROLES); do $(AAR_DOC) --config-file .aar_doc.yml --output-file $(ROLE_DOCS_FRESH)/$$role.md roles/$$role markdown || exit 1; done
	for role in $(ROLES); do diff -u roles/$$role/README.md $(ROLE_DOCS_FRESH)/$$role.md || { echo "roles/$$role/README.md is stale: run make role-docs" >&2; exit 1; }; done

# galaxy-importer and ansible-builder in a venv of their own: galaxy-importer pins its own
# ansible-core and ansible-lint (requirements-galaxy.txt).
galaxy-tools: $(GALAXY_TOOLS)
$(GALAXY_TOOLS): requirements-galaxy.txt
	test -x $(VENV)/galaxy/bin/python || python3 -m venv $(VENV)/galaxy
	$(VENV)/galaxy/bin/python -m pip install -q -r requirements-galaxy.txt
	touch $@

# antsibull-docs and Sphinx in a venv of their own (requirements-docsite.txt).
$(DOCSITE_TOOLS): requirements-docsite.txt
	test -x $(VENV)/docsite/bin/python || python3 -m venv $(VENV)/docsite
	$(VENV)/docsite/bin/python -m pip install -q -r requirements-docsite.txt
	touch $@

# The docs site: module, inventory plugin, roles and the guides of docs/docsite/, in
# build/docsite/build/html; any warning fails it (hack/docs/build.sh, about 20 s; it prints its time).
docs: venv $(DOCSITE_TOOLS)
	hack/docs/build.sh

# The collection tarball, as Galaxy gets it ($(DIST_TARBALL)).
dist: venv
	rm -rf $(DIST_DIR)
	ansible-galaxy collection build --output-path $(DIST_DIR) .

# The tarball as users get it: what it holds (nothing stray, everything a user needs), its dependency
# ranges against the releases CI runs, node_images' controller cache run from it as a non-root user,
# and, installed into an empty collections path, envoy_mesh.lab.site by FQCN from a directory outside
# the checkout: a second mesh (namespace tarball-mesh, NodePort 30801), round robin, then
# envoy_mesh.lab.teardown. Touches the cluster: run it under the machine lock.
dist-check: dist cluster
	DIST_TARBALL=$(CURDIR)/$(DIST_TARBALL) $(PYTEST) tests/dist/test_tarball.py tests/dist/test_cache_non_root.py \
		tests/dist/test_tarball_deploy.py

# An execution environment with the tarball (ansible-builder create, then the context's own
# introspection of the installed collections): runtime requirements only. No container runtime.
ee-check: dist galaxy-tools
	DIST_TARBALL=$(CURDIR)/$(DIST_TARBALL) $(PYTEST) tests/dist/test_execution_environment.py

# Galaxy's own import checks on the tarball (galaxy-importer); tests/dist/test_galaxy_import.py says
# what of it runs here.
galaxy-check: dist galaxy-tools
	DIST_TARBALL=$(CURDIR)/$(DIST_TARBALL) $(PYTEST) tests/dist/test_galaxy_import.py

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

# The docs site is built here, so that a docs error fails the first step of CI.
lint: venv role-docs-check docs
	ansible-lint --profile production
	antsibull-changelog lint
	antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

sanity: venv test-deps
	hack/ansible-test.sh sanity

# The node-side Python (modules, module_utils) compiled by a real CPython 3.6 through ansible-core 2.16
# (hack/python36/check.sh); the test also shows that the check rejects newer syntax.
python36: venv
	$(PYTEST) tests/vagrant/test_python36_compile.py

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
MOLECULE_SCENARIOS := default step2 faults three-node
molecule: venv test-deps cluster
	for s in $(MOLECULE_SCENARIOS); do molecule test -s $$s || exit 1; done

# The controller path for the tutorial's CentOS 7 nodes: ansible-core 2.16 (requirements-centos7.txt).
centos7-check: venv test-deps cluster
	tests/vagrant/check-centos7-controller.sh

# On a fresh Debian 12 root filesystem: the set-up steps, then every program the code runs must be there
# (hack/ci/fresh-machine.sh). Needs Docker and the base image, which `make cluster` provides.
fresh-machine-check: venv cluster
	$(PYTEST) hack/ci/tests
	hack/ci/fresh-machine.sh

# lint builds the docs site. Then what the checks share is made once, and hack/ci/make-test.sh runs
# the checks that need no cluster beside the first cluster checks; dist-check, which deploys a second
# mesh from the installed tarball, comes after molecule, whose scenarios have built the images.
test: lint venv test-deps dist galaxy-tools cluster
	hack/ci/make-test.sh
