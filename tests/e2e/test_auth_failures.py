"""Failed authentications per client address (--auth-failure-limit): within the
budget each is a 401 and an audit line; past it a 429 with Retry-After over HTTP and
RESOURCE_EXHAUSTED over gRPC, without an audit line each; a valid key from the same
address is never slowed."""
from __future__ import annotations

import json
import subprocess

import grpc
import requests
from e2e_lib import INFERD_BIN, copy_models, wait_until
from tritonclient.grpc import service_pb2, service_pb2_grpc

MODEL = "logreg"
BAD_KEY = "ik_k_aaaaaaaaaaaa_" + "b" * 52


def test_failures_past_the_budget_are_429_and_not_audited(tmp_path, example_repo,
                                                          inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", [MODEL])
    db = tmp_path / "keys.db"
    key = subprocess.run([str(INFERD_BIN), "keys", "create", "--db", str(db), "--name", "app",
                          "--roles", "read"], capture_output=True, text=True,
                         check=True).stdout.strip()
    audit = tmp_path / "audit.log"
    # 0.05 per second: the budget (ten seconds' worth, at least one) is one failure,
    # and none comes back while the test runs.
    srv = inferd_factory(repo, ["--api-keys", "--keys-db", str(db), "--audit-log", str(audit),
                                "--auth-failure-limit", "0.05"])
    url = srv.url(f"/v2/models/{MODEL}")
    statuses = []
    for _ in range(5):
        r = requests.get(url, headers={"X-API-Key": BAD_KEY}, timeout=10)
        statuses.append(r.status_code)
    assert statuses == [401, 429, 429, 429, 429], statuses
    throttled = requests.get(url, timeout=10)  # no credentials: a failure too
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert "too many failed authentications" in throttled.json()["error"]

    # The same address with a good key is served.
    assert requests.get(url, headers={"X-API-Key": key}, timeout=10).status_code == 200

    with grpc.insecure_channel(srv.grpc_target) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        try:
            stub.ModelMetadata(service_pb2.ModelMetadataRequest(name=MODEL),
                               metadata=(("x-api-key", BAD_KEY),), timeout=10)
            raise AssertionError("a bad key was accepted")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e
        ok = stub.ModelMetadata(service_pb2.ModelMetadataRequest(name=MODEL),
                                metadata=(("x-api-key", key),), timeout=10)
        assert ok.name == MODEL

    wait_until(lambda: audit.exists() and audit.read_text().strip(), 10, what="audit lines")
    failures = [e for e in map(json.loads, audit.read_text().splitlines())
                if e["action"] == "authenticate"]
    assert len(failures) == 1, failures  # only the one within the budget
