"""Fixtures that start the real workload processes; everything is stopped even when a test fails."""

import sys

import pytest

from harness import SDS_DIR, USERSVC_DIR
from harness.postgres import PostgresCluster
from harness.processes import ProcessGroup
from harness.usersvc import UsersvcProcess

# Unit tests of pure logic import the workload packages directly.
for _path in (str(USERSVC_DIR), str(SDS_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)


@pytest.fixture(scope="session")
def session_processes(tmp_path_factory):
    with ProcessGroup(tmp_path_factory.mktemp("session-processes")) as group:
        yield group


@pytest.fixture
def processes(tmp_path):
    with ProcessGroup(tmp_path / "processes") as group:
        yield group


@pytest.fixture(scope="session")
def postgres(session_processes):
    cluster = PostgresCluster(session_processes)
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def usersvc(postgres, session_processes):
    return UsersvcProcess(session_processes, postgres.client_env(), pod_ip="127.0.0.1", pod_name="usersvc-test")
