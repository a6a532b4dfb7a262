"""TF Serving's REST API (and KServe v1's model list) on the HTTP port:
model status, metadata, :predict in the row and columnar formats,
:classify and :regress, and TF's error shape after every bad input."""
from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest
import requests

from e2e_lib import assert_error, copy_models, mem


def v1(base_url, model, suffix="", version=None, label=None):
    path = f"{base_url}/v1/models/{model}"
    if version is not None:
        path += f"/versions/{version}"
    if label is not None:
        path += f"/labels/{label}"
    return path + suffix


def post(url, body):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.post(url, data=data, timeout=60)


def ok_json(resp):
    assert resp.status_code == 200, f"{resp.status_code}: {resp.text[:500]}"
    return resp.json()  # Python's json reads bare NaN and Infinity


def assert_close(got, want):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64),
                               rtol=1e-5, atol=1e-6)  # fmt: skip


# --------------------------------------------------------- status, metadata
def test_model_list_kserve_v1(base_url, example_repo):
    body = ok_json(requests.get(f"{base_url}/v1/models", timeout=30))
    # Hidden folders are not models (a server's .inferd-jobs lives there).
    names = sorted(p.name for p in example_repo.iterdir()
                   if p.is_dir() and not p.name.startswith("."))
    assert sorted(body["models"]) == names


def test_model_status(base_url):
    # TF Serving's model_version_status, with KServe v1's name and ready beside it.
    want = {"name": "logreg", "ready": True, "model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
    assert ok_json(requests.get(v1(base_url, "logreg"), timeout=30)) == want
    assert ok_json(requests.get(v1(base_url, "logreg", version=1), timeout=30)) == want
    assert_error(requests.get(v1(base_url, "logreg", version=2), timeout=30), 404)
    assert_error(requests.get(v1(base_url, "logreg", version="abc"), timeout=30), 404)
    assert_error(requests.get(v1(base_url, "no_such_model"), timeout=30), 404)
    msg = assert_error(requests.get(v1(base_url, "logreg", label="stable"), timeout=30), 404)
    assert "version string 'stable'" in msg


def test_metadata(base_url):
    body = ok_json(requests.get(v1(base_url, "logreg", "/metadata"), timeout=30))
    assert body["model_spec"] == {"name": "logreg", "signature_name": "", "version": "1"}
    sig = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["method_name"] == "tensorflow/serving/predict"
    assert sig["inputs"] == {"float_input": {
        "dtype": "DT_FLOAT", "name": "float_input",
        "tensor_shape": {"dim": [{"size": "-1", "name": ""}, {"size": "30", "name": ""}],
                         "unknown_rank": False}}}  # fmt: skip
    assert sig["outputs"]["output_label"]["dtype"] == "DT_INT64"
    assert [d["size"] for d in sig["outputs"]["output_probability"]["tensor_shape"]["dim"]] == [
        "-1", "2"]  # fmt: skip
    strings = ok_json(requests.get(v1(base_url, "string_pipeline", "/metadata", version=1),
                                   timeout=30))  # fmt: skip
    inputs = strings["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"]
    assert inputs["city"]["dtype"] == "DT_STRING"
    assert_error(requests.get(v1(base_url, "logreg", "/metadata", label="canary"), timeout=30), 404)


# ------------------------------------------------------------------ predict
def test_predict_row_format_several_outputs(base_url, ort_ref):
    X = mem.sample_inputs("logreg", n=4)["float_input"]
    body = ok_json(post(v1(base_url, "logreg", ":predict"), {"instances": X.tolist()}))
    ref = ort_ref("logreg").run({"float_input": X})
    preds = body["predictions"]
    assert len(preds) == 4
    for i, row in enumerate(preds):
        assert set(row) == {"output_label", "output_probability"}
        assert row["output_label"] == int(ref["output_label"][i])
        assert_close(row["output_probability"], ref["output_probability"][i])


def test_predict_columnar_format(base_url, ort_ref):
    X = mem.sample_inputs("logreg", n=3)["float_input"]
    body = ok_json(post(v1(base_url, "logreg", ":predict", version=1),
                        {"signature_name": "serving_default", "inputs": X.tolist()}))  # fmt: skip
    ref = ort_ref("logreg").run({"float_input": X})
    assert body["outputs"]["output_label"] == ref["output_label"].tolist()
    assert_close(body["outputs"]["output_probability"], ref["output_probability"])
    body = ok_json(post(v1(base_url, "logreg", ":predict"), {"inputs": {"float_input": X.tolist()}}))
    assert body["outputs"]["output_label"] == ref["output_label"].tolist()


def test_predict_one_output_is_unnamed(base_url, ort_ref):
    X = mem.sample_inputs("mlp_fp32", n=2)["x"]
    want = ort_ref("mlp_fp32").run({"x": X})["y"]
    rows = ok_json(post(v1(base_url, "mlp_fp32", ":predict"), {"instances": X.tolist()}))
    assert isinstance(rows["predictions"][0], list)
    assert_close(rows["predictions"], want)
    cols = ok_json(post(v1(base_url, "mlp_fp32", ":predict"), {"inputs": {"x": X.tolist()}}))
    assert_close(cols["outputs"], want)
    # fp16 model: numbers in and out
    X16 = mem.sample_inputs("mlp_fp16", n=2)["x"]
    got = ok_json(post(v1(base_url, "mlp_fp16", ":predict"), {"instances": X16.tolist()}))
    np.testing.assert_allclose(np.asarray(got["predictions"], dtype=np.float16),
                               ort_ref("mlp_fp16").run({"x": X16})["y"], rtol=1e-2, atol=1e-2)


def test_predict_named_instances_with_strings_and_b64(base_url, ort_ref):
    inputs = mem.sample_inputs("string_pipeline", n=5)
    ref = ort_ref("string_pipeline").run(inputs)
    instances = []
    for i in range(5):
        city = inputs["city"][i][0]
        as_b64 = {"b64": base64.b64encode(city.encode()).decode()}
        instances.append({"city": [as_b64 if i % 2 else city], "x": inputs["x"][i].tolist()})
    body = ok_json(post(v1(base_url, "string_pipeline", ":predict"), {"instances": instances}))
    assert [p["output_label"] for p in body["predictions"]] == [str(v) for v in ref["output_label"]]
    for p, want in zip(body["predictions"], ref["output_probability"]):
        assert_close(p["output_probability"], want)


def test_bare_nan_and_infinity(base_url, ort_ref):
    X = mem.sample_inputs("mlp_fp32", n=1)["x"].copy()
    X[0, 0] = np.nan
    X[0, 1] = np.inf
    X[0, 2] = -np.inf
    text = json.dumps({"instances": X.tolist()})  # Python writes NaN, Infinity, -Infinity bare
    assert "NaN" in text and "-Infinity" in text
    body = ok_json(post(v1(base_url, "mlp_fp32", ":predict"), text))
    want = ort_ref("mlp_fp32").run({"x": X})["y"]
    got = np.asarray(body["predictions"], dtype=np.float32)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(got).any(), "NaN must come back as NaN"


def test_every_dtype_columnar(base_url):
    rng = np.random.default_rng(3)
    inputs = {}
    for dt in mem.ALL_DATATYPES:
        if dt == "BYTES":
            inputs[f"in_{dt}"] = [["a", "é"], ["", "z"]]
        elif dt == "BOOL":
            inputs[f"in_{dt}"] = [[True, False], [False, True]]
        elif dt in ("FP16", "BF16"):
            inputs[f"in_{dt}"] = [[0.5, -2.0], [1.25, 3.0]]  # exact in both
        elif dt in ("FP32", "FP64"):
            inputs[f"in_{dt}"] = rng.standard_normal((2, 2)).astype(np.float32).tolist()
        else:
            info = np.iinfo(np.dtype(dt.lower()))
            inputs[f"in_{dt}"] = [[int(info.min), int(info.max)], [0, 1]]
    body = ok_json(post(v1(base_url, "identity_all_types", ":predict"), {"inputs": inputs}))
    for dt in mem.ALL_DATATYPES:
        got, want = body["outputs"][f"out_{dt}"], inputs[f"in_{dt}"]
        if dt in ("FP32", "FP64"):
            assert_close(got, want)
        else:
            assert got == want, dt


# -------------------------------------------------------- classify, regress
def col_examples(X):
    return [{f"f{j}": float(v) for j, v in enumerate(row)} for row in X]


def test_classify_by_columns(base_url, ort_ref):
    X = mem.sample_inputs("random_forest", n=3)["float_input"]
    body = ok_json(post(v1(base_url, "random_forest", ":classify"), {"examples": col_examples(X)}))
    probs = ort_ref("random_forest").run({"float_input": X})["output_probability"]
    assert len(body["results"]) == 3
    for result, row in zip(body["results"], probs):
        assert [label for label, _ in result] == ["0", "1", "2"]
        assert_close([score for _, score in result], row)


def test_classify_by_name_with_context(base_url, ort_ref):
    body = ok_json(post(v1(base_url, "string_pipeline", ":classify"), {
        "context": {"x": 0.5},
        "examples": [{"city": "paris"}, {"city": {"b64": base64.b64encode(b"oslo").decode()},
                                         "x": -2.5}]}))  # fmt: skip
    ref = ort_ref("string_pipeline").run({"city": np.array([["paris"], ["oslo"]], dtype=object),
                                          "x": np.array([[0.5], [-2.5]], dtype=np.float32)})
    for result, row in zip(body["results"], ref["output_probability"]):
        assert [label for label, _ in result] == ["high", "low"]
        assert_close([score for _, score in result], row)


def test_regress(base_url, ort_ref):
    X = mem.sample_inputs("gbr", n=4)["float_input"]
    want = ort_ref("gbr").run({"float_input": X})["variable"].reshape(-1)
    body = ok_json(post(v1(base_url, "gbr", ":regress"), {"examples": col_examples(X)}))
    assert_close(body["results"], want)
    # One feature may hold the whole row.
    rows = ok_json(post(v1(base_url, "gbr", ":regress", version=1),
                        {"examples": [{"x": row.tolist()} for row in X]}))  # fmt: skip
    assert_close(rows["results"], want)


# ---------------------------------------------------------------- bad input
LOGREG_X = mem.sample_inputs("logreg", n=1)["float_input"].tolist()
BAD_REQUESTS = [
    # (name, model, suffix, body, statuses)
    ("malformed JSON", "logreg", ":predict", "{\"instances\": [", 400),
    ("empty body", "logreg", ":predict", "", 400),
    ("not an object", "logreg", ":predict", "[1, 2]", 400),
    ("neither instances nor inputs", "logreg", ":predict", {"rows": LOGREG_X}, 400),
    ("both instances and inputs", "logreg", ":predict", {"instances": LOGREG_X, "inputs": LOGREG_X},
     400),
    ("empty instances", "logreg", ":predict", {"instances": []}, 400),
    ("ragged instances", "logreg", ":predict", {"instances": [[1.0] * 30, [1.0] * 29]}, 400),
    ("wrong width", "logreg", ":predict", {"instances": [[1.0] * 29]}, 400),
    ("string for a float", "logreg", ":predict", {"instances": [["a"] * 30]}, 400),
    ("b64 for a float", "logreg", ":predict", {"instances": [[{"b64": "AAAA"}] * 30]}, 400),
    ("unknown input", "logreg", ":predict", {"inputs": {"nope": LOGREG_X}}, 400),
    ("unnamed for two inputs", "string_pipeline", ":predict", {"instances": [["paris"]]}, 400),
    ("bad b64", "string_pipeline", ":predict",
     {"instances": [{"city": [{"b64": "***"}], "x": [1.0]}]}, 400),
    ("signature_name", "logreg", ":predict", {"signature_name": "classify", "instances": LOGREG_X},
     400),
    ("NaNs and NUL strings", "string_pipeline", ":predict",
     '{"instances": [{"city": ["\\u0000"], "x": [NaN]}]}', 400),
    ("unknown verb", "logreg", ":explain", {"instances": LOGREG_X}, 400),
    ("no verb", "logreg", "", {"instances": LOGREG_X}, 400),
    ("unknown model", "no_such_model", ":predict", {"instances": LOGREG_X}, 404),
    ("classify a regressor", "gbr", ":classify", {"examples": [{"x": [0.0] * 10}]}, 400),
    ("regress a classifier", "logreg", ":regress", {"examples": [{"x": [0.0] * 30}]}, 400),
    ("no examples key", "gbr", ":regress", {"instances": [[0.0] * 10]}, 400),
    ("examples differ", "gbr", ":regress", {"examples": [{"a": 1.0}, {"b": 1.0}]}, 400),
    ("mixed feature", "gbr", ":regress", {"examples": [{"a": [1.0, "x"]}]}, 400),
]


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=lambda c: c[0])
def test_bad_request_then_good(base_url, case):
    _, model, suffix, body, statuses = case
    assert_error(post(v1(base_url, model, suffix), body), statuses)
    good = ok_json(post(v1(base_url, "logreg", ":predict"), {"instances": LOGREG_X}))
    assert len(good["predictions"]) == 1


@pytest.mark.parametrize("path", [("logreg", ":predict", 2, None), ("logreg", ":predict", None, "stable"),
                                  ("logreg", ":classify", None, "canary")],  # fmt: skip
                         ids=["version", "label", "label-classify"])
def test_unknown_version_or_label(base_url, path):
    model, suffix, version, label = path
    assert_error(post(v1(base_url, model, suffix, version=version, label=label),
                      {"instances": LOGREG_X}), 404)  # fmt: skip


def test_failed_model(inferd_factory, example_repo, tmp_path):
    repo = copy_models(example_repo, tmp_path / "repo", ["gbr"])
    mem.write_corrupt_model(mem.model_path(repo, "broken"))
    srv = inferd_factory(repo, ("--strict-readiness", "false"))
    status = ok_json(requests.get(v1(srv.base_url, "broken"), timeout=30))
    entry = status["model_version_status"][0]
    assert entry["version"] == "1" and entry["state"] == "END"
    assert entry["status"]["error_code"] != "OK" and entry["status"]["error_message"]
    X = mem.sample_inputs("gbr", n=1)["float_input"].tolist()
    assert_error(post(v1(srv.base_url, "broken", ":predict"), {"instances": X}), 503)
    assert_error(requests.get(v1(srv.base_url, "broken", "/metadata"), timeout=30), 503)
    assert len(ok_json(post(v1(srv.base_url, "gbr", ":predict"), {"instances": X}))["predictions"]) == 1


def test_infinity_output_is_bare(base_url):
    """A float output that overflows comes back as a bare Infinity token."""
    big = [[3.0e38] * 2, [-3.0e38, 1.0]]
    resp = post(v1(base_url, "identity_all_types", ":predict"), {"inputs": {
        **{f"in_{dt}": [[0, 0]] for dt in mem.ALL_DATATYPES if dt not in ("BYTES", "BOOL", "FP16")},
        "in_BYTES": [["a", "b"]], "in_BOOL": [[True, False]], "in_FP16": [big[0]]}})  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert "Infinity" in resp.text
    assert math.isinf(resp.json()["outputs"]["out_FP16"][0][0])
