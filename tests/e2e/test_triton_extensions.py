"""Triton's protocol extensions, driven with tritonclient over HTTP and gRPC:
classification (an output's top k as "score:index:label") and system shared
memory (tritonclient.utils.shared_memory: inputs read from and outputs written
into regions the client registers)."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from e2e_lib import InferdServer, copy_models, mem
from onnx import helper, numpy_helper
from tritonclient.utils import InferenceServerException

LABELS = ["cat", "dog", "fish"]
W = np.array([[1.0, -1.0, 0.5], [0.2, 0.3, -0.4], [-0.7, 0.9, 0.1], [0.0, 0.5, 1.5]], dtype=np.float32)


def _softmax_model() -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [None, 4])
    probs = helper.make_tensor_value_info("probs", onnx.TensorProto.FLOAT, [None, 3])
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["logits"]),
         helper.make_node("Softmax", ["logits"], ["probs"], axis=-1)],
        "animals", [x], [probs], initializer=[numpy_helper.from_array(W, "W")])  # fmt: skip
    return helper.make_model(graph, ir_version=mem.IR_VERSION,
                             opset_imports=[helper.make_opsetid("", mem.ONNX_OPSET)])  # fmt: skip


@pytest.fixture(scope="module")
def srv(example_repo, tmp_path_factory):
    repo = copy_models(example_repo, tmp_path_factory.mktemp("ext"), ["logreg", "mlp_fp16"])
    model_dir = repo / "animals"
    (model_dir / "1").mkdir(parents=True)
    (model_dir / "1" / "model.onnx").write_bytes(_softmax_model().SerializeToString())
    (model_dir / "labels.txt").write_text("\n".join(LABELS) + "\n")
    (model_dir / "config.pbtxt").write_text(
        'max_batch_size: 8\n'
        'input { name: "x" data_type: TYPE_FP32 dims: [4] }\n'
        'output { name: "probs" data_type: TYPE_FP32 dims: [3] label_filename: "labels.txt" }\n')
    server = InferdServer(repo, tmp_path_factory.mktemp("logs"), ["--allow-client-shm", "true"])
    server.start()
    yield server
    assert server.stop() == 0


def _expected(x: np.ndarray, k: int, labels=LABELS) -> list[list[str]]:
    logits = x @ W
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    rows = []
    for row in probs.astype(np.float32):
        order = sorted(range(len(row)), key=lambda i: (-row[i], i))[:k]
        rows.append([f"{row[i]:f}:{i}" + (f":{labels[i]}" if labels else "") for i in order])
    return rows


@pytest.mark.parametrize("module", [httpclient, grpcclient], ids=["http", "grpc"])
def test_classification_returns_the_top_classes(srv, module):
    client = (module.InferenceServerClient(srv.host_port) if module is httpclient
              else module.InferenceServerClient(srv.grpc_target))  # fmt: skip
    x = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)
    inp = module.InferInput("x", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    for k in (1, 2, 5):
        out = module.InferRequestedOutput("probs", class_count=k)
        result = client.infer("animals", [inp], outputs=[out])
        got = result.as_numpy("probs")
        assert got.shape == (5, min(k, 3))
        want = _expected(x, k)
        got_text = [[v.decode() for v in row] for row in got]
        # Scores agree to the last printed digit or one unit of it (float rounding).
        for got_row, want_row in zip(got_text, want):
            assert [e.split(":", 1)[1] for e in got_row] == [e.split(":", 1)[1] for e in want_row]
            for g, w in zip(got_row, want_row):
                assert abs(float(g.split(":")[0]) - float(w.split(":")[0])) <= 1.5e-6


def test_classification_uses_a_classifiers_own_labels(srv):
    client = httpclient.InferenceServerClient(srv.host_port)
    x = mem.sample_inputs("logreg", n=2, seed=1)["float_input"]
    inp = httpclient.InferInput("float_input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    result = client.infer("logreg", [inp], outputs=[
        httpclient.InferRequestedOutput("output_probability", class_count=1)])
    for entry in result.as_numpy("output_probability").reshape(-1):
        score, index, label = entry.decode().split(":")
        assert label == index and 0.5 <= float(score) <= 1.0


def test_classification_errors(srv):
    client = httpclient.InferenceServerClient(srv.host_port)
    x = np.ones((1, 4), dtype=np.float32)
    inp = httpclient.InferInput("x", [1, 4], "FP32")
    inp.set_data_from_numpy(x)
    with pytest.raises(InferenceServerException, match="unexpected inference output 'nope'"):
        client.infer("animals", [inp], outputs=[httpclient.InferRequestedOutput("nope", class_count=1)])
    xh = np.ones((1, 16), dtype=np.float16)
    inp16 = httpclient.InferInput("x", [1, 16], "FP16")
    inp16.set_data_from_numpy(xh)
    with pytest.raises(InferenceServerException, match="unsupported type 'FP16'"):
        client.infer("mlp_fp16", [inp16], outputs=[httpclient.InferRequestedOutput("y", class_count=1)])
    assert client.is_server_live()


def test_label_file_labels_the_metadata_and_predict(srv):
    import requests

    meta = requests.get(srv.url("/v2/models/animals"), timeout=10).json()
    assert meta["outputs"][0]["parameters"]["class_labels"] == LABELS
    x = np.array([[3.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    r = requests.post(srv.url("/predict"), json={"features": x[0].tolist()},
                      headers={"X-Model": "animals"}, timeout=10).json()  # fmt: skip
    assert r["prediction"] == "cat"


# ------------------------------------------------------------ shared memory
def _client(module, srv):
    return (module.InferenceServerClient(srv.host_port) if module is httpclient
            else module.InferenceServerClient(srv.grpc_target))  # fmt: skip


@pytest.mark.parametrize("module", [httpclient, grpcclient], ids=["http", "grpc"])
def test_system_shared_memory_inputs_and_outputs(srv, module):
    import tritonclient.utils.shared_memory as shm

    client = _client(module, srv)
    tag = module.__name__.split(".")[-1]
    x = np.random.default_rng(7).standard_normal((6, 4)).astype(np.float32)
    out_size = 6 * 3 * 4
    in_handle = shm.create_shared_memory_region(f"in_{tag}", f"/inferd_in_{tag}", 4096)
    out_handle = shm.create_shared_memory_region(f"out_{tag}", f"/inferd_out_{tag}", 4096)
    try:
        shm.set_shared_memory_region(in_handle, [x], offset=64)
        client.register_system_shared_memory(f"in_{tag}", f"/inferd_in_{tag}", 2048, offset=1024)
        client.register_system_shared_memory(f"out_{tag}", f"/inferd_out_{tag}", 4096)
        # Region "in" starts 1024 bytes into the object: write x where the request points.
        shm.set_shared_memory_region(in_handle, [x], offset=1024 + 128)
        status = client.get_system_shared_memory_status(as_json=True) if module is grpcclient \
            else client.get_system_shared_memory_status()
        names = set(status["regions"]) if module is grpcclient else {r["name"] for r in status}
        assert {f"in_{tag}", f"out_{tag}"} <= names

        inp = module.InferInput("x", list(x.shape), "FP32")
        inp.set_shared_memory(f"in_{tag}", x.nbytes, offset=128)
        out = module.InferRequestedOutput("probs")
        out.set_shared_memory(f"out_{tag}", out_size, offset=256)
        result = client.infer("animals", [inp], outputs=[out])
        got = shm.get_contents_as_numpy(out_handle, np.float32, [6, 3], offset=256)
        logits = x @ W
        want = np.exp(logits - logits.max(axis=1, keepdims=True))
        want /= want.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        meta = result.get_output("probs")
        if module is httpclient:
            assert meta["parameters"]["shared_memory_region"] == f"out_{tag}"
            assert meta["parameters"]["shared_memory_byte_size"] == out_size
            assert "data" not in meta  # the data is in the region

        with pytest.raises(InferenceServerException, match="already in manager"):
            client.register_system_shared_memory(f"in_{tag}", f"/inferd_in_{tag}", 64)
        small = module.InferRequestedOutput("probs")
        small.set_shared_memory(f"out_{tag}", 8)
        with pytest.raises(InferenceServerException, match="should be at least 72 bytes"):
            client.infer("animals", [inp], outputs=[small])
        far = module.InferInput("x", list(x.shape), "FP32")
        far.set_shared_memory(f"in_{tag}", x.nbytes, offset=4000)
        with pytest.raises(InferenceServerException, match="Invalid offset"):
            client.infer("animals", [far])
        client.unregister_system_shared_memory(f"in_{tag}")
        with pytest.raises(InferenceServerException, match="Unable to find shared memory region"):
            client.infer("animals", [inp])
        client.unregister_system_shared_memory()
        assert client.is_server_live()
    finally:
        shm.destroy_shared_memory_region(in_handle)
        shm.destroy_shared_memory_region(out_handle)


def test_shared_memory_is_off_by_default_and_cuda_is_refused(example_repo, inferd_factory, tmp_path, srv):
    import requests
    import tritonclient.utils.shared_memory as shm

    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    plain = inferd_factory(repo, [])
    handle = shm.create_shared_memory_region("r", "/inferd_off", 64)
    try:
        for client in (httpclient.InferenceServerClient(plain.host_port),
                       grpcclient.InferenceServerClient(plain.grpc_target)):  # fmt: skip
            with pytest.raises(InferenceServerException, match="--allow-client-shm=true"):
                client.register_system_shared_memory("r", "/inferd_off", 64)
    finally:
        shm.destroy_shared_memory_region(handle)
    assert requests.get(srv.url("/v2/cudasharedmemory/status"), timeout=10).json() == []
    r = requests.post(srv.url("/v2/cudasharedmemory/region/g/register"), timeout=10,
                      json={"raw_handle": {"b64": ""}, "device_id": 0, "byte_size": 8})  # fmt: skip
    assert r.status_code == 400 and "GPUs not supported" in r.json()["error"]
    grpc_client = grpcclient.InferenceServerClient(srv.grpc_target)
    with pytest.raises(InferenceServerException, match="GPUs not supported"):
        grpc_client.register_cuda_shared_memory("g", b"", 0, 8)
