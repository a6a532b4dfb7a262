"""Prometheus /metrics and Triton's statistics extension, through the real
clients: requests over KServe HTTP and gRPC and TF Serving REST show up once,
under their protocol, in both; tritonclient's get_inference_statistics reads
the same numbers over HTTP and gRPC."""
from __future__ import annotations

import requests
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from e2e_lib import copy_models, free_port, infer_url, mem, metric_value, scrape_metrics


def scrape(url):
    """The page's metric types (by Prometheus' parser) and its samples."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(url, timeout=10).text
    types = {family.name: family.type for family in text_string_to_metric_families(text)}
    return types, scrape_metrics(url)


value = metric_value


def test_requests_counted_by_protocol_and_statistics_match(tmp_path, example_repo, inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", ["mlp_fp32", "logreg"])
    metrics_port = free_port()
    srv = inferd_factory(repo, ["--metrics-port", str(metrics_port)])
    x = mem.sample_inputs("mlp_fp32")["x"][:3]

    http = httpclient.InferenceServerClient(srv.host_port)
    inp = httpclient.InferInput("x", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    for _ in range(3):
        http.infer("mlp_fp32", [inp])
    grpc = grpcclient.InferenceServerClient(srv.grpc_target)
    ginp = grpcclient.InferInput("x", list(x.shape), "FP32")
    ginp.set_data_from_numpy(x)
    for _ in range(2):
        grpc.infer("mlp_fp32", [ginp])
    tf = requests.post(srv.url("/v1/models/mlp_fp32:predict"), json={"instances": x.tolist()},
                       timeout=10)
    assert tf.status_code == 200, tf.text
    bad = requests.post(infer_url(srv.base_url, "mlp_fp32"),
                        json={"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3],
                                          "data": [1, 2, 3]}]}, timeout=10)
    assert bad.status_code == 400
    assert requests.post(infer_url(srv.base_url, "nope"), json={"inputs": []},
                         timeout=10).status_code == 404

    types, series = scrape(srv.url("/metrics"))
    counts = {p: value(series, "inferd_requests_total", model="mlp_fp32", version=1, protocol=p,
                       status="success") for p in ("kserve_http", "kserve_grpc", "tfserving_http")}
    assert counts == {"kserve_http": 3, "kserve_grpc": 2, "tfserving_http": 1}
    assert value(series, "inferd_requests_total", model="mlp_fp32", protocol="kserve_http",
                 status="INVALID_ARGUMENT") == 1
    assert value(series, "inferd_unresolved_requests_total", protocol="kserve_http",
                 status="NOT_FOUND") == 1
    assert value(series, "inferd_request_duration_seconds_count", model="mlp_fp32") == 7
    assert value(series, "inferd_queue_duration_seconds_count", model="mlp_fp32") == 6
    assert value(series, "inferd_batch_size_sum", model="mlp_fp32") == 18  # 6 runs x 3 rows
    assert value(series, "inferd_model_state", model="logreg", state="READY") == 1
    assert value(series, "inferd_model_state", model="logreg", state="UNAVAILABLE") == 0
    assert value(series, "inferd_inflight_requests", model="mlp_fp32") == 0
    assert value(series, "inferd_queue_depth", model="mlp_fp32") == 0
    assert value(series, "process_resident_memory_bytes") > 1e6
    assert value(series, "process_open_fds") > 3
    assert value(series, "process_cpu_seconds_total") > 0
    assert types["inferd_request_duration_seconds"] == "histogram"
    # The metrics port serves the same registry.
    _, on_port = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
    assert value(on_port, "inferd_requests_total", model="mlp_fp32", protocol="kserve_grpc",
                 status="success") == 2

    http_stats = http.get_inference_statistics("mlp_fp32")["model_stats"]
    grpc_stats = grpc.get_inference_statistics("mlp_fp32", as_json=True)["model_stats"]
    assert len(http_stats) == 1 and len(grpc_stats) == 1
    h, g = http_stats[0], grpc_stats[0]
    assert h["name"] == "mlp_fp32" and h["version"] == "1"
    assert h["inference_count"] == 18 and h["execution_count"] == 6
    assert h["inference_stats"]["success"]["count"] == 6
    assert h["inference_stats"]["fail"]["count"] == 1
    assert h["inference_stats"]["compute_infer"]["ns"] > 0
    assert h["last_inference"] > 1.6e12  # milliseconds since the epoch
    assert [b["batch_size"] for b in h["batch_stats"]] == [3]
    # gRPC's JSON renders uint64 as strings; the numbers are the same.
    assert int(g["inference_count"]) == 18 and int(g["execution_count"]) == 6
    assert int(g["inference_stats"]["success"]["count"]) == 6

    everything = requests.get(srv.url("/v2/models/stats"), timeout=10).json()["model_stats"]
    assert sorted(m["name"] for m in everything) == ["logreg", "mlp_fp32"]
    one = requests.get(srv.url("/v2/models/mlp_fp32/versions/1/stats"), timeout=10).json()
    assert one["model_stats"][0]["execution_count"] == 6
    missing = requests.get(srv.url("/v2/models/nope/stats"), timeout=10)
    assert missing.status_code == 404 and "error" in missing.json()
    assert requests.get(srv.url("/v2/models/mlp_fp32/versions/9/stats"),
                        timeout=10).status_code == 404
    meta = requests.get(srv.url("/v2"), timeout=10).json()
    assert "statistics" in meta["extensions"]
