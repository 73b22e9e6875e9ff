"""Users survive postgres going away, and writes meanwhile fail cleanly or not at all.

First the postgres pod is deleted under a stream of writes: users written before must all be
readable afterwards, and every write sent meanwhile must end either stored (200, ok: true, readable
later) or refused (503, ok: false, nothing stored). A pod deletion may be shorter than the time
usersvc waits for a connection, so then postgres is stopped outright (scaled to 0): every write
must be refused with 503 and none may appear once postgres is back.
"""

import threading
import time
import uuid

import pytest

from meshlab.database import Database
from meshlab.waiting import poll
from toolkit.http import KeepAliveClient

BEFORE = 20
WRITERS = 3
DOWN_WRITES = 2  # per writer while postgres is stopped; each waits out usersvc's connection timeout
TIMEOUT = 150
# Writes go on this long after the new postgres pod is Ready and the old one has exited.
AFTER_RECOVERY_S = 2.0
POSTGRES = "service=postgres"
SETTLED_READ_S = 30
# usersvc's table, in the schema the postgres role makes for usersvc's own database role.
USERS_TABLE = "usersvc.users"


def put_user(client, name):
    return client.request("PUT", f"/user/{name}", {"fullname": f"Full {name}", "password": f"pw-{name}"})


class Writers:
    """Threads that PUT new users until stopped or ``limit`` each; every (name, answer) is kept."""

    def __init__(self, target, prefix, count, limit=10_000):
        self.target = target
        self.prefix = prefix
        self.limit = limit
        self.results = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(count)]

    def _run(self, index):
        with KeepAliveClient(self.target.edge_host, self.target.node_port, timeout=30) as client:
            for n in range(self.limit):
                if self._stop.is_set():
                    return
                name = f"{self.prefix}-{index}-{n}"
                self.results.append((name, put_user(client, name)))

    def join(self, timeout=60):
        for thread in self._threads:
            thread.join(timeout)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self.join()


def classify(answer):
    body = answer.json_or_none()
    if answer.status == 200 and isinstance(body, dict) and body.get("ok") is True and body.get("uuid"):
        return "stored"
    if answer.status == 503 and isinstance(body, dict) and body.get("ok") is False \
            and body.get("error") == "database unavailable":
        return "refused"
    return "other"


def sort_out(results):
    outcomes = {"stored": [], "refused": [], "other": []}
    for name, answer in results:
        outcomes[classify(answer)].append((name, answer))
    return outcomes


def replaced(cluster, old):
    """The old postgres pods have exited and their replacement is Ready."""
    return not {pod.metadata.name for pod in cluster.pods(POSTGRES)} & old and cluster.rolled_out("postgres", 1)


def uuid_of(edge, name):
    """The stored uuid of `name`, or the status (404: absent) once an answer says either.

    Right after postgres returns, a replica whose pool is still reconnecting answers 503, which
    says nothing about what is stored; ask again until 200 or 404 (or SETTLED_READ_S passes).
    """
    deadline = time.monotonic() + SETTLED_READ_S
    while True:
        answer = edge.request("GET", f"/user/{name}")
        if answer.status in (200, 404) or time.monotonic() > deadline:
            return answer.json().get("uuid") if answer.status == 200 else answer.status
        time.sleep(0.2)


def rows_named(db, names):
    if not names:
        return 0
    # Generated names are [a-z0-9-] only, so they can be inlined.
    listed = ",".join(f"'{name}'" for name in names)
    return int(db.query(f"SELECT count(*) FROM {USERS_TABLE} WHERE username IN ({listed})", "users")[0][0])


@pytest.fixture
def edge(target, healthy_mesh):
    healthy_mesh()
    with KeepAliveClient(target.edge_host, target.node_port, timeout=30) as client:
        poll(lambda: client.request("GET", "/user/alice").ok, 60, what="reads through the edge")
        yield client


@pytest.fixture
def postgres_back(cluster, edge):
    yield
    cluster.scale("postgres", 1)
    poll(lambda: cluster.rolled_out("postgres", 1), TIMEOUT, interval=0.5, what="postgres to run again",
         describe=lambda: cluster.describe(POSTGRES))
    poll(lambda: edge.request("GET", "/user/alice").ok, 60, what="reads through the edge to work again")


def test_users_survive_a_postgres_pod_deletion_and_no_write_is_lost(cluster, target, edge, figures):
    run = uuid.uuid4().hex[:8]
    before = {}
    for i in range(BEFORE):
        answer = put_user(edge, f"safety-{run}-{i}")
        assert answer.ok, answer.reason()
        before[f"safety-{run}-{i}"] = answer.json()["uuid"]

    old = {pod.metadata.name for pod in cluster.ready_pods(POSTGRES)}
    with Writers(target, f"during-{run}", WRITERS) as writers:
        for name in old:
            cluster.delete_pod(name)
        outage_s = poll(lambda: replaced(cluster, old), TIMEOUT, interval=0.1, what="postgres to be replaced",
                        describe=lambda: cluster.describe(POSTGRES))
        time.sleep(AFTER_RECOVERY_S)
    poll(lambda: edge.request("GET", "/user/alice").ok, 60, what="reads through the edge to work again")

    lost = [name for name, uid in before.items() if uuid_of(edge, name) != uid]
    outcomes = sort_out(writers.results)
    acknowledged_lost = [name for name, answer in outcomes["stored"] if uuid_of(edge, name) != answer.json()["uuid"]]
    refused = [name for name, dummy in outcomes["refused"]]
    refused_stored = rows_named(Database(cluster), refused)
    figures("data safety: postgres pod deleted under writes", [
        f"users written before: {BEFORE}, readable after: {BEFORE - len(lost)}",
        f"writes meanwhile: {len(writers.results)} by {WRITERS} clients over {outage_s:.1f} s (old pod gone, "
        f"new one Ready)",
        f"  stored: {len(outcomes['stored'])}, of which lost after the restart: {len(acknowledged_lost)}",
        f"  refused (503 ok:false): {len(refused)}, of which stored anyway: {refused_stored}",
        f"  other answers: {len(outcomes['other'])} {sorted({a.reason() for dummy, a in outcomes['other']})[:3]}",
    ])
    assert not lost, f"users written before the restart are gone: {lost}"
    assert not outcomes["other"], [(name, answer.reason()) for name, answer in outcomes["other"][:10]]
    assert not acknowledged_lost, f"acknowledged writes lost across the restart: {acknowledged_lost[:10]}"
    assert refused_stored == 0, "refused writes were stored"


def test_writes_while_postgres_is_down_are_refused_and_never_stored(cluster, target, edge, postgres_back, figures):
    run = uuid.uuid4().hex[:8]
    cluster.scale("postgres", 0)
    poll(lambda: not cluster.pods(POSTGRES), TIMEOUT, interval=0.2, what="postgres to stop",
         describe=lambda: cluster.describe(POSTGRES))
    started = time.monotonic()
    with Writers(target, f"down-{run}", WRITERS, limit=DOWN_WRITES) as writers:
        writers.join(120)
    down_s = time.monotonic() - started
    outcomes = sort_out(writers.results)
    cluster.scale("postgres", 1)
    back_s = poll(lambda: cluster.rolled_out("postgres", 1), TIMEOUT, interval=0.2, what="postgres to run again",
                  describe=lambda: cluster.describe(POSTGRES))
    poll(lambda: edge.request("GET", "/user/alice").ok, 60, what="reads through the edge to work again")

    refused = [name for name, dummy in outcomes["refused"]]
    readable = [name for name in refused if uuid_of(edge, name) != 404]
    stored_rows = rows_named(Database(cluster), [name for name, dummy in writers.results])
    latencies = sorted(answer.latency_ms for dummy, answer in writers.results)
    figures("data safety: writes while postgres is stopped", [
        f"writes: {len(writers.results)} in {down_s:.1f} s, refused with 503 ok:false: {len(refused)}, "
        f"other: {len(outcomes['other'])}; slowest answer {latencies[-1] / 1000:.1f} s",
        f"after postgres was back ({back_s:.1f} s to Ready): readable {len(readable)}, rows {stored_rows}",
    ])
    assert len(writers.results) == WRITERS * DOWN_WRITES
    assert len(refused) == len(writers.results), [(n, a.reason()) for n, a in outcomes["other"] + outcomes["stored"]]
    assert not readable and stored_rows == 0, f"refused writes were stored: {readable}"
