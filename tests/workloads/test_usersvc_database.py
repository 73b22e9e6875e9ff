"""usersvc when PostgreSQL goes away, comes back, or is shared by replicas starting together."""

import threading

from harness.postgres import PostgresCluster
from harness.processes import wait_until
from harness.usersvc import UsersvcProcess
from usersvc.db import UserStore


def test_database_down_gives_503_and_recovers(processes):
    postgres = PostgresCluster(processes)
    try:
        usersvc = UsersvcProcess(processes, postgres.client_env(), pod_ip="127.0.0.1", pod_name="usersvc-outage")
        created = usersvc.call("PUT", "/user/alice", {"fullname": "Alice", "password": "alicerules"})
        assert created.status == 200

        postgres.stop()
        for method, body in (("GET", None), ("PUT", {"fullname": "A", "password": "p"})):
            response = usersvc.call(method, "/user/alice", body)
            assert response.status == 503
            assert response.json()["ok"] is False
            assert response.json()["error"] == "database unavailable"
        # Health must not follow the database, or a postgres restart would drain every backend.
        assert usersvc.call("GET", "/user/health").status == 200

        postgres.start()
        back = wait_until(lambda: _ok(usersvc.call("GET", "/user/alice")), 20, interval=0.5,
                          what="usersvc to reach postgres again")
        assert back["uuid"] == created.json()["uuid"]
    finally:
        postgres.destroy()


def test_starts_without_database_and_creates_schema_later(processes):
    postgres = PostgresCluster(processes)
    try:
        postgres.stop()
        usersvc = UsersvcProcess(processes, postgres.client_env(), pod_ip="127.0.0.1", pod_name="usersvc-early")
        assert usersvc.call("GET", "/user/health").status == 200
        assert usersvc.call("GET", "/user/alice").status == 503
        postgres.start()
        wait_until(lambda: usersvc.call("PUT", "/user/alice", {"fullname": "Alice", "password": "x"}).status == 200,
                   20, interval=0.5, what="first PUT after postgres started")
        assert postgres.query("SELECT count(*) FROM users") == [(1,)]
    finally:
        postgres.destroy()


def test_a_dropped_table_is_created_again(processes):
    """A database reset under a running usersvc: the next requests recreate the table, no 500s."""
    postgres = PostgresCluster(processes)
    try:
        usersvc = UsersvcProcess(processes, postgres.client_env(), pod_ip="127.0.0.1", pod_name="usersvc-reset")
        assert usersvc.call("PUT", "/user/alice", {"fullname": "Alice", "password": "x"}).status == 200
        postgres.execute("DROP TABLE users")

        # Every worker (each with its own pool) must recover, so ask more often than there are workers.
        for _attempt in range(8):
            assert usersvc.call("GET", "/user/alice").status == 404
        assert usersvc.call("PUT", "/user/bob", {"fullname": "Bob", "password": "y"}).status == 200
        assert postgres.query("SELECT username FROM users") == [("bob",)]
    finally:
        postgres.destroy()


def test_replicas_creating_the_schema_at_once_do_not_fail(processes):
    postgres = PostgresCluster(processes)
    settings = dict(postgres.conninfo(), connect_timeout=5)
    try:
        # The race without a lock is timing-dependent, so run it a few times.
        for _round in range(8):
            postgres.execute("DROP TABLE IF EXISTS users")
            assert _race_schema_creation(settings, replicas=12) == []
            assert postgres.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'") == [(1,)]
    finally:
        postgres.destroy()


def _race_schema_creation(settings, replicas):
    stores = [UserStore(settings, max_connections=1) for _replica in range(replicas)]
    errors = []
    barrier = threading.Barrier(replicas)

    def create(store):
        try:
            store.open()
            store.wait_ready(timeout=10)
            barrier.wait()
            store.ensure_schema()
        except Exception as exc:  # pylint: disable=broad-except  # collected and asserted by the caller
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    return errors


def _ok(response):
    return response.json() if response.status == 200 else None
