"""No secret appears in Ansible's output, even at -vvv.

Runs the postgres role's Secret tasks on a fresh Secret (so a random password is generated and
written), then the whole site playbook after making the tutorial's users stale (so the seeding PUTs
that carry their passwords run), and searches both outputs for every secret in plain text and in
base64, the form the Kubernetes API returns.
"""

import base64
import uuid

import pytest

from meshlab.playbooks import run_playbook
from toolkit.http import KeepAliveClient
from toolkit.lab import REPO

USERS = {"alice": ("Alice", "alicerules"), "bob": ("Bob", "bobrules")}
SITE = REPO / "site.yml"


def secret_value(cluster, name, key="password"):
    secret = cluster.core.read_namespaced_secret(name, cluster.namespace)
    return base64.b64decode(secret.data[key]).decode()


def leaks(output, secrets):
    """The secrets (by position) found in ``output`` as they are or base64-encoded."""
    found = []
    for index, secret in enumerate(secrets):
        forms = {secret, base64.b64encode(secret.encode()).decode()}
        if any(form in output for form in forms):
            found.append(f"secret #{index} ({len(secret)} chars)")
    return found


@pytest.fixture
def fresh_secret_name(cluster):
    name = f"e2e-output-check-{uuid.uuid4().hex[:8]}"
    yield name
    cluster.kubectl("delete", "secret", name, "--ignore-not-found", "--wait=false")


def test_generated_postgres_password_is_not_in_vvv_output(cluster, target, fresh_secret_name, figures):
    run = run_playbook(target, SITE, "-vvv", "--tags", "postgres_preflight,postgres_secret",
                       "--extra-vars", f"postgres_secret_name={fresh_secret_name}", timeout=300)
    assert run.returncode == 0, run.tail()
    # The name is new, so the run created this Secret and generated its password.
    password = secret_value(cluster, fresh_secret_name)
    assert len(password) >= 16, "the role generated no usable password"
    assert not leaks(run.output, [password]), "the generated postgres password is in the output"
    figures("secrets in -vvv output", [f"postgres Secret tasks: {len(run.output)} chars searched, no leak"])


def test_site_run_at_vvv_shows_no_password(cluster, target, figures, healthy_mesh):
    healthy_mesh()
    # Stale full names make the site playbook PUT both users again, with their passwords.
    with KeepAliveClient(target.edge_host, target.node_port, timeout=15) as edge:
        for name, (fullname, password) in USERS.items():
            assert edge.request("PUT", f"/user/{name}", {"fullname": f"Stale {fullname}", "password": password}).ok
    run = run_playbook(target, SITE, "-vvv", timeout=900)
    assert run.returncode == 0, run.tail()
    with KeepAliveClient(target.edge_host, target.node_port, timeout=15) as edge:
        for name, (fullname, dummy) in USERS.items():
            assert edge.request("GET", f"/user/{name}").json()["fullname"] == fullname, f"{name} was not PUT again"
    secrets = [password for dummy, password in USERS.values()] + [secret_value(cluster, "postgres-credentials")]
    assert not leaks(run.output, secrets), "passwords appear in the site playbook's -vvv output"
    figures("secrets in -vvv output (site)", [
        f"site.yml -vvv: {len(run.output)} chars searched for {len(secrets)} secrets, no leak; "
        f"{run.seconds:.0f} s"])
