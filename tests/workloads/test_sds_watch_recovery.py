"""The discovery service's watch under the faults of a Kubernetes API server, played by a stand-in on loopback.

Each fault must end in a logged retry, a fresh list and a new watch: the service keeps serving its last
endpoints meanwhile, follows every later change, and its /healthz comes back to 200. A watch that makes
no progress fails /livez (the kubelet would restart the pod) but never /readyz.
"""

import os
import sys

import pytest

from harness import SDS_DIR
from harness.kube_api_standin import FAULTS, KubeApiStandIn
from harness.processes import free_port, wait_until
from toolkit.http import request

# Short watches, so that a watch ending normally is part of every test; the stall bound is twice this.
WATCH_SECONDS = 1
# Far above what recovery takes (a backoff of at most a few seconds, then a list).
RECOVERY_TIMEOUT = 15


class Sds:
    def __init__(self, processes, api):
        self.port = free_port()
        env = dict(os.environ, PYTHONPATH=str(SDS_DIR), PYTHONDONTWRITEBYTECODE="1", **api.environment())
        env.pop("SDS_NAMESPACE", None)
        self.process = processes.start("usersvc-sds-standin", [
            sys.executable, "-m", "usersvc_sds", "--bind", f"127.0.0.1:{self.port}",
            "--service-account-dir", api.account_dir, "--watch-seconds", str(WATCH_SECONDS), "--hold", "2",
        ], env=env)
        wait_until(lambda: self.get("/readyz").status == 200, 20, what="usersvc-sds to listen")

    def get(self, path):
        self.process.ensure_alive()
        return request("GET", "127.0.0.1", self.port, path, timeout=10)

    def hosts(self):
        response = self.get("/v1/registration/usersvc")
        assert response.status == 200, response.body
        return sorted(host["ip_address"] for host in response.json()["hosts"])

    def expect(self, addresses, what):
        wait_until(lambda: self.hosts() == sorted(addresses), RECOVERY_TIMEOUT, interval=0.05,
                   what=f"{what}: registration {sorted(addresses)}")

    def expect_healthy(self):
        wait_until(lambda: self.get("/healthz").status == 200, RECOVERY_TIMEOUT, what="/healthz 200 again")


@pytest.fixture
def api(tmp_path):
    stand_in = KubeApiStandIn(tmp_path / "api")
    yield stand_in
    stand_in.close()


@pytest.fixture
def sds(processes, api):
    api.put_slice("usersvc-a", ["10.0.0.1"])
    service = Sds(processes, api)
    service.expect(["10.0.0.1"], "first sync")
    return service


def open_watch(api):
    wait_until(lambda: api.counts()["open_watches"] >= 1, RECOVERY_TIMEOUT, what="a watch to be open")


@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "end"] + ["http-410"])
def test_every_broken_watch_ends_in_a_fresh_list_and_later_changes_are_followed(api, sds, fault):
    open_watch(api)
    before = api.counts()
    if fault == "http-410":
        # The next watch request is refused with 410 Gone: end the open one so that there is a next.
        api.answer_gone()
        api.inject("end")
    else:
        api.inject(fault)
    wait_until(lambda: api.counts()["lists"] > before["lists"], RECOVERY_TIMEOUT, what=f"a fresh list after {fault}")

    # Changes after the fault reach the service: a new slice, a changed one, a deleted one.
    api.put_slice("usersvc-b", ["10.0.0.2"])
    sds.expect(["10.0.0.1", "10.0.0.2"], f"a slice added after {fault}")
    api.put_slice("usersvc-a", ["10.0.0.3"])
    sds.expect(["10.0.0.2", "10.0.0.3"], f"a slice changed after {fault}")
    api.delete_slice("usersvc-b")
    sds.expect(["10.0.0.3"], f"a slice deleted after {fault}")
    sds.expect_healthy()
    assert sds.get("/livez").status == 200
    assert api.counts()["watches"] > before["watches"]


def test_every_fault_in_a_row_on_one_service(api, sds):
    # One process through all of them, the way a long-lived pod meets them over time.
    expected = ["10.0.0.1"]
    for number, fault in enumerate(FAULTS, start=2):
        open_watch(api)
        before = api.counts()
        api.inject(fault)
        # Each fault is seen before the next: two queued faults could land on one stream.
        counter = "watches" if fault == "end" else "lists"
        wait_until(lambda c=counter, b=before: api.counts()[c] > b[c], RECOVERY_TIMEOUT, what=f"the reaction to {fault}")
        address = f"10.0.1.{number}"
        api.put_slice(f"usersvc-{fault}", [address])
        expected.append(address)
        sds.expect(expected, f"the slice added after {fault}")
    sds.expect_healthy()
    log = sds.process.log_tail(1000)
    retries = [line for line in log.splitlines() if "listing again in" in line]
    # Every fault but the clean end of a watch is logged with what happened and when the list is retried.
    assert len(retries) == len(FAULTS) - 1, "\n".join(retries)
    assert "IncompleteRead" in log and "without metadata.name" in log and "410" not in log.replace("10.0.", "")


def test_an_api_outage_keeps_the_last_endpoints_and_ends_in_a_fresh_list(api, sds):
    open_watch(api)
    api.set_failing(True)
    api.inject("cut")
    # The cut first, then the failing lists that follow it: each is reported with how long it has lasted.
    wait_until(lambda: "HTTP 503" in _error(sds.get("/healthz")), RECOVERY_TIMEOUT, what="/healthz to report the 503")
    assert "no working watch for" in _error(sds.get("/healthz"))
    # Never an empty list that would drain the edge, and never out of its Service for it.
    assert sds.hosts() == ["10.0.0.1"]
    assert sds.get("/readyz").status == 200
    assert sds.get("/livez").status == 200, "an API server that is down is no reason to restart"
    # What changes while the API server fails is in the list that follows.
    api.put_slice("usersvc-a", ["10.0.0.4"])
    api.set_failing(False)
    sds.expect(["10.0.0.4"], "the change made during the outage")
    sds.expect_healthy()


def test_a_stalled_watch_fails_liveness_but_not_readiness(api, sds):
    open_watch(api)
    api.hold_lists(True)
    api.inject("cut")
    # The list after the cut hangs: no progress for longer than the stall bound (twice WATCH_SECONDS).
    stalled = wait_until(lambda: _json_if(sds.get("/livez"), 503), RECOVERY_TIMEOUT, what="/livez to fail")
    assert "made no progress" in stalled["errors"]["usersvc"]
    assert "made no progress" in sds.get("/healthz").json()["errors"]["usersvc"]
    assert sds.get("/readyz").status == 200
    assert sds.hosts() == ["10.0.0.1"]
    api.put_slice("usersvc-a", ["10.0.0.5"])
    api.hold_lists(False)
    sds.expect(["10.0.0.5"], "the list once released")
    wait_until(lambda: sds.get("/livez").status == 200, RECOVERY_TIMEOUT, what="/livez 200 again")
    sds.expect_healthy()


def _json_if(response, status):
    return response.json() if response.status == status else None


def _error(response):
    assert response.status == 503, response.body
    return response.json()["errors"]["usersvc"]
