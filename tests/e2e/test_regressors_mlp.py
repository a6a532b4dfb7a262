"""Plain tensor models (gbr, mlp_fp32, mlp_fp16) against python onnxruntime,
with JSON and binary tensors."""
import numpy as np
import pytest
import requests

from e2e_lib import binary_body, infer_json, infer_url, mem, parse_infer_response, to_blob

# (model, output, datatype, rtol, atol). fp16 gets half-precision tolerances:
# the server's ORT may take another kernel path than the python package's.
CASES = [
    ("gbr", "variable", "FP32", 1e-5, 1e-4),
    ("mlp_fp32", "y", "FP32", 1e-5, 1e-6),
    ("mlp_fp16", "y", "FP16", 2e-3, 2e-3),
]


@pytest.mark.parametrize("model, output, datatype, rtol, atol", CASES)
@pytest.mark.parametrize("n", [1, 16])
def test_json(base_url, ort_ref, model, output, datatype, rtol, atol, n):
    feeds = mem.sample_inputs(model, n=n, seed=100 + n)
    r = infer_json(base_url, model, feeds)
    assert r.status_code == 200, r.content
    header, got = parse_infer_response(r)
    assert [o["name"] for o in header["outputs"]] == [output]
    ref = ort_ref(model).run(feeds)[output]
    out = header["outputs"][0]
    assert out["datatype"] == datatype
    assert out["shape"] == list(ref.shape)
    assert got[output].dtype == ref.dtype
    np.testing.assert_allclose(got[output].astype(np.float64), ref.astype(np.float64),
                               rtol=rtol, atol=atol)  # fmt: skip


@pytest.mark.parametrize("model, output, datatype, rtol, atol", CASES)
def test_binary(base_url, ort_ref, model, output, datatype, rtol, atol):
    feeds = mem.sample_inputs(model, n=8, seed=7)
    (name, x), = feeds.items()
    in_dt = datatype  # every input here has the output's datatype
    header = {
        "inputs": [{"name": name, "shape": list(x.shape), "datatype": in_dt,
                    "parameters": {"binary_data_size": x.nbytes}}],
        "outputs": [{"name": output, "parameters": {"binary_data": True}}],
    }  # fmt: skip
    body, headers = binary_body(header, [to_blob(x, in_dt)])
    r = requests.post(infer_url(base_url, model), data=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.content
    assert r.headers.get("Content-Type", "").startswith("application/octet-stream")
    h, got = parse_infer_response(r)
    ref = ort_ref(model).run(feeds)[output]
    assert h["outputs"][0]["parameters"]["binary_data_size"] == ref.nbytes
    assert got[output].dtype == ref.dtype
    np.testing.assert_allclose(got[output].astype(np.float64), ref.astype(np.float64),
                               rtol=rtol, atol=atol)  # fmt: skip


def test_mlp_fp16_json_inputs_are_numbers(base_url, ort_ref):
    """FP16 JSON elements are plain numbers; exactly representable values survive."""
    x = np.array([[0.5, -1.25, 2.0, 0.0] * 4, [100.0, -3.75, 6.103515625e-05, 5.960464477539063e-08] * 4],
                 dtype=np.float16)  # fmt: skip
    body = {"inputs": [{"name": "x", "shape": [2, 16], "datatype": "FP16",
                        "data": [float(v) for v in x.reshape(-1)]}]}  # fmt: skip
    r = requests.post(infer_url(base_url, "mlp_fp16"), json=body, timeout=30)
    assert r.status_code == 200, r.content
    _, got = parse_infer_response(r)
    ref = ort_ref("mlp_fp16").run({"x": x})["y"]
    np.testing.assert_allclose(got["y"].astype(np.float64), ref.astype(np.float64),
                               rtol=2e-3, atol=2e-3)  # fmt: skip


def test_nested_json_data_is_accepted(base_url, ort_ref):
    feeds = mem.sample_inputs("mlp_fp32", n=3, seed=9)
    x = feeds["x"]
    body = {"inputs": [{"name": "x", "shape": [3, 16], "datatype": "FP32",
                        "data": [[float(v) for v in row] for row in x]}]}  # fmt: skip
    r = requests.post(infer_url(base_url, "mlp_fp32"), json=body, timeout=30)
    assert r.status_code == 200, r.content
    _, got = parse_infer_response(r)
    np.testing.assert_allclose(got["y"], ort_ref("mlp_fp32").run(feeds)["y"], rtol=1e-5, atol=1e-6)


def test_versioned_url(base_url, ort_ref):
    feeds = mem.sample_inputs("gbr", n=2, seed=1)
    r = infer_json(base_url, "gbr", feeds, version="1")
    assert r.status_code == 200, r.content
    header, got = parse_infer_response(r)
    assert header["model_name"] == "gbr" and header["model_version"] == "1"
    np.testing.assert_allclose(got["variable"], ort_ref("gbr").run(feeds)["variable"],
                               rtol=1e-5, atol=1e-4)  # fmt: skip
