"""Model lifecycle through the real binary: poll mode adds, swaps and removes
versions under constant HTTP and gRPC load without a failed request;
half-copied and corrupt files never take a serving version down; explicit
mode loads and unloads over HTTP and gRPC (tritonclient); labels resolve in
every protocol; memory comes back after swaps."""

import json
import os
import shutil
import time

import pytest
import requests
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from e2e_lib import UNDER_SANITIZER, copy_models, metric_value, scrape_metrics, wait_until
from lifecycle_lib import (
    LOGREG_INPUT,
    ConstantLoad,
    copy_version,
    count_log,
    index,
    index_state,
    rss_kb,
    touch_model,
    wait_state,
)
from tritonclient.utils import InferenceServerException

POLL = ["--model-control-mode=poll", "--repository-poll-secs=0.2"]


@pytest.fixture
def poll_repo(tmp_path, example_repo):
    return copy_models(example_repo, tmp_path / "repo", ["logreg", "mlp_fp32"])


def infer_http(server, model="logreg", version=""):
    v = f"/versions/{version}" if version else ""
    return requests.post(f"{server.base_url}/v2/models/{model}{v}/infer",
                         data=json.dumps({"inputs": [LOGREG_INPUT]}), timeout=30)


def test_poll_mode_swaps_versions_under_load_without_failing_a_request(poll_repo,
                                                                       inferd_factory):
    server = inferd_factory(poll_repo, POLL)
    model_dir = poll_repo / "logreg"
    with ConstantLoad(server) as load:
        copy_version(model_dir, 1, 2)  # latest policy: 2 replaces 1
        load.wait_for_version("2")
        wait_until(lambda: index_state(server, "logreg", 1) is None, 30,
                   what="version 1 gone from the index")
        shutil.rmtree(model_dir / "2")  # 1 comes back
        load.wait_for_version("1")
        wait_until(lambda: index_state(server, "logreg", 2) is None, 30, what="version 2 gone")
        metrics = scrape_metrics(server.url("/metrics"))
        assert metric_value(metrics, "inferd_model_state", model="logreg", version=1,
                            state="READY") == 1
        # No stale series for the removed version.
        assert metric_value(metrics, "inferd_model_state", model="logreg", version=2) is None
        # Reload the serving version 20 times (new file times, same bytes).
        for i in range(20):
            before = count_log(server, "model loaded", model="logreg", version=1)
            touch_model(model_dir, 1, bump_s=i + 1)
            wait_until(lambda: count_log(server, "model loaded", model="logreg",
                                         version=1) > before, 60, what=f"reload {i + 1}")
        load.wait_for_version("1")
    assert load.count() > 100
    assert load.failures() == [], load.failures()[:5]
    assert {p for p, _, _ in load.answers} == {"http", "grpc"}
    r = requests.get(server.url("/v2/models/mlp_fp32/ready"), timeout=10)
    assert r.status_code == 200  # the other model was never disturbed


def test_half_copied_files_are_not_loaded_and_the_old_version_keeps_serving(poll_repo,
                                                                            inferd_factory):
    server = inferd_factory(poll_repo, POLL)
    model_dir = poll_repo / "logreg"
    blob = (model_dir / "1" / "model.onnx").read_bytes()
    with ConstantLoad(server) as load:
        # A copy under a temporary name is not a version yet.
        (model_dir / "2").mkdir()
        (model_dir / "2" / "model.onnx.part").write_bytes(blob[: len(blob) // 2])
        time.sleep(1.0)
        assert index_state(server, "logreg", 2) is None
        # A copy that stalls half-way in the real name: it may be tried and
        # fail, but version 1 keeps every request.
        (model_dir / "2" / "model.onnx.part").unlink()
        with open(model_dir / "2" / "model.onnx", "wb") as f:
            f.write(blob[: len(blob) // 2])
        wait_state(server, "logreg", 2, "UNAVAILABLE")
        assert index_state(server, "logreg", 1)["state"] == "READY"
        load.wait_for_version("1")
        # The copy finishes: version 2 loads and takes over.
        with open(model_dir / "2" / "model.onnx", "ab") as f:
            f.write(blob[len(blob) // 2:])
        load.wait_for_version("2")
    assert load.failures() == [], load.failures()[:5]
    assert requests.get(server.url("/v2/health/ready"), timeout=10).status_code == 200


def test_corrupt_version_is_isolated_and_recovers_when_fixed(poll_repo, inferd_factory):
    repo = poll_repo
    cfg = 'version_policy { all {} }\n'
    (repo / "logreg" / "config.pbtxt").write_text(cfg)
    server = inferd_factory(repo, POLL)
    (repo / "logreg" / ".3").mkdir()
    (repo / "logreg" / ".3" / "model.onnx").write_bytes(b"this is not an onnx model")
    os.rename(repo / "logreg" / ".3", repo / "logreg" / "3")
    entry = wait_state(server, "logreg", 3, "UNAVAILABLE")
    assert entry["reason"], entry
    assert index_state(server, "logreg", 1)["state"] == "READY"
    assert infer_http(server, "logreg", "1").json()["model_version"] == "1"
    r = infer_http(server, "logreg", "3")
    assert r.status_code == 503 and "is not at ready state" in r.json()["error"]
    # KServe metadata of the model still answers; ready stays true for Kubernetes.
    assert requests.get(server.url("/v2/models/logreg"), timeout=10).status_code == 200
    assert requests.get(server.url("/v2/health/ready"), timeout=10).status_code == 200
    # Fixed files recover the version.
    shutil.copy(repo / "logreg" / "1" / "model.onnx", repo / "logreg" / "3" / "model.onnx")
    wait_state(server, "logreg", 3, "READY")
    assert infer_http(server, "logreg", "3").json()["model_version"] == "3"


def test_model_directory_deleted_while_serving(poll_repo, inferd_factory):
    server = inferd_factory(poll_repo, POLL)
    with ConstantLoad(server, model="logreg") as load:
        shutil.rmtree(poll_repo / "mlp_fp32")
        wait_until(lambda: all(e["name"] != "mlp_fp32" for e in index(server)), 30,
                   what="mlp_fp32 gone")
        time.sleep(0.5)
    assert load.failures() == []
    r = requests.get(server.url("/v2/models/mlp_fp32"), timeout=10)
    assert r.status_code == 404
    assert requests.get(server.url("/v2/health/ready"), timeout=10).status_code == 200


def test_explicit_mode_loads_and_unloads_over_http_and_grpc(tmp_path, example_repo,
                                                            inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg", "mlp_fp32", "gbr"])
    server = inferd_factory(repo, ["--model-control-mode=explicit", "--load-model=logreg"])
    http = httpclient.InferenceServerClient(server.host_port)
    grpc = grpcclient.InferenceServerClient(server.grpc_target)
    names = {m["name"]: m for m in http.get_model_repository_index()}
    assert set(names) == {"logreg", "mlp_fp32", "gbr"}
    assert "state" not in names["gbr"]  # on disk, never loaded
    assert http.is_model_ready("logreg") and not http.is_model_ready("gbr")

    http.load_model("gbr")
    assert http.is_model_ready("gbr")
    grpc.load_model("mlp_fp32")
    assert grpc.is_model_ready("mlp_fp32")
    with ConstantLoad(server) as load:
        http.unload_model("gbr")
        grpc.unload_model("mlp_fp32")
        http.load_model("logreg")  # unchanged files: a no-op that succeeds
    assert load.failures() == []
    assert not http.is_model_ready("gbr") and not grpc.is_model_ready("mlp_fp32")
    states = {(m["name"], m.get("version")): m for m in grpc.get_model_repository_index(
        as_json=True)["models"]}
    assert states[("gbr", "1")]["state"] == "UNAVAILABLE"
    assert states[("gbr", "1")]["reason"] == "unloaded"
    # Unloaded models no longer count for readiness.
    assert requests.get(server.url("/v2/health/ready"), timeout=10).status_code == 200

    # A config override: serve every version, under a label.
    copy_version(repo / "logreg", 1, 2)
    config = json.dumps({"version_policy": {"all": {}}, "version_labels": {"stable": 1}})
    http.load_model("logreg", config=config)
    assert infer_http(server, "logreg", "stable").json()["model_version"] == "1"
    assert infer_http(server, "logreg").json()["model_version"] == "2"

    for client in (http, grpc):
        with pytest.raises(InferenceServerException, match="not in the model repository"):
            client.load_model("no_such_model")
    with pytest.raises(InferenceServerException, match="not supported"):
        http.load_model("logreg", config=config, files={"file:1/model.onnx": b"x"})
    r = requests.post(server.url("/v2/repository/models/logreg/load"),
                      data=json.dumps({"parameters": {"config": "{not json"}}), timeout=30)
    # Triton reports a bad override as a failed poll: 500, "Invalid config override".
    assert r.status_code == 500 and "Invalid config override" in r.json()["error"]
    assert infer_http(server, "logreg", "1").status_code == 200  # still serving
    r = requests.post(server.url("/v2/repository/models/logreg/load"), data="[", timeout=10)
    assert r.status_code == 400


def test_load_and_unload_are_refused_outside_explicit_mode(poll_repo, inferd_factory):
    server = inferd_factory(poll_repo, [])
    for action in ("load", "unload"):
        r = requests.post(server.url(f"/v2/repository/models/logreg/{action}"), timeout=10)
        assert r.status_code == 503 and "explicit" in r.json()["error"]
    grpc = grpcclient.InferenceServerClient(server.grpc_target)
    with pytest.raises(InferenceServerException, match="explicit"):
        grpc.unload_model("logreg")
    assert infer_http(server).status_code == 200


def test_admin_api_off_answers_403(poll_repo, inferd_factory):
    server = inferd_factory(poll_repo, ["--model-control-mode=explicit", "--load-model=*",
                                        "--admin-api=off"])
    r = requests.post(server.url("/v2/repository/models/logreg/unload"), timeout=10)
    assert r.status_code == 403 and "admin" in r.json()["error"]
    grpc = grpcclient.InferenceServerClient(server.grpc_target)
    with pytest.raises(InferenceServerException, match="admin") as e:
        grpc.unload_model("logreg")
    assert "PERMISSION_DENIED" in str(e.value.status())
    assert infer_http(server).status_code == 200
    # The read-only index stays open.
    assert requests.post(server.url("/v2/repository/index"), timeout=10).status_code == 200


def test_load_model_flag_needs_explicit_mode(poll_repo, inferd_factory):
    server = inferd_factory(poll_repo, ["--load-model=logreg"], wait_for=None)
    server.proc.wait(timeout=30)
    assert server.proc.returncode == 2
    assert "--model-control-mode=explicit" in server.stderr()
    server.stopped_rc = 0  # expected exit; the fixture must not fail on it


def test_labels_resolve_in_every_protocol(tmp_path, example_repo, inferd_factory):
    from tfserving_stubs import predict_pb2, prediction_service_pb2_grpc  # noqa: F401
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    copy_version(repo / "logreg", 1, 2)
    (repo / "logreg" / "config.pbtxt").write_text(
        'version_policy { all {} }\n'
        'version_labels { key: "stable" value: 1 }\n'
        'version_labels { key: "canary" value: 2 }\n')
    server = inferd_factory(repo, [])
    # KServe HTTP and tritonclient gRPC: the label as the version string.
    assert infer_http(server, "logreg", "stable").json()["model_version"] == "1"
    grpc = grpcclient.InferenceServerClient(server.grpc_target)
    inp = grpcclient.InferInput("float_input", [1, 30], "FP32")
    import numpy as np
    inp.set_data_from_numpy(np.full((1, 30), 0.5, dtype=np.float32))
    assert grpc.infer("logreg", [inp], model_version="canary").get_response().model_version == "2"
    # TF Serving REST: /labels/{label}.
    r = requests.post(server.url("/v1/models/logreg/labels/canary:predict"),
                      data=json.dumps({"instances": [[0.5] * 30]}), timeout=10)
    assert r.status_code == 200, r.text
    r = requests.get(server.url("/v1/models/logreg/labels/stable"), timeout=10)
    assert r.status_code == 200
    assert [v["version"] for v in r.json()["model_version_status"]] == ["1"]
    r = requests.get(server.url("/v1/models/logreg/labels/stable/metadata"), timeout=10)
    assert r.json()["model_spec"]["version"] == "1"
    # Unknown labels and numbers posing as labels.
    assert infer_http(server, "logreg", "nightly").status_code == 404
    r = requests.post(server.url("/v1/models/logreg/labels/7:predict"),
                      data=json.dumps({"instances": [[0.5] * 30]}), timeout=10)
    assert r.status_code == 404


@pytest.mark.skipif(UNDER_SANITIZER, reason="ASan's quarantine keeps freed memory on purpose; "
                    "the release build's run measures RSS")
def test_memory_returns_after_20_swaps_of_a_large_model(tmp_path, inferd_factory):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    repo = tmp_path / "repo"
    (repo / "big" / "1").mkdir(parents=True)
    weights = np.random.default_rng(0).standard_normal((2048, 4096)).astype(np.float32)  # 32 MB
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "big",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2048])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4096])],
        [numpy_helper.from_array(weights, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, repo / "big" / "1" / "model.onnx")
    server = inferd_factory(repo, POLL + ["--instances=1"])
    body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 2048],
                                   "data": [0.1] * 2048}]})
    url = server.url("/v2/models/big/infer")

    def swap(i):
        before = count_log(server, "model loaded", model="big")
        touch_model(repo / "big", 1, bump_s=i + 1)
        wait_until(lambda: count_log(server, "model loaded", model="big") > before, 60,
                   what=f"swap {i + 1}")
        assert requests.post(url, data=body, timeout=30).status_code == 200

    for i in range(3):  # settle the allocator before measuring
        swap(i)
    time.sleep(1.0)
    baseline = rss_kb(server.proc.pid)
    for i in range(3, 23):
        swap(i)
    time.sleep(1.0)
    after = rss_kb(server.proc.pid)
    print(f"RSS {baseline} kB -> {after} kB after 20 swaps")
    assert after <= baseline * 1.10, f"RSS {baseline} kB -> {after} kB after 20 swaps"


def test_unchanged_versions_are_not_reloaded_when_another_is_added(poll_repo, inferd_factory):
    # Map fields in the config (parameters, labels) must not make an unchanged
    # version look changed: protobuf writes maps in a random order.
    (poll_repo / "logreg" / "config.pbtxt").write_text(
        'version_policy { latest { num_versions: 2 } }\n'
        'parameters { key: "a" value { string_value: "1" } }\n'
        'parameters { key: "b" value { string_value: "2" } }\n'
        'parameters { key: "c" value { string_value: "3" } }\n'
        'version_labels { key: "x" value: 1 }\nversion_labels { key: "y" value: 1 }\n')
    copy_version(poll_repo / "logreg", 1, 2)
    server = inferd_factory(poll_repo, POLL)
    loads_of_2 = count_log(server, "model loaded", model="logreg", version=2)
    assert loads_of_2 == 1
    for new in (3, 4):
        copy_version(poll_repo / "logreg", 1, new)
        wait_state(server, "logreg", new, "READY")
    # Version 2 loaded once (then left when 4 came); 3 loaded once.
    assert count_log(server, "model loaded", model="logreg", version=2) == 1
    assert count_log(server, "model loaded", model="logreg", version=3) == 1


def test_a_slow_load_never_holds_a_serving_thread(tmp_path, example_repo, inferd_factory):
    import threading

    import numpy as np

    repo = copy_models(example_repo, tmp_path / "repo", ["slow_loop", "logreg"])
    (repo / "slow_loop" / "warmup").mkdir()
    np.array([3_000_000], dtype=np.int64).tofile(repo / "slow_loop" / "warmup" / "iters")
    (repo / "slow_loop" / "config.pbtxt").write_text('''
        max_batch_size: 8
        instance_group [ { count: 1 } ]
        model_warmup [ { name: "slow" batch_size: 1
          inputs { key: "x" value { data_type: TYPE_FP32 dims: [ 64 ] zero_data: true } }
          inputs { key: "iters" value { data_type: TYPE_INT64 dims: [ 1 ] input_data_file: "iters" } } } ]
    ''')
    # One HTTP thread: a load that ran on it would block every other request.
    server = inferd_factory(repo, ["--model-control-mode=explicit", "--load-model=logreg",
                                   "--http-threads=1"])
    result = {}
    loader = threading.Thread(target=lambda: result.update(r=requests.post(
        server.url("/v2/repository/models/slow_loop/load"), timeout=300)))
    loader.start()
    # The index answers (on the one HTTP thread) while the load is under way...
    wait_state(server, "slow_loop", 1, "LOADING")
    # ...and so do inference, health and another admin call queued behind it.
    assert infer_http(server).status_code == 200
    assert requests.get(server.url("/v2/health/live"), timeout=10).status_code == 200
    queued = {}
    labeller = threading.Thread(target=lambda: queued.update(r=requests.put(
        server.url("/v2/repository/models/logreg/labels/canary"), json={"version": 1},
        timeout=300)))
    labeller.start()
    assert (index_state(server, "slow_loop", 1) or {}).get("state") == "LOADING"
    loader.join()
    labeller.join()
    assert result["r"].status_code == 200, result["r"].text
    assert queued["r"].status_code == 200, queued["r"].text
    assert infer_http(server, "logreg", "canary").status_code == 200


def test_config_override_cannot_point_outside_the_version_directory(poll_repo, inferd_factory):
    server = inferd_factory(poll_repo, ["--model-control-mode=explicit", "--load-model=*"])
    for name in ("../../logreg/1/model.onnx", "/etc/passwd", ".."):
        config = json.dumps({"default_model_filename": name})
        r = requests.post(server.url("/v2/repository/models/logreg/load"),
                          json={"parameters": {"config": config}}, timeout=60)
        assert r.status_code == 400 and "not a path" in r.json()["error"], (name, r.text)
    assert infer_http(server).json()["model_version"] == "1"  # still serving
