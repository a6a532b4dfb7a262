"""The core's scheduler through the real binary: dynamic batching with exact
splits, queue timeouts (504 / DEADLINE_EXCEEDED), full queues (503 with
Retry-After / UNAVAILABLE), clients that go away while queued, warm-up at load,
and bad scheduling parameters. A `slow_loop` model, whose run time the request
chooses, holds the single instance busy so that queue states are reached
deterministically (each step waits for the server's own metrics, never a sleep)."""
from __future__ import annotations

import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import requests
import tritonclient.grpc as grpcclient
from e2e_lib import (
    copy_models,
    infer_url,
    metric_value,
    scrape_metrics,
    wait_until,
)
from tritonclient.utils import InferenceServerException

LONG_ITERS = 400_000  # ~1-2 s on one core: long enough to queue behind


def write_config(repo, model, text):
    (repo / model / "config.pbtxt").write_text(text)


def slow_body(iters, rows=1, timeout_us=None):
    body = {
        "inputs": [
            {"name": "x", "datatype": "FP32", "shape": [rows, 64], "data": [0.5] * (64 * rows)},
            {"name": "iters", "datatype": "INT64", "shape": [rows, 1], "data": [iters] * rows},
        ]
    }
    if timeout_us is not None:
        body["parameters"] = {"timeout": timeout_us}
    return body


def metric(base_url, name, **labels):
    """The value of one series of /metrics (0 when absent)."""
    found = metric_value(scrape_metrics(base_url + "/metrics"), name, **labels)
    return 0.0 if found is None else found


def stats(base_url, model):
    resp = requests.get(f"{base_url}/v2/models/{model}/stats", timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["model_stats"][0]


@pytest.fixture
def slow_server(tmp_path, example_repo, inferd_factory):
    """slow_loop with one instance, no batching, a queue of one."""
    repo = copy_models(example_repo, tmp_path / "repo", ["slow_loop"])
    write_config(repo, "slow_loop", """
        max_batch_size: 8
        instance_group [ { count: 1 } ]
        dynamic_batching { default_queue_policy { max_queue_size: 1 } }
    """)
    return inferd_factory(repo)


def start_long(base_url, results, key):
    def run():
        results[key] = requests.post(infer_url(base_url, "slow_loop"), json=slow_body(LONG_ITERS),
                                     timeout=120)
    t = threading.Thread(target=run)
    t.start()
    return t


def wait_running(base_url, queued):
    """Until one request runs and `queued` wait behind it."""
    wait_until(lambda: metric(base_url, "inferd_inflight_requests", model="slow_loop") == 1 + queued
               and metric(base_url, "inferd_queue_depth", model="slow_loop") == queued,
               timeout_s=60, what=f"one running, {queued} queued")


def test_queue_timeout_is_504_over_http_and_deadline_exceeded_over_grpc(slow_server):
    base = slow_server.base_url
    results = {}
    long_thread = start_long(base, results, "long")
    wait_running(base, 0)
    # Waits in the queue behind the long run; its 1 ms passes there.
    resp = requests.post(infer_url(base, "slow_loop"), json=slow_body(1, timeout_us=1000), timeout=120)
    assert resp.status_code == 504, resp.text
    assert "timeout" in resp.json()["error"]
    # The same as a header.
    resp = requests.post(infer_url(base, "slow_loop"), json=slow_body(1), timeout=120,
                         headers={"Timeout": "1000"})
    assert resp.status_code == 504, resp.text

    client = grpcclient.InferenceServerClient(slow_server.grpc_target)
    x = grpcclient.InferInput("x", [1, 64], "FP32")
    x.set_data_from_numpy(np.full((1, 64), 0.5, np.float32))
    it = grpcclient.InferInput("iters", [1, 1], "INT64")
    it.set_data_from_numpy(np.array([[1]], np.int64))
    long_thread.join()
    assert results["long"].status_code == 200
    long_thread = start_long(base, results, "long2")
    wait_running(base, 0)
    with pytest.raises(InferenceServerException) as err:
        client.infer("slow_loop", [x, it], timeout=1000)
    assert "DEADLINE_EXCEEDED" in str(err.value.status())
    long_thread.join()
    assert results["long2"].status_code == 200
    # Timed-out requests never ran: one execution for the long request only.
    s = stats(base, "slow_loop")
    assert s["execution_count"] == 2 and s["inference_stats"]["fail"]["count"] == 3
    assert metric(base, "inferd_requests_total", model="slow_loop", protocol="kserve_http",
                  status="DEADLINE_EXCEEDED") == 2
    # And the model serves again at once.
    assert client.infer("slow_loop", [x, it]).as_numpy("y").shape == (1, 64)


def test_full_queue_is_503_with_retry_after_and_unavailable_over_grpc(slow_server):
    base = slow_server.base_url
    results = {}
    threads = [start_long(base, results, "running")]
    wait_running(base, 0)
    threads.append(start_long(base, results, "queued"))
    wait_running(base, 1)
    resp = requests.post(infer_url(base, "slow_loop"), json=slow_body(1), timeout=60)
    assert resp.status_code == 503, resp.text
    assert resp.headers.get("Retry-After") == "1"
    assert "queue is full" in resp.json()["error"]
    client = grpcclient.InferenceServerClient(slow_server.grpc_target)
    x = grpcclient.InferInput("x", [1, 64], "FP32")
    x.set_data_from_numpy(np.full((1, 64), 0.5, np.float32))
    it = grpcclient.InferInput("iters", [1, 1], "INT64")
    it.set_data_from_numpy(np.array([[1]], np.int64))
    with pytest.raises(InferenceServerException) as err:
        client.infer("slow_loop", [x, it])
    assert "UNAVAILABLE" in str(err.value.status())
    for t in threads:
        t.join()
    assert results["running"].status_code == 200 and results["queued"].status_code == 200


def test_client_that_goes_away_is_dropped_from_the_queue(slow_server):
    base = slow_server.base_url
    results = {}
    long_thread = start_long(base, results, "long")
    wait_running(base, 0)
    body = json.dumps(slow_body(LONG_ITERS)).encode()
    sock = socket.create_connection((slow_server.host_port.split(":")[0],
                                     int(slow_server.host_port.split(":")[1])))
    sock.sendall(b"POST /v2/models/slow_loop/infer HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\nContent-Length: " +
                 str(len(body)).encode() + b"\r\n\r\n" + body)
    wait_running(base, 1)
    sock.close()
    long_thread.join()
    assert results["long"].status_code == 200
    wait_until(lambda: metric(base, "inferd_requests_total", model="slow_loop",
                              status="CANCELLED") == 1, timeout_s=30, what="the cancel counted")
    assert stats(base, "slow_loop")["execution_count"] == 1  # the dropped one never ran


def test_dynamic_batching_merges_requests_and_splits_exactly(tmp_path, example_repo,
                                                             inferd_factory, ort_ref):
    repo = copy_models(example_repo, tmp_path / "repo", ["mlp_fp32"])
    # A long delay and a preferred size: concurrent requests wait for each other.
    write_config(repo, "mlp_fp32", """
        max_batch_size: 64
        instance_group [ { count: 1 } ]
        dynamic_batching { preferred_batch_size: [ 12 ] max_queue_delay_microseconds: 2000000 }
    """)
    srv = inferd_factory(repo)
    rng = np.random.default_rng(7)
    sizes = [1, 2, 3, 1, 2, 3]  # 12 rows in all
    xs = [rng.standard_normal((n, 16)).astype(np.float32) for n in sizes]

    def send(x):
        body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": list(x.shape),
                            "data": x.ravel().tolist()}]}
        return requests.post(infer_url(srv.base_url, "mlp_fp32"), json=body, timeout=60)

    with ThreadPoolExecutor(len(xs)) as pool:
        answers = list(pool.map(send, xs))
    ref = ort_ref("mlp_fp32")
    for x, resp in zip(xs, answers):
        assert resp.status_code == 200, resp.text
        y = np.array(resp.json()["outputs"][0]["data"], np.float32).reshape(x.shape[0], 4)
        np.testing.assert_allclose(y, ref.run({"x": x})["y"], rtol=1e-5, atol=1e-6)
    s = stats(srv.base_url, "mlp_fp32")
    assert s["inference_count"] == 12
    assert s["execution_count"] < len(xs), s  # requests shared executions
    assert any(b["batch_size"] > 3 for b in s["batch_stats"]), s


def test_warmup_from_config_and_a_failing_warmup_isolated(tmp_path, example_repo, inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", ["mlp_fp32", "gbr"])
    write_config(repo, "mlp_fp32", """
        model_warmup [ { name: "rand" batch_size: 4
          inputs { key: "x" value { data_type: TYPE_FP32 dims: [ 16 ] random_data: true } } } ]
    """)
    write_config(repo, "gbr", """
        model_warmup [ { name: "wrong" batch_size: 1
          inputs { key: "nope" value { data_type: TYPE_FP32 dims: [ 10 ] zero_data: true } } } ]
    """)
    srv = inferd_factory(repo, ["--strict-readiness", "false"])
    index = requests.post(srv.url("/v2/repository/index"), timeout=10).json()
    by_name = {e["name"]: e for e in index}
    assert by_name["mlp_fp32"]["state"] == "READY"
    assert by_name["gbr"]["state"] == "UNAVAILABLE"
    assert "warm-up sample 'wrong'" in by_name["gbr"]["reason"]
    assert "has no warm-up data" in by_name["gbr"]["reason"]


@pytest.mark.parametrize("parameters,header", [
    ({"timeout": "soon"}, None),
    ({"timeout": -5}, None),
    ({"priority": 1.5}, None),
    (None, "12ms"),
])
def test_bad_scheduling_parameters_are_400(base_url, parameters, header):
    body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 16], "data": [0.0] * 16}]}
    if parameters is not None:
        body["parameters"] = parameters
    headers = {"Timeout": header} if header else {}
    resp = requests.post(infer_url(base_url, "mlp_fp32"), json=body, headers=headers, timeout=10)
    assert resp.status_code == 400, resp.text
    assert "error" in resp.json()


def test_sigterm_with_an_abandoned_request_in_flight_exits(slow_server):
    """A request whose client left while it ran is still answered (into the
    closed socket) after SIGTERM, so the drain ends and the process exits 0,
    well before --shutdown-timeout."""
    import signal
    import time

    base = slow_server.base_url
    body = json.dumps(slow_body(LONG_ITERS)).encode()
    host, port = slow_server.host_port.split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(b"POST /v2/models/slow_loop/infer HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\nContent-Length: " +
                 str(len(body)).encode() + b"\r\n\r\n" + body)
    wait_running(base, 0)
    sock.close()
    t0 = time.monotonic()
    slow_server.send_signal(signal.SIGTERM)
    assert slow_server.proc.wait(timeout=20) == 0
    assert time.monotonic() - t0 < 20
