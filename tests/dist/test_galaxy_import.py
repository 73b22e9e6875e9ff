"""Galaxy's own import checks on the tarball: galaxy-importer, as Galaxy and Automation Hub run it.

What runs here, with the importer's defaults as Galaxy uses them: the metadata and file checks,
ansible-doc of every module, plugin and role, the changelog check, the meta/execution-environment.yml
check and ansible-lint (production profile, offline). flake8 of the plugins is off by default and
stays off. What cannot run: the importer's ansible-test sanity, which needs its
test container image from a container registry (docker/podman `--docker` or its local image build);
`make sanity` runs ansible-test sanity on the same files instead.

The importer lints the collection alone, without its dependencies, so ansible-lint cannot resolve
the modules of kubernetes.core and ansible.utils and cannot load the playbooks that use them; those
warnings (and only those) are expected. Any other warning or error fails the check.
"""

import json
import os
import re
import subprocess

import pytest

from collection import dist_tarball, galaxy_yml, tools_bin

CONFIG = """\
[galaxy-importer]
run_ansible_doc = True
run_ansible_lint = True
offline_ansible_lint = True
run_flake8 = False
check_changelog = True
run_ansible_test = False
ansible_local_tmp = {tmp}/ansible-tmp
tmp_root_dir = {tmp}
"""
ROLES = {"coredns", "edge_envoy", "k8s_common", "mesh_users", "mesh_validate", "node_images", "postgres",
         "usersvc", "usersvc_sds"}
# ansible-lint without the dependencies: their modules are unknown, so the playbooks fail to load.
DEPENDENCY_MODULE = re.compile(r"syntax-check\[unknown-module\]: couldn't resolve module/action '(%s)\.[a-z0-9_]+'" %
                               "|".join(re.escape(name) for name in galaxy_yml()["dependencies"]))
PLAYBOOK_NOT_LOADED = re.compile(r"ERROR +Failed to load [a-z_]+\.yml playbook due to failing syntax check\.$")


def expected(message):
    return bool(DEPENDENCY_MODULE.search(message) or PLAYBOOK_NOT_LOADED.search(message))


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """(exit code, log lines, importer_result.json) of galaxy-importer on the tarball."""
    tarball = dist_tarball(tmp_path_factory)
    work = tmp_path_factory.mktemp("galaxy-import")
    (work / "galaxy-importer.cfg").write_text(CONFIG.format(tmp=work), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(GALAXY_IMPORTER_CONFIG=str(work / "galaxy-importer.cfg"),
               PATH=f"{tools_bin()}{os.pathsep}{env.get('PATH', '')}")
    result = subprocess.run([str(tools_bin() / "python"), "-m", "galaxy_importer.main", str(tarball)], cwd=work,
                            env=env, capture_output=True, text=True, timeout=900, check=False)
    lines = (result.stdout + result.stderr).splitlines()
    print("\n".join(lines))
    report = work / "importer_result.json"
    return result.returncode, lines, json.loads(report.read_text(encoding="utf-8")) if report.exists() else None


def test_import_succeeds(imported):
    returncode, lines, report = imported
    assert returncode == 0 and report is not None, "\n".join(lines)
    assert "Importer processing completed successfully" in lines


def test_no_warning_but_the_unresolvable_dependencies(imported):
    messages = [line.split(":", 1)[1].strip() for line in imported[1] if line.startswith(("WARNING:", "ERROR:"))]
    unexpected = [message for message in messages if not expected(message)]
    assert not unexpected, "\n".join(unexpected)
    print(f"{len(messages)} warnings, each about a module of a dependency or a playbook using one")


def test_expected_warnings_are_recognised_exactly():
    """The filter above lets through only the dependencies' modules, not a module of our own."""
    assert expected("roles/k8s_common/tasks/api.yml:16:7: syntax-check[unknown-module]: couldn't resolve "
                    "module/action 'kubernetes.core.k8s_info'. This often indicates a misspelling")
    assert not expected("roles/x/tasks/main.yml:2:3: syntax-check[unknown-module]: couldn't resolve "
                        "module/action 'envoy_mesh.lab.round_robin_chek'. This often indicates a misspelling")
    assert not expected("roles/x/tasks/main.yml:2:3: name[casing]: All names should start with an uppercase letter.")


def test_galaxy_finds_and_documents_every_part(imported):
    report = imported[2]
    contents = {(item["content_type"], item["name"]) for item in report["contents"]}
    assert ("module", "round_robin_check") in contents
    assert ("inventory", "vagrant") in contents
    assert {name for kind, name in contents if kind == "role"} == ROLES
    assert {name for kind, name in contents if kind == "playbook"} >= {"site.yml", "teardown.yml", "verify.yml"}
    documented = {(item["content_type"], item["content_name"]) for item in report["docs_blob"]["contents"]
                  if item.get("doc_strings")}
    assert ("module", "round_robin_check") in documented and ("inventory", "vagrant") in documented, documented
    assert report["docs_blob"]["collection_readme"]["name"] == "README.md"
    assert report["requires_ansible"]
