"""A request's id and limits, end to end: the id a KServe body names becomes the
request id (answer, access log, log lines), the core's threads log with it, and a
refused caller is answered before its body is read or decoded."""

from __future__ import annotations

import gzip
import json
import socket
import subprocess

import grpc
import pytest
import requests
from e2e_lib import INFERD_BIN, copy_models, mem, wait_until
from tritonclient.grpc import service_pb2, service_pb2_grpc

MODEL = "logreg"
LOADED_LATER = "gbr"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory, example_repo):
    """API keys on, an access log, explicit model control (LOADED_LATER not loaded)."""
    from e2e_lib import InferdServer

    tmp = tmp_path_factory.mktemp("scope")
    repo = copy_models(example_repo, tmp / "repo", [MODEL, LOADED_LATER])
    db = tmp / "keys.db"
    out = subprocess.run([str(INFERD_BIN), "keys", "create", "--db", str(db), "--name", "ops",
                          "--roles", "admin,read,infer"], capture_output=True, text=True,
                         check=True)
    srv = InferdServer(repo, tmp / "logs", [
        "--api-keys", "--keys-db", str(db), "--access-log", str(tmp / "access.log"),
        "--rate-limit", "50", "--rate-burst", "1000",
        "--model-control-mode", "explicit", "--load-model", MODEL,
    ], name="scope")
    srv.start()
    srv.key = out.stdout.strip()
    srv.access_log = tmp / "access.log"
    yield srv
    assert srv.stop() == 0, srv.describe()


def access_entry(srv, request_id: str) -> dict:
    def find():
        for line in srv.access_log.read_text().splitlines():
            entry = json.loads(line)
            if entry["request_id"] == request_id:
                return entry
        return None
    wait_until(lambda: find() is not None, 10, what=f"access line of {request_id}")
    return find()


def infer_body(request_id: str | None = None) -> dict:
    x = mem.sample_inputs(MODEL, n=1)["float_input"]
    body = {"inputs": [{"name": "float_input", "datatype": "FP32", "shape": list(x.shape),
                        "data": x.flatten().tolist()}]}
    if request_id is not None:
        body["id"] = request_id
    return body


def test_a_kserve_body_id_is_the_request_id_unless_a_header_named_one(keyed):
    auth = {"X-API-Key": keyed.key}
    r = requests.post(keyed.url(f"/v2/models/{MODEL}/infer"), json=infer_body("body-id-1"),
                      headers=auth, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["X-Request-ID"] == "body-id-1" and r.json()["id"] == "body-id-1"
    entry = access_entry(keyed, "body-id-1")
    assert entry["status"] == 200 and entry["queue_ms"] >= 0 and entry["compute_ms"] > 0

    r = requests.post(keyed.url(f"/v2/models/{MODEL}/infer"), json=infer_body("body-id-2"),
                      headers={**auth, "X-Request-ID": "header-id-2"}, timeout=10)
    assert r.headers["X-Request-ID"] == "header-id-2" and r.json()["id"] == "body-id-2"
    assert access_entry(keyed, "header-id-2")["status"] == 200

    # An id unfit for a log line (spaces) stays the body's own; the request keeps a made one.
    r = requests.post(keyed.url(f"/v2/models/{MODEL}/infer"), json=infer_body("has a space"),
                      headers=auth, timeout=10)
    assert r.json()["id"] == "has a space" and len(r.headers["X-Request-ID"]) == 36


def test_grpc_names_the_request_by_its_id_and_logs_its_queue_and_compute_time(keyed):
    x = mem.sample_inputs(MODEL, n=1)["float_input"]
    request = service_pb2.ModelInferRequest(model_name=MODEL, id="grpc-body-3")
    tensor = request.inputs.add(name="float_input", datatype="FP32", shape=list(x.shape))
    tensor.contents.fp32_contents.extend(x.flatten().tolist())
    with grpc.insecure_channel(keyed.grpc_target) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        response, call = stub.ModelInfer.with_call(request, metadata=(("x-api-key", keyed.key),))
    assert response.id == "grpc-body-3"
    assert dict(call.trailing_metadata())["x-request-id"] == "grpc-body-3"
    entry = access_entry(keyed, "grpc-body-3")
    assert entry["protocol"] == "kserve-grpc" and entry["grpc_status"] == 0
    assert entry["queue_ms"] >= 0 and entry["compute_ms"] > 0


def test_lines_logged_on_the_cores_threads_carry_the_request_id(keyed):
    r = requests.post(keyed.url(f"/v2/repository/models/{LOADED_LATER}/load"),
                      headers={"X-API-Key": keyed.key, "X-Request-ID": "load-req-9"}, timeout=60)
    assert r.status_code == 200, r.text
    # "model loaded" is logged where the load runs, not on the HTTP thread.
    wait_until(lambda: any("model loaded" in line and LOADED_LATER in line
                           for line in keyed.stderr().splitlines()), 10, what="load line")
    loaded = [line for line in keyed.stderr().splitlines()
              if "model loaded" in line and LOADED_LATER in line]
    assert all(json.loads(line).get("request_id") == "load-req-9" for line in loaded), loaded


def raw_exchange(srv, head: str, body: bytes = b"") -> tuple[int, str, socket.socket]:
    """Sends a request by hand; returns the status, the answer's head and the socket."""
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.sendall(head.encode() + body)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head_text = data.split(b"\r\n\r\n", 1)[0].decode()
    return int(head_text.split(" ", 2)[1]), head_text, sock


def test_a_refused_caller_is_answered_before_its_body_is_read(keyed):
    # 50 MB announced, not one byte of it sent: the 401 comes anyway, and the
    # connection ends (the body was never read).
    head = (f"POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: t\r\n"
            "Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n")
    status, text, sock = raw_exchange(keyed, head)
    sock.close()
    assert status == 401 and "connection: close" in text.lower(), text

    # A body past the server's limit is refused for the credential, not its size.
    status, text, sock = raw_exchange(keyed, head.replace(
        "Host: t", "Host: t\r\nAuthorization: Bearer ik_k_aaaaaaaaaaaa_" + "b" * 52))
    sock.close()
    assert status == 401, text


def test_a_refused_body_is_never_decoded(keyed):
    corrupt = b"\x1f\x8b\x08\x00garbage-not-deflate"
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    url = keyed.url(f"/v2/models/{MODEL}/infer")
    with requests.Session() as session:
        refused = session.post(url, data=corrupt, headers=headers, timeout=10)
        assert refused.status_code == 401, refused.text  # not 400: the gzip was not read
        # A small body is read and dropped: the connection stays usable.
        assert refused.headers.get("Connection", "").lower() != "close"
        admitted = session.post(url, data=corrupt, headers={**headers, "X-API-Key": keyed.key},
                                timeout=10)
        assert admitted.status_code == 400, admitted.text  # admitted: now it is decoded
        ok = session.post(url, data=gzip.compress(json.dumps(infer_body()).encode()),
                          headers={**headers, "X-API-Key": keyed.key}, timeout=10)
        assert ok.status_code == 200, ok.text


def test_over_the_rate_limit_a_large_upload_is_refused_unread(tmp_path, example_repo,
                                                              inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", [MODEL])
    srv = inferd_factory(repo, ["--rate-limit", "0.1", "--rate-burst", "1"])
    small = (f"POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: t\r\n"
             "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n")
    status, _, sock = raw_exchange(srv, small, b"{}")  # takes the one token
    sock.close()
    assert status == 400
    large = small.replace("Content-Length: 2", "Content-Length: 40000000")
    status, text, sock = raw_exchange(srv, large)  # nothing of the body sent
    sock.close()
    assert status == 429, text
    assert "retry-after" in text.lower() and "connection: close" in text.lower()


def test_an_answer_decided_after_admission_gives_the_permit_back(tmp_path, example_repo,
                                                                 inferd_factory):
    """A body that cannot be decoded is answered by the connection, yet the request
    still ends in the pipeline: its concurrency permit comes back, and the answer
    carries its id and is in the access log."""
    repo = copy_models(example_repo, tmp_path / "repo", [MODEL])
    log = tmp_path / "access.log"
    srv = inferd_factory(repo, ["--concurrency-limit", "1", "--access-log", str(log)])
    url = srv.url(f"/v2/models/{MODEL}/infer")
    with requests.Session() as session:
        for i in range(3):
            bad = session.post(url, data=b"\x1f\x8bnot-gzip", timeout=10,
                               headers={"Content-Encoding": "gzip", "X-Request-ID": f"bad-{i}"})
            assert bad.status_code == 400, bad.text
            assert bad.headers["X-Request-ID"] == f"bad-{i}"
            ok = session.post(url, json=infer_body(), timeout=10)
            assert ok.status_code == 200, ok.text  # not 429: the permit came back
    wait_until(lambda: '"bad-2"' in log.read_text(), 10, what="the 400 in the access log")
