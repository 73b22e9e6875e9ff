"""usersvc on a real PostgreSQL as the role the deployment gives it, set up by the postgres image's own script.

The role (images/postgres/app-role.sql, which the image runs on every start) is no superuser, cannot
read pg_authid, create roles or databases, connect to another database or create anything outside its
schema, and owns only its table. Running the script again changes nothing; a table that a release
before the role kept in public, as the superuser, moves into the schema with its rows, and that
release's pods keep working until their rollout ends.
"""

import psycopg
import pytest

from harness.postgres import PostgresCluster
from harness.processes import ProcessGroup, wait_until
from harness.usersvc import UsersvcProcess

APP_USER = "usersvc"
APP_PASSWORD = "app-role-pw"
INSUFFICIENT_PRIVILEGE = "42501"
# What the release before the role sent, as the superuser, to create and change a user.
PREVIOUS_SCHEMA = """CREATE TABLE IF NOT EXISTS users (uuid char(32) PRIMARY KEY, username text NOT NULL UNIQUE,
                     fullname text NOT NULL, password text NOT NULL)"""
PREVIOUS_UPSERT = """INSERT INTO users (uuid, username, fullname, password) VALUES (%s, %s, %s, %s)
ON CONFLICT (username) DO UPDATE SET fullname = EXCLUDED.fullname, password = EXCLUDED.password
RETURNING uuid, fullname"""
# What the role must not do, each refused for lack of privilege.
FORBIDDEN = {
    "read pg_authid": "SELECT count(*) FROM pg_authid",
    "create a role": "CREATE ROLE least_privilege_probe LOGIN",
    "create a database": "CREATE DATABASE least_privilege_probe",
    "create a table in public": "CREATE TABLE public.least_privilege_probe (a int)",
    "create a temporary table": "CREATE TEMPORARY TABLE least_privilege_probe (a int)",
    "drop its schema": f"DROP SCHEMA {APP_USER} CASCADE",
    "widen its own role": f"ALTER ROLE {APP_USER} CREATEDB",
}
# The catalog rows the script decides; the password hash is left out, it gets a new salt each time.
SETTINGS_SNAPSHOT = f"""
SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolinherit, r.rolreplication, r.rolbypassrls, r.rolcanlogin,
       (SELECT array_agg(d.datname || '=' || coalesce(d.datacl::text, '') ORDER BY d.datname) FROM pg_database d),
       (SELECT n.nspacl::text || pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE n.nspname = '{APP_USER}'),
       (SELECT array_agg(s.setconfig::text) FROM pg_db_role_setting s WHERE s.setrole = r.oid)
FROM pg_roles r WHERE r.rolname = '{APP_USER}'"""


def connect_as_app(postgres, dbname=None):
    info = dict(postgres.conninfo(), user=APP_USER, password=APP_PASSWORD)
    if dbname:
        info["dbname"] = dbname
    return psycopg.connect(**info, autocommit=True, connect_timeout=5)


def set_up(postgres):
    run = postgres.ensure_app_role(APP_USER, APP_PASSWORD)
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def module_processes(tmp_path_factory):
    with ProcessGroup(tmp_path_factory.mktemp("least-privilege")) as group:
        yield group


@pytest.fixture(scope="module")
def database(module_processes):
    postgres = PostgresCluster(module_processes)
    set_up(postgres)
    yield postgres
    postgres.destroy()


@pytest.fixture(scope="module")
def app_usersvc(database, module_processes):
    return UsersvcProcess(module_processes, database.app_env(APP_USER, APP_PASSWORD), pod_ip="127.0.0.1",
                          pod_name="usersvc-least-privilege", name="usersvc-least-privilege")


def test_the_role_is_no_superuser_and_cannot_create_roles_or_databases(database):
    with connect_as_app(database) as conn:
        attributes = conn.execute("SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
                                  "FROM pg_roles WHERE rolname = current_user").fetchone()
    assert attributes == (False, False, False, False, False)


@pytest.mark.parametrize("what", sorted(FORBIDDEN))
def test_the_role_is_refused(database, what):
    with connect_as_app(database) as conn:
        with pytest.raises(psycopg.Error) as refused:
            conn.execute(FORBIDDEN[what])
    assert refused.value.sqlstate == INSUFFICIENT_PRIVILEGE, f"{what}: {refused.value}"


def test_the_role_connects_to_its_own_database_only(database):
    with pytest.raises(psycopg.OperationalError, match="CONNECT privilege"):
        connect_as_app(database, dbname="postgres")


def test_usersvc_serves_as_the_role_and_owns_only_its_table(database, app_usersvc):
    created = app_usersvc.call("PUT", "/user/alice", {"fullname": "Alice", "password": "alicerules"})
    assert created.status == 200, created.body
    assert app_usersvc.call("GET", "/user/alice").json()["uuid"] == created.json()["uuid"]
    # The table's TOAST table (and its index) in pg_toast go with the table, to its owner.
    owned = database.query("""
        SELECT n.nspname || '.' || c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = %s) AND n.nspname <> 'pg_toast'
        ORDER BY 1""", (APP_USER,))
    tables = [name for name, kind in owned if kind == "r"]
    assert tables == [f"{APP_USER}.users"], owned
    # Everything else it owns is an index of that table.
    assert all(kind == "i" and name.startswith(f"{APP_USER}.users_") for name, kind in owned if kind != "r"), owned
    assert database.query(f"SELECT count(*) FROM {APP_USER}.users") == [(1,)]


def test_setting_up_again_changes_nothing(database):
    before = database.query(SETTINGS_SNAPSHOT)
    again = set_up(database)
    assert "NOTICE" not in again.stderr and "WARNING" not in again.stderr, again.stderr
    assert database.query(SETTINGS_SNAPSHOT) == before


def test_a_role_widened_by_hand_is_narrowed_again(database):
    database.execute(f"ALTER ROLE {APP_USER} CREATEDB CREATEROLE")
    set_up(database)
    assert database.query("SELECT rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s",
                          (APP_USER,)) == [(False, False)]


def test_the_superuser_is_refused_as_the_applications_role(database):
    run = database.ensure_app_role("postgres", "whatever")
    assert run.returncode != 0
    assert "is a superuser; the application needs a role of its own" in run.stderr
    assert database.query("SELECT rolsuper FROM pg_roles WHERE rolname = 'postgres'") == [(True,)]


def log_statements(postgres, setting):
    postgres.execute(f"ALTER SYSTEM SET log_statement = '{setting}'")
    postgres.execute("SELECT pg_reload_conf()")
    wait_until(lambda: postgres.query("SHOW log_statement") == [(setting,)], 10, what=f"log_statement={setting}")


def test_the_password_reaches_no_server_log_even_when_every_statement_is_logged(database):
    log_statements(database, "all")
    try:
        set_up(database)
        database.execute("SELECT 'logged after the set-up'")
    finally:
        log_statements(database, "none")
    log = database.process.log_path.read_text(errors="replace")
    assert "logged after the set-up" in log, "the server logged no statement: the check proves nothing"
    assert APP_PASSWORD not in log


def test_a_table_kept_in_public_by_the_superuser_moves_with_its_rows(processes):
    postgres = PostgresCluster(processes)
    try:
        # The release before the role: usersvc as the superuser keeps its table in public.
        previous = UsersvcProcess(processes, postgres.client_env(), pod_ip="127.0.0.1", pod_name="usersvc-previous",
                                  name="usersvc-previous")
        alice = previous.call("PUT", "/user/alice", {"fullname": "Alice", "password": "alicerules"}).json()
        assert postgres.query("SELECT tableowner FROM pg_tables WHERE schemaname = 'public' "
                              "AND tablename = 'users'") == [("postgres",)]

        moved = set_up(postgres)
        assert "moved the table public.users to usersvc.users" in moved.stderr
        assert postgres.query("SELECT schemaname, tableowner FROM pg_tables WHERE tablename = 'users'") == [
            ("usersvc", "usersvc")]

        # Its pods keep reading and writing the same rows until their rollout ends...
        assert previous.call("GET", "/user/alice").json()["uuid"] == alice["uuid"]
        assert previous.call("PUT", "/user/bob", {"fullname": "Bob", "password": "bobrules"}).status == 200
        with psycopg.connect(**postgres.conninfo(), autocommit=True) as conn:
            conn.execute(PREVIOUS_SCHEMA)
            assert conn.execute(PREVIOUS_UPSERT, ("C" * 32, "carol", "Carol", "hash")).fetchone() == ("C" * 32, "Carol")
        # ...and the new ones, as the role, find every user.
        current = UsersvcProcess(processes, postgres.app_env(APP_USER, APP_PASSWORD), pod_ip="127.0.0.1",
                                 pod_name="usersvc-current", name="usersvc-current")
        assert current.call("GET", "/user/alice").json()["uuid"] == alice["uuid"]
        assert current.call("GET", "/user/bob").status == 200 and current.call("GET", "/user/carol").status == 200
        # The view that bridged the rollout is the superuser's alone.
        with connect_as_app(postgres) as conn, pytest.raises(psycopg.Error) as refused:
            conn.execute("SELECT * FROM public.users")
        assert refused.value.sqlstate == INSUFFICIENT_PRIVILEGE
        # Set up again (the next start of postgres): the moved table stays where it is.
        again = set_up(postgres)
        assert "NOTICE" not in again.stderr and "WARNING" not in again.stderr, again.stderr
        assert postgres.query("SELECT count(*) FROM usersvc.users") == [(3,)]
    finally:
        postgres.destroy()
