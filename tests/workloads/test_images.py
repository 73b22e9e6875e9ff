"""The built images run as intended: users, entrypoints, ports, volumes.

Uses the newest local envoy-mesh/<image> of each (build them first, e.g. with the node_images role);
skipped where Docker or an image is missing. Containers use the host network on loopback only, or
private network namespaces.
"""

import shutil
import tempfile

import psycopg
import pytest

from harness.docker import Containers, available, docker, newest_image
from harness.envoy import render_sidecar
from harness.processes import free_port, wait_until
from toolkit.http import request

pytestmark = pytest.mark.skipif(not available(), reason="Docker is not available")


def image(name):
    ref = newest_image(name)
    if ref is None:
        pytest.skip(f"image envoy-mesh/{name} is not built")
    return ref


@pytest.fixture
def containers():
    running = Containers()
    yield running
    running.remove_all()


@pytest.fixture
def volume():
    # Root-owned and world-unreadable, like a fresh hostPath directory.
    path = tempfile.mkdtemp(prefix="pgdata-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def start_postgres(containers, volume, port, password="pw-from-secret", app_role=None):
    """The postgres container on ``port``; ``app_role`` (user, password) sets up the application's role."""
    app_env = [] if app_role is None else ["-e", f"POSTGRES_APP_USER={app_role[0]}",
                                           "-e", f"POSTGRES_APP_PASSWORD={app_role[1]}"]
    name = containers.run(image("postgres"), "postgres", "-c", "listen_addresses=127.0.0.1", "-c", f"port={port}",
                          options=["--network", "host", "-e", f"POSTGRES_PASSWORD={password}", *app_env,
                                   "-v", f"{volume}:/var/lib/postgresql/data"])
    conninfo = {"host": "127.0.0.1", "port": port, "user": "postgres", "password": password, "dbname": "users"}

    def connects():
        try:
            with psycopg.connect(**conninfo, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    wait_until(connects, 60, interval=0.3, what=f"postgres container: {containers.logs(name)[-2000:]}")
    return name, conninfo


def test_postgres_initialises_once_and_keeps_data(containers, volume):
    port = free_port()
    name, conninfo = start_postgres(containers, volume, port)
    assert containers.process_uids(name) == {999}
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (value text)")
        conn.execute("INSERT INTO kept VALUES ('survives')")
        stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'").fetchone()[0]
    assert stored.startswith("SCRAM-SHA-256$")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(**dict(conninfo, password="wrong"), connect_timeout=5)

    containers.remove(name)
    conninfo = start_postgres(containers, volume, port)[1]
    with psycopg.connect(**conninfo) as conn:
        assert conn.execute("SELECT value FROM kept").fetchall() == [("survives",)]


def test_postgres_sets_up_the_application_role_on_every_start(containers, volume):
    port = free_port()
    name, conninfo = start_postgres(containers, volume, port, app_role=("usersvc", "app-pw-1"))
    with psycopg.connect(**dict(conninfo, user="usersvc", password="app-pw-1")) as conn:
        assert conn.execute("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                            "WHERE rolname = current_user").fetchone() == (False, False, False)
        assert conn.execute("SHOW search_path").fetchone() == ("usersvc",)
    # A new password in the Secret takes effect with the next start; the old one no longer works.
    containers.remove(name)
    conninfo = start_postgres(containers, volume, port, app_role=("usersvc", "app-pw-2"))[1]
    with psycopg.connect(**dict(conninfo, user="usersvc", password="app-pw-2")) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("usersvc",)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(**dict(conninfo, user="usersvc", password="app-pw-1"), connect_timeout=5)


def test_usersvc_image_serves_users_as_non_root(containers, volume):
    # As deployed: usersvc logs in with the application's role, not the superuser.
    conninfo = start_postgres(containers, volume, free_port(), app_role=("usersvc", "app-pw"))[1]
    port = free_port()
    name = containers.run(image("usersvc"), options=[
        "--network", "host", "-e", f"USERSVC_BIND=127.0.0.1:{port}", "-e", "PGHOST=127.0.0.1",
        "-e", f"PGPORT={conninfo['port']}", "-e", "PGUSER=usersvc", "-e", "PGPASSWORD=app-pw",
        "-e", "POD_NAME=usersvc-image", "-e", "POD_IP=10.244.0.99"])
    wait_until(lambda: request("GET", "127.0.0.1", port, "/user/health", timeout=2).status == 200, 30,
               what=f"usersvc container: {containers.logs(name)[-2000:]}")
    created = request("PUT", "127.0.0.1", port, "/user/alice", {"fullname": "Alice", "password": "alicerules"})
    assert created.status == 200
    fetched = request("GET", "127.0.0.1", port, "/user/alice").json()
    assert fetched["uuid"] == created.json()["uuid"]
    assert (fetched["hostname"], fetched["resolvedname"]) == ("usersvc-image", "10.244.0.99")
    assert containers.process_uids(name) == {10001}


def test_envoy_sidecar_binds_port_80_unprivileged_and_speaks_h2c(containers, tmp_path):
    config = tmp_path / "envoy.yaml"
    config.write_text(render_sidecar())
    config.chmod(0o644)
    tmp_path.chmod(0o755)
    # The pod: a private network namespace with the sysctl the Deployment sets.
    sidecar = containers.run(image("envoy"), options=[
        "--network", "none", "--sysctl", "net.ipv4.ip_unprivileged_port_start=0",
        "-v", f"{config}:/etc/envoy/envoy.yaml:ro"])
    containers.run(image("usersvc"), options=[
        "--network", f"container:{sidecar}", "-e", "USERSVC_BIND=127.0.0.1:5000",
        "-e", "POD_NAME=usersvc-pod", "-e", "POD_IP=10.244.0.98"])
    probe = containers.run(image("probe"), options=["--network", f"container:{sidecar}"])

    def curl(*args):
        return docker("exec", probe, "curl", "-sS", "--max-time", "3", *args, check=False).stdout

    wait_until(lambda: '"ok": true' in curl("http://127.0.0.1/user/health"), 30,
               what=f"sidecar in its pod: {containers.logs(sidecar)[-2000:]}")
    assert curl("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_version}",
                "http://127.0.0.1/user/health") == "2"
    assert "usersvc-pod" in curl("http://127.0.0.1/user/health")
    assert curl("-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:8001/ready") == "200"
    assert containers.process_uids(sidecar) == {10101}
    assert "DiG" in docker("exec", probe, "dig", "-v", check=False).stderr
    assert docker("exec", probe, "nslookup", "-version", check=False).returncode == 0


def test_discovery_image_serves_the_registration_view(containers, tmp_path):
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text('{"usersvc": [{"address": "10.244.0.5", "port": 80}]}')
    endpoints.chmod(0o644)
    tmp_path.chmod(0o755)
    port = free_port()
    name = containers.run(image("usersvc-sds"), "python3", "-m", "usersvc_sds", "--bind", f"127.0.0.1:{port}",
                          "--endpoints-file", "/data/endpoints.json",
                          options=["--network", "host", "-v", f"{tmp_path}:/data:ro"])
    body = wait_until(lambda: request("GET", "127.0.0.1", port, "/v1/registration/usersvc", timeout=2).json(), 30,
                      what=f"usersvc-sds container: {containers.logs(name)[-2000:]}")
    assert body == {"hosts": [{"ip_address": "10.244.0.5", "port": 80, "tags": {}}]}
    assert containers.process_uids(name) == {10001}
