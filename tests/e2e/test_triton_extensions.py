"""Triton's protocol extensions, driven with tritonclient over HTTP and gRPC:
classification (an output's top k as "score:index:label")."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from onnx import helper, numpy_helper
from tritonclient.utils import InferenceServerException

from e2e_lib import InferdServer, copy_models, mem

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
    server = InferdServer(repo, tmp_path_factory.mktemp("logs"))
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
