"""Security properties of the deployed mesh, checked against the running cluster.

No plain-text password in the database; usersvc logs in with a database role that is no superuser,
cannot read pg_authid, create roles or databases and owns only its table, and its pods never get the
superuser's Secret; a PUT cannot take an existing user over; the discovery service's ServiceAccount
may only read EndpointSlices of its own namespace; every container runs as non-root without
privilege escalation; the Envoy admin endpoints answer inside their pods but not from other pods.
"""

import base64
import json
import os
import uuid

import pytest

from meshlab.database import Database
from meshlab.probe import ProbePod, local_probe_images, newest
from toolkit.http import KeepAliveClient
from toolkit.lab import USERSVC

SEEDED_PASSWORDS = ("alicerules", "bobrules")
MESH_PODS = "service"  # every workload pod of the lab carries a `service` label
# usersvc's table, in the schema the postgres role makes for usersvc's own database role.
APP_SCHEMA = "usersvc"
USERS_TABLE = f"{APP_SCHEMA}.users"
SUPERUSER_SECRET = "postgres-credentials"
APP_SECRET = "usersvc-db-credentials"


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def columns_of_user_tables(db, database):
    return db.query("""
        SELECT c.table_schema, c.table_name, c.column_name
        FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
        WHERE t.table_type = 'BASE TABLE'
          AND c.table_schema NOT IN ('pg_catalog', 'information_schema') AND c.table_schema NOT LIKE 'pg_toast%'
        ORDER BY 1, 2, 3""", database)


def columns_containing(db, database, needle):
    """Every schema.table.column of ``database`` whose value, as text, contains ``needle``."""
    columns = columns_of_user_tables(db, database)
    if not columns:
        return []
    pattern = "'%" + needle.replace("'", "''") + "%'"
    checks = [f"SELECT '{s}.{t}.{c}' FROM {quote_ident(s)}.{quote_ident(t)} WHERE {quote_ident(c)}::text "
              f"LIKE {pattern}" for s, t, c in columns]
    return sorted({row[0] for row in db.query("\nUNION\n".join(checks) + ";", database)})


def test_no_plain_text_password_anywhere_in_the_database(cluster):
    db = Database(cluster)
    databases = db.databases()
    assert "users" in databases
    # The scan itself works: it finds the seeded user names where they are stored.
    assert columns_containing(db, "users", "alice") == [f"{USERS_TABLE}.username"]
    for database in databases:
        for password in SEEDED_PASSWORDS:
            assert columns_containing(db, database, password) == [], f"{password!r} in plain text in {database}"
    stored = dict(db.query(f"SELECT username, password FROM {USERS_TABLE} WHERE username IN ('alice', 'bob')", "users"))
    assert set(stored) == {"alice", "bob"}
    assert all(value.startswith("scrypt$") for value in stored.values()), "passwords are not scrypt hashes"


def secrets_referenced(pod_spec):
    """The names of every Secret a pod spec reads: env, envFrom, volumes (projected too)."""
    names = set()
    for container in (pod_spec.get("initContainers") or []) + pod_spec["containers"]:
        names |= {e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env") or []
                  if "secretKeyRef" in e.get("valueFrom", {})}
        names |= {e["secretRef"]["name"] for e in container.get("envFrom") or [] if "secretRef" in e}
    for volume in pod_spec.get("volumes") or []:
        if "secret" in volume:
            names.add(volume["secret"]["secretName"])
        names |= {s["secret"]["name"] for s in volume.get("projected", {}).get("sources") or [] if "secret" in s}
    return names


def test_usersvc_pods_get_only_the_secret_of_their_own_database_role(cluster):
    template = cluster.get("deployment", "usersvc")["spec"]["template"]["spec"]
    assert secrets_referenced(template) == {APP_SECRET}
    for pod in cluster.items("pods", USERSVC):
        assert secrets_referenced(pod["spec"]) == {APP_SECRET}, pod["metadata"]["name"]
    assert SUPERUSER_SECRET in secrets_referenced(cluster.get("deployment", "postgres")["spec"]["template"]["spec"])


# Runs inside a usersvc container with its own environment (PGHOST, PGUSER, PGPASSWORD...): the database
# role exactly as usersvc logs in with it. Prints JSON: who it is, what it owns, what each attempt got.
ROLE_PROBE = """
import json, psycopg
attempts = {
    "read pg_authid": "SELECT count(*) FROM pg_authid",
    "create a role": "CREATE ROLE e2e_probe_role LOGIN",
    "create a database": "CREATE DATABASE e2e_probe_db",
    "create a table in public": "CREATE TABLE public.e2e_probe (a int)",
    "widen its own role": "ALTER ROLE CURRENT_USER CREATEDB",
}
report = {"refused": {}}
with psycopg.connect(connect_timeout=5, autocommit=True) as conn:
    report["role"] = conn.execute(
        "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
        "FROM pg_roles WHERE rolname = current_user").fetchone()
    report["tables"] = [row[0] for row in conn.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND c.relkind <> 'i' "
        # The table's TOAST table goes with it, to its owner.
        "AND n.nspname <> 'pg_toast' ORDER BY 1")]
    for what, sql in attempts.items():
        try:
            conn.execute(sql)
            report["refused"][what] = None
        except psycopg.Error as exc:
            report["refused"][what] = exc.sqlstate
try:
    psycopg.connect(dbname="postgres", connect_timeout=5).close()
    report["other database"] = "connected"
except psycopg.Error as exc:
    report["other database"] = str(exc).strip().splitlines()[-1]
print(json.dumps(report))
"""
# Undoes what a wrongly allowed attempt of ROLE_PROBE made, so that a failure leaves nothing behind.
ROLE_PROBE_CLEANUP = ["DROP DATABASE IF EXISTS e2e_probe_db", "DROP ROLE IF EXISTS e2e_probe_role"]


def test_usersvc_logs_in_with_a_role_that_can_do_nothing_but_use_its_table(cluster):
    pod = cluster.ready_pods(USERSVC)[0].metadata.name
    try:
        result = cluster.exec(pod, "usersvc", ["python3", "-c", ROLE_PROBE])
    finally:
        db = Database(cluster)
        for statement in ROLE_PROBE_CLEANUP:
            db.query(statement, "postgres")
        db.query("DROP TABLE IF EXISTS public.e2e_probe", "users")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    user, *attributes = report["role"]
    secret = cluster.core.read_namespaced_secret(APP_SECRET, cluster.namespace)
    assert user == base64.b64decode(secret.data["username"]).decode() != "postgres"
    assert attributes == [False, False, False, False, False], "superuser, createrole, createdb, replication, bypassrls"
    assert report["tables"] == [USERS_TABLE]
    # 42501: insufficient_privilege, each time.
    assert report["refused"] == {what: "42501" for what in report["refused"]}, report["refused"]
    assert "CONNECT privilege" in report["other database"]


def test_a_put_cannot_take_an_existing_user_over(target, healthy_mesh):
    healthy_mesh()
    name = f"owner-{uuid.uuid4().hex[:8]}"
    with KeepAliveClient(target.edge_host, target.node_port, timeout=15) as edge:
        created = edge.request("PUT", f"/user/{name}", {"fullname": "Owner", "password": "owner-pw"})
        assert created.ok, created.reason()
        taken = edge.request("PUT", f"/user/{name}", {"fullname": "Intruder", "password": "intruder-pw"})
        assert taken.status == 409 and taken.json()["ok"] is False, taken.reason()
        wrong = edge.request("PUT", f"/user/{name}", {"fullname": "Intruder", "password": "intruder-pw",
                                                      "current_password": "guess"})
        assert wrong.status == 409 and wrong.json()["ok"] is False, wrong.reason()
        assert edge.request("GET", f"/user/{name}").json()["fullname"] == "Owner"
        # The same PUT again is accepted and changes nothing; the owner may change the password.
        assert edge.request("PUT", f"/user/{name}", {"fullname": "Owner", "password": "owner-pw"}).ok
        changed = edge.request("PUT", f"/user/{name}", {"fullname": "Owner", "password": "new-pw",
                                                        "current_password": "owner-pw"})
        assert changed.ok and changed.json()["uuid"] == created.json()["uuid"]
        assert edge.request("PUT", f"/user/{name}", {"fullname": "Owner", "password": "owner-pw"}).status == 409


# (verb, resource, namespace: "own", "other" or "*" for all namespaces, None when cluster-scoped)
ALLOWED = [(verb, "endpointslices.discovery.k8s.io", "own") for verb in ("get", "list", "watch")]
DENIED = [
    *[(verb, "endpointslices.discovery.k8s.io", "own")
      for verb in ("create", "update", "patch", "delete", "deletecollection")],
    *[(verb, "endpointslices.discovery.k8s.io", ns) for verb in ("get", "list", "watch")
      for ns in ("kube-system", "default", "*")],
    *[(verb, "secrets", "own") for verb in ("get", "list", "watch")],
    ("list", "secrets", "*"),
    *[(verb, "pods", "own") for verb in ("get", "list", "watch", "create", "delete")],
    ("create", "pods/exec", "own"),
    ("get", "pods/log", "own"),
    *[(verb, resource, "own") for resource in ("configmaps", "services", "endpoints", "serviceaccounts")
      for verb in ("get", "list")],
    ("create", "serviceaccounts/token", "own"),
    *[(verb, "deployments.apps", "own") for verb in ("get", "list", "patch")],
    *[(verb, "roles.rbac.authorization.k8s.io", "own") for verb in ("get", "create", "escalate", "bind")],
    ("list", "namespaces", None),
    ("list", "nodes", None),
    ("impersonate", "serviceaccounts", "own"),
    ("*", "*", "own"),
]


@pytest.fixture(scope="module")
def discovery_account(cluster):
    account = cluster.deployment("usersvc-sds").spec.template.spec.service_account_name
    assert account and account != "default", "the discovery service needs its own ServiceAccount"
    return f"system:serviceaccount:{cluster.namespace}:{account}"


def can_i(cluster, account, verb, resource, namespace):
    args = ["auth", "can-i", verb, resource, "--as", account]
    if namespace == "*":
        args.append("--all-namespaces")
    elif namespace is not None:
        args += ["--namespace", cluster.namespace if namespace == "own" else namespace]
    result = cluster.kubectl(*args, namespaced=False)
    answer = result.stdout.strip()
    assert answer in ("yes", "no"), f"kubectl auth can-i {verb} {resource}: {result.stderr.strip()}"
    return answer == "yes"


def test_discovery_account_reads_endpointslices_of_its_namespace_and_nothing_else(cluster, discovery_account):
    wrong = []
    for verb, resource, namespace in ALLOWED + DENIED:
        expected = (verb, resource, namespace) in ALLOWED
        if can_i(cluster, discovery_account, verb, resource, namespace) != expected:
            wrong.append(f"{'cannot' if expected else 'can'} {verb} {resource} in {namespace or 'the cluster'}")
    assert not wrong, f"{discovery_account}: " + "; ".join(wrong)


def test_only_the_discovery_pod_carries_an_api_token(cluster):
    for pod in cluster.pods(MESH_PODS):
        projected = [v.name for v in pod.spec.volumes or [] if v.projected is not None
                     and any(s.service_account_token for s in v.projected.sources or [])]
        wants_token = pod.metadata.labels.get("service") == "usersvc-sds"
        assert bool(projected) == wants_token, f"{pod.metadata.name}: token volumes {projected}"


def proc_status(cluster, pod, container):
    result = cluster.exec(pod, container, ["cat", "/proc/1/status"])
    assert result.returncode == 0, f"{pod}/{container}: {result.stderr.strip()}"
    return dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)


def test_every_container_runs_as_non_root_without_privilege_escalation(cluster):
    pods = cluster.pods(MESH_PODS)
    assert {pod.metadata.labels["service"] for pod in pods} >= {"postgres", "usersvc", "usersvc-sds", "edge-envoy"}
    for pod in pods:
        pod_context = pod.spec.security_context
        for container in pod.spec.containers:
            where = f"{pod.metadata.name}/{container.name}"
            context = container.security_context
            non_root = context.run_as_non_root if context.run_as_non_root is not None else pod_context.run_as_non_root
            assert non_root is True, f"{where}: runAsNonRoot is not set"
            assert context.allow_privilege_escalation is False, f"{where}: allowPrivilegeEscalation"
            assert not context.privileged, f"{where}: privileged"
            assert "ALL" in (context.capabilities.drop or []), f"{where}: capabilities not dropped"
            # What the kernel says about the running main process (PID 1 of the container).
            status = proc_status(cluster, pod.metadata.name, container.name)
            assert all(uid != "0" for uid in status["Uid"].split()), f"{where}: main process uids {status['Uid']}"
            assert status["NoNewPrivs"].strip() == "1", f"{where}: no_new_privs is off"
            assert status["CapEff"].strip() == "0000000000000000", f"{where}: effective capabilities {status['CapEff']}"
            shell_uid = cluster.exec(pod.metadata.name, container.name, ["id", "-u"])
            assert shell_uid.returncode == 0 and shell_uid.stdout.strip() != "0", f"{where}: id -u {shell_uid.stdout}"


# HTTP over bash's /dev/tcp: the Envoy image has no curl, and the check must run inside the pod.
LOCAL_ADMIN = ('exec 3<>/dev/tcp/127.0.0.1/{port} && printf "GET /ready HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n" >&3 '
               '&& timeout 3 cat <&3')


@pytest.fixture(scope="module")
def probe(cluster):
    image = os.environ.get("MESH_PROBE_IMAGE") or newest(local_probe_images())
    if not image:
        pytest.fail("no envoy-mesh/probe image in the node's containerd: run site.yml, or set MESH_PROBE_IMAGE")
    pod = ProbePod(cluster, image)
    yield pod
    pod.delete()


@pytest.mark.parametrize("service", ["edge-envoy", "usersvc"])
def test_envoy_admin_answers_inside_the_pod_only(cluster, probe, service):
    pod = cluster.ready_pods(f"service={service}")[0]
    ip = pod.status.pod_ip
    # From another pod the listener answers, so the network path works...
    assert probe.curl(f"http://{ip}:80/user/health") == (0, 200)
    # ...but the admin port refuses the connection (curl exit status 7).
    assert probe.curl(f"http://{ip}:8001/ready") == (7, None)
    inside = cluster.exec(pod.metadata.name, "envoy", ["bash", "-c", LOCAL_ADMIN.format(port=8001)])
    assert inside.returncode == 0 and inside.stdout.startswith("HTTP/1.1 200"), inside.stdout + inside.stderr
    assert "LIVE" in inside.stdout


def test_usersvc_app_is_only_reachable_through_its_sidecar(cluster, probe):
    for pod in cluster.ready_pods(USERSVC):
        # The app listens on 127.0.0.1:5000 behind the sidecar (tutorial step 3's usersvc2).
        assert probe.curl(f"http://{pod.status.pod_ip}:5000/user/health") == (7, None), pod.metadata.name
