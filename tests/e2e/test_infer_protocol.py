"""Infer request/response mechanics of KServe v2 over HTTP: id echo, output
selection, binary_data / binary_data_output, Inference-Header-Content-Length
with mixed JSON and binary inputs, response headers."""
import json

import numpy as np
import pytest
import requests

from e2e_lib import (NP_DTYPES, binary_body, infer_json, infer_url, json_tensor, mem,
                     parse_infer_response, to_blob)  # fmt: skip


@pytest.fixture(scope="module")
def logreg_x():
    return mem.sample_inputs("logreg", n=3, seed=42)


@pytest.mark.parametrize("req_id", ["req-1", "", "ünïcode-id ✓"])
def test_id_is_echoed(base_url, logreg_x, req_id):
    r = infer_json(base_url, "logreg", logreg_x, id=req_id)
    assert r.status_code == 200, r.content
    assert r.json()["id"] == req_id


def test_no_id_in_request(base_url, logreg_x):
    r = infer_json(base_url, "logreg", logreg_x)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body.get("id", "") == ""
    assert body["model_name"] == "logreg"
    assert body["model_version"] == "1"


def test_output_selection(base_url, ort_ref, logreg_x):
    r = infer_json(base_url, "logreg", logreg_x, outputs=[{"name": "output_label"}])
    assert r.status_code == 200, r.content
    header, got = parse_infer_response(r)
    assert [o["name"] for o in header["outputs"]] == ["output_label"]
    np.testing.assert_array_equal(got["output_label"], ort_ref("logreg").run(logreg_x)["output_label"])


def test_output_selection_probability_only(base_url, logreg_x):
    r = infer_json(base_url, "logreg", logreg_x, outputs=[{"name": "output_probability"}])
    assert r.status_code == 200, r.content
    assert [o["name"] for o in r.json()["outputs"]] == ["output_probability"]


def test_plain_json_response_headers(base_url, logreg_x):
    r = infer_json(base_url, "logreg", logreg_x)
    assert r.status_code == 200, r.content
    assert r.headers.get("Content-Type", "").startswith("application/json")
    assert "Inference-Header-Content-Length" not in r.headers
    for o in r.json()["outputs"]:
        assert "data" in o
        assert "binary_data_size" not in (o.get("parameters") or {})


def check_binary_response(r, binary_names):
    assert r.status_code == 200, r.content
    assert r.headers.get("Content-Type", "").startswith("application/octet-stream")
    n = int(r.headers["Inference-Header-Content-Length"])
    header = json.loads(r.content[:n])
    total = 0
    for o in header["outputs"]:
        params = o.get("parameters") or {}
        if o["name"] in binary_names:
            assert "binary_data_size" in params, o
            assert "data" not in o, o
            total += params["binary_data_size"]
        else:
            assert "binary_data_size" not in params, o
            assert "data" in o, o
    assert len(r.content) == n + total
    return header


def test_binary_data_output_parameter(base_url, ort_ref, logreg_x):
    r = infer_json(base_url, "logreg", logreg_x, parameters={"binary_data_output": True})
    check_binary_response(r, {"output_label", "output_probability"})
    _, got = parse_infer_response(r)
    ref = ort_ref("logreg").run(logreg_x)
    np.testing.assert_array_equal(got["output_label"], ref["output_label"])
    np.testing.assert_allclose(got["output_probability"], ref["output_probability"],
                               rtol=1e-5, atol=1e-6)  # fmt: skip


def test_binary_data_output_false_is_json(base_url, logreg_x):
    r = infer_json(base_url, "logreg", logreg_x, parameters={"binary_data_output": False})
    assert r.status_code == 200, r.content
    assert "Inference-Header-Content-Length" not in r.headers
    assert all("data" in o for o in r.json()["outputs"])


def test_per_output_binary_data(base_url, ort_ref, logreg_x):
    outputs = [{"name": "output_probability", "parameters": {"binary_data": True}},
               {"name": "output_label", "parameters": {"binary_data": False}}]  # fmt: skip
    r = infer_json(base_url, "logreg", logreg_x, outputs=outputs)
    check_binary_response(r, {"output_probability"})
    _, got = parse_infer_response(r)
    ref = ort_ref("logreg").run(logreg_x)
    np.testing.assert_array_equal(got["output_label"], ref["output_label"])
    np.testing.assert_allclose(got["output_probability"], ref["output_probability"],
                               rtol=1e-5, atol=1e-6)  # fmt: skip


def test_per_output_setting_overrides_request_default(base_url, logreg_x):
    outputs = [{"name": "output_probability", "parameters": {"binary_data": False}},
               {"name": "output_label"}]  # fmt: skip
    r = infer_json(base_url, "logreg", logreg_x, outputs=outputs,
                   parameters={"binary_data_output": True})  # fmt: skip
    check_binary_response(r, {"output_label"})


def test_mixed_json_and_binary_inputs(base_url, ort_ref):
    """Inference-Header-Content-Length splits JSON header from the binary blobs;
    some inputs carry JSON data, others binary_data_size."""
    feeds = mem.sample_inputs("string_pipeline", n=5, seed=8)
    x_blob = to_blob(feeds["x"], "FP32")
    header = {"id": "mixed", "inputs": [
        json_tensor("city", feeds["city"], "BYTES"),
        {"name": "x", "shape": [5, 1], "datatype": "FP32",
         "parameters": {"binary_data_size": len(x_blob)}},
    ]}  # fmt: skip
    body, headers = binary_body(header, [x_blob])
    r = requests.post(infer_url(base_url, "string_pipeline"), data=body, headers=headers,
                      timeout=30)  # fmt: skip
    assert r.status_code == 200, r.content
    h, got = parse_infer_response(r)
    assert h["id"] == "mixed"
    ref = ort_ref("string_pipeline").run(feeds)
    assert [v if isinstance(v, str) else v.decode() for v in got["output_label"]] == list(
        ref["output_label"]
    )


def test_all_inputs_binary_consumed_in_order(base_url):
    """Blobs are consumed in the order of the inputs that declare them."""
    inputs, blobs, sent = [], [], {}
    for i, (dt, np_dt) in enumerate(NP_DTYPES.items()):
        if dt == "BYTES":
            arr = np.array([[b"x", b"yy", b"zzz"]], dtype=object)
        elif dt == "BOOL":
            arr = np.array([[True, False, True]])
        else:
            arr = (np.arange(3, dtype=np.float64) + i).reshape(1, 3).astype(np_dt)
        sent[dt] = arr
        blobs.append(to_blob(arr, dt))
        inputs.append({"name": f"in_{dt}", "shape": [1, 3], "datatype": dt,
                       "parameters": {"binary_data_size": len(blobs[-1])}})  # fmt: skip
    body, headers = binary_body({"inputs": inputs}, blobs)
    r = requests.post(infer_url(base_url, "identity_all_types"), data=body, headers=headers,
                      timeout=30)  # fmt: skip
    assert r.status_code == 200, r.content
    _, got = parse_infer_response(r)
    for dt, arr in sent.items():
        if dt == "BYTES":
            assert [v if isinstance(v, bytes) else v.encode() for v in got["out_BYTES"].ravel()] == [
                b"x", b"yy", b"zzz"]
        else:
            assert got[f"out_{dt}"].tobytes() == arr.tobytes(), dt


def test_binary_request_with_content_type(base_url, ort_ref, logreg_x):
    x = logreg_x["float_input"]
    header = {"inputs": [{"name": "float_input", "shape": list(x.shape), "datatype": "FP32",
                          "parameters": {"binary_data_size": x.nbytes}}]}  # fmt: skip
    body, headers = binary_body(header, [to_blob(x, "FP32")])
    headers["Content-Type"] = "application/octet-stream"
    r = requests.post(infer_url(base_url, "logreg"), data=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.content
    _, got = parse_infer_response(r)
    np.testing.assert_array_equal(got["output_label"], ort_ref("logreg").run(logreg_x)["output_label"])


def test_request_parameters_are_accepted(base_url, logreg_x):
    """Unknown and reserved request parameters do not break inference."""
    r = infer_json(base_url, "logreg", logreg_x,
                   parameters={"priority": 0, "custom_thing": "x"})  # fmt: skip
    assert r.status_code == 200, r.content
