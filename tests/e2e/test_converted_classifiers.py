"""Classifiers as today's converters write them, and models too new for the
engine.

- skl2onnx with options={"zipmap": False} (what it recommends for speed) and
  XGBoost/LightGBM classifiers converted with onnxmltools carry their class
  labels on the classifier node, not on a ZipMap: inferd reads them there,
  lists them in the metadata, and answers /predict, TorchServe and MLflow
  exactly as it does for the same model converted with ZipMap.
- A model stamped with an IR version or opset newer than the linked ONNX
  Runtime reads fails alone, with both versions and the fix in the log, the
  repository index and each protocol's status; the others serve.
"""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
import requests
from e2e_lib import mem, wait_until
from onnx import helper

RTOL, ATOL = 1e-5, 1e-6


def _save(model: onnx.ModelProto, repo, name: str) -> None:
    path = repo / name / "1" / "model.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())


def _logreg_pair(repo):
    """The same LogisticRegression (string classes) with and without ZipMap."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    X, y = mem.iris()
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = LogisticRegression(max_iter=2000).fit(X, names)
    types = [("float_input", FloatTensorType([None, 4]))]
    for name, options in (("iris_zipmap", None), ("iris_nozipmap", {id(clf): {"zipmap": False}})):
        model = convert_sklearn(clf, name=name, initial_types=types,
                                target_opset=mem.SKL_TARGET_OPSET, options=options)  # fmt: skip
        model.ir_version = mem.IR_VERSION
        _save(model, repo, name)


def _forest_int_labels(repo):
    """RandomForest with integer classes 3, 5, 9 and renamed outputs, no ZipMap."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.ensemble import RandomForestClassifier

    X, y = mem.iris()
    clf = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0)
    clf.fit(X, np.array([3, 5, 9])[y])
    model = convert_sklearn(clf, name="forest", initial_types=[("x", FloatTensorType([None, 4]))],
                            target_opset=mem.SKL_TARGET_OPSET,
                            options={id(clf): {"zipmap": False}},
                            final_types=None)  # fmt: skip
    # Give the outputs names of one's own, as users do.
    renames = {model.graph.output[0].name: "predicted", model.graph.output[1].name: "scores"}
    for node in model.graph.node:
        node.output[:] = [renames.get(o, o) for o in node.output]
    for out in model.graph.output:
        out.name = renames[out.name]
    model.ir_version = mem.IR_VERSION
    _save(model, repo, "forest_renamed")


# onnxmltools 1.16 converts up to opset 15 with this onnx.
def _xgboost(repo):
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType
    from xgboost import XGBClassifier

    X, y = mem.iris()
    clf = XGBClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X, y)
    model = onnxmltools.convert_xgboost(clf, initial_types=[("float_input", FloatTensorType([None, 4]))],
                                        target_opset=15)  # fmt: skip
    model.ir_version = mem.IR_VERSION
    _save(model, repo, "xgboost")


def _lightgbm(repo):
    import onnxmltools
    from lightgbm import LGBMClassifier
    from onnxmltools.convert.common.data_types import FloatTensorType

    X, y = mem.iris()
    clf = LGBMClassifier(n_estimators=10, max_depth=3, random_state=0, verbose=-1).fit(X, y)
    model = onnxmltools.convert_lightgbm(clf, initial_types=[("float_input", FloatTensorType([None, 4]))],
                                         target_opset=15, zipmap=False)  # fmt: skip
    model.ir_version = mem.IR_VERSION
    _save(model, repo, "lightgbm")


def _identity(ir_version: int, opset: int) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [None, 2])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [None, 2])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    return helper.make_model(graph, ir_version=ir_version,
                             opset_imports=[helper.make_opsetid("", opset)])  # fmt: skip


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("classifiers")
    _logreg_pair(repo)
    _forest_int_labels(repo)
    _xgboost(repo)
    _lightgbm(repo)
    # What `onnx` writes today by default: IR 14 (and its newest opset).
    _save(_identity(onnx.IR_VERSION, 17), repo, "too_new_ir")
    _save(_identity(8, onnx.defs.onnx_opset_version()), repo, "too_new_opset")
    _save(_identity(8, 17), repo, "fine")
    return repo


@pytest.fixture(scope="module")
def srv(repo, tmp_path_factory):
    from e2e_lib import InferdServer

    server = InferdServer(repo, tmp_path_factory.mktemp("logs"),
                          extra_args=["--strict-readiness", "false"])  # fmt: skip
    server.start(wait_for="live")
    wait_until(lambda: requests.get(server.url("/v2/models/fine/ready"), timeout=5).status_code == 200,
               60, what="models loaded")  # fmt: skip
    yield server
    assert server.stop() == 0


def _ort(repo, name):
    import onnxruntime as ort

    return ort.InferenceSession(str(repo / name / "1" / "model.onnx"), providers=["CPUExecutionProvider"])


def _metadata_labels(srv, model, output):
    r = requests.get(srv.url(f"/v2/models/{model}"), timeout=10)
    assert r.status_code == 200, r.text
    outs = {o["name"]: o for o in r.json()["outputs"]}
    return outs[output].get("parameters", {}).get("class_labels")


def test_labels_come_from_the_classifier_node(srv):
    assert _metadata_labels(srv, "iris_nozipmap", "probabilities") == ["setosa", "versicolor", "virginica"]
    assert _metadata_labels(srv, "forest_renamed", "scores") == ["3", "5", "9"]
    assert _metadata_labels(srv, "xgboost", "probabilities") == ["0", "1", "2"]
    lgbm = requests.get(srv.url("/v2/models/lightgbm"), timeout=10).json()
    prob = [o for o in lgbm["outputs"] if o["datatype"] == "FP32"]
    assert len(prob) == 1 and prob[0]["parameters"]["class_labels"] == ["0", "1", "2"], lgbm


def test_no_zipmap_answers_as_the_zipmap_model_does(srv, repo):
    X, _ = mem.iris()
    rows = X[::15][:8]
    for path, body in (("/predict", {"features": rows.tolist()}),
                       ("/invocations", {"inputs": rows.tolist()})):  # fmt: skip
        answers = {}
        for model in ("iris_zipmap", "iris_nozipmap"):
            r = requests.post(srv.url(path), json=body, headers={"X-Model": model}, timeout=30)
            assert r.status_code == 200, (model, r.text)
            answers[model] = r.json()
        a, b = answers["iris_zipmap"], answers["iris_nozipmap"]
        a.pop("model", None), b.pop("model", None)
        assert _round(a) == _round(b), (path, a, b)
    ts = {}
    for model in ("iris_zipmap", "iris_nozipmap"):
        r = requests.post(srv.url(f"/predictions/{model}"), json={"data": rows.tolist()}, timeout=30)
        assert r.status_code == 200, r.text
        ts[model] = r.json()
    assert _round(ts["iris_zipmap"]) == _round(ts["iris_nozipmap"])


def _round(value):
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("model", ["forest_renamed", "xgboost", "lightgbm"])
def test_predict_gives_the_winning_probability(srv, repo, model):
    X, _ = mem.iris()
    rows = X[::10]
    sess = _ort(repo, model)
    label, probs = sess.run(None, {sess.get_inputs()[0].name: rows})
    r = requests.post(srv.url("/predict"), json={"features": rows.tolist()}, headers={"X-Model": model},
                      timeout=30)  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert [str(p) for p in body["predictions"]] == [str(v) for v in label.tolist()]
    assert body["probabilities"] is not None
    np.testing.assert_allclose(np.array(body["probabilities"]), probs, rtol=RTOL, atol=ATOL)
    one = requests.post(srv.url("/predict"), json={"features": rows[0].tolist()},
                        headers={"X-Model": model}, timeout=30).json()  # fmt: skip
    assert one["probability"] == pytest.approx(float(probs[0].max()), rel=RTOL)


def _log(srv) -> list[dict]:
    """Every line of the server's JSON log, each parsed (so each must be valid JSON)."""
    return [json.loads(line) for line in srv.stderr().splitlines() if line.strip()]


def _index(srv):
    r = requests.post(srv.url("/v2/repository/index"), timeout=10)
    assert r.status_code == 200
    return {(e["name"], e.get("version")): e for e in r.json()}


@pytest.mark.parametrize("model,words", [
    ("too_new_ir", [f"IR version {onnx.IR_VERSION}", "ir_version="]),
    ("too_new_opset", [f"opset {onnx.defs.onnx_opset_version()}", "target_opset="]),
])  # fmt: skip
def test_a_model_too_new_fails_alone_and_says_why(srv, model, words):
    import onnxruntime as ort

    entry = _index(srv)[(model, "1")]
    assert entry["state"] == "UNAVAILABLE", entry
    reason = entry["reason"]
    for w in words + [f"ONNX Runtime {ort.__version__}", "up to"]:
        assert w in reason, reason
    # Every protocol's status names it too.
    tf = requests.get(srv.url(f"/v1/models/{model}"), timeout=10).json()
    assert words[0] in tf["model_version_status"][0]["status"]["error_message"], tf
    ready = requests.get(srv.url(f"/v2/models/{model}/ready"), timeout=10)
    assert ready.status_code != 200 and words[0] in ready.json()["error"], ready.text
    infer = requests.post(srv.url(f"/v2/models/{model}/infer"), timeout=10,
                          json={"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]})  # fmt: skip
    assert infer.status_code == 503 and words[0] in infer.json()["error"], infer.text
    ts = requests.get(srv.url(f"/models/{model}"), timeout=10)
    assert words[0] in ts.text, ts.text
    assert any(words[0] in json.dumps(line) for line in _log(srv))
    # The others serve.
    ok = requests.post(srv.url("/v2/models/fine/infer"), timeout=10,
                       json={"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]})  # fmt: skip
    assert ok.status_code == 200, ok.text


def test_the_engine_limits_are_what_python_onnxruntime_reads(srv):
    """The limits the server measured agree with the python package of the same version."""
    import onnxruntime as ort

    limits = [line for line in _log(srv) if line.get("msg") == "ONNX Runtime limits measured"]
    assert limits, "the server did not log its engine limits"
    max_ir, max_opset = limits[0]["max_ir_version"], limits[0]["max_opset"]

    def loads(ir, opset):
        try:
            ort.InferenceSession(_identity(ir, opset).SerializeToString())
            return True
        except Exception:  # noqa: BLE001 - any refusal counts
            return False

    assert limits[0]["onnxruntime"] == ort.__version__
    assert loads(max_ir, 17) and not loads(max_ir + 1, 17)
    assert loads(max_ir, max_opset) and not loads(max_ir, max_opset + 1)
