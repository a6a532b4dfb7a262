"""KServe v2 HTTP routes other than infer: health, server/model metadata,
model readiness, model config."""
import pytest
import requests

from e2e_lib import assert_error

EXAMPLE_MODELS = ["logreg", "random_forest", "gbr", "string_pipeline",
                  "mlp_fp32", "mlp_fp16", "identity_all_types"]  # fmt: skip


def get(base_url, path):
    return requests.get(base_url + path, timeout=10)


@pytest.mark.parametrize("path,key", [("/v2/health/live", "live"), ("/v2/health/ready", "ready")])
def test_health_is_200_with_the_open_inference_protocol_body(base_url, path, key):
    """{"live": true} as the kserve SDK reads it; Triton's clients read only the status."""
    r = get(base_url, path)
    assert r.status_code == 200, r.content
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {key: True}


def test_server_metadata(base_url):
    r = get(base_url, "/v2")
    assert r.status_code == 200, r.content
    meta = r.json()
    assert isinstance(meta["name"], str) and meta["name"]
    assert isinstance(meta["version"], str) and meta["version"]
    assert isinstance(meta["extensions"], list)
    assert all(isinstance(e, str) for e in meta["extensions"])
    assert "binary_tensor_data" in meta["extensions"]


def tensor_meta(entries):
    return {e["name"]: e for e in entries}


@pytest.mark.parametrize("suffix", ["", "/versions/1"])
def test_logreg_metadata(base_url, suffix):
    r = get(base_url, f"/v2/models/logreg{suffix}")
    assert r.status_code == 200, r.content
    meta = r.json()
    assert meta["name"] == "logreg"
    assert meta["versions"] == ["1"]
    assert meta["platform"] == "onnxruntime_onnx"
    assert meta["inputs"] == [{"name": "float_input", "datatype": "FP32", "shape": [-1, 30]}]
    outs = tensor_meta(meta["outputs"])
    assert set(outs) == {"output_label", "output_probability"}
    assert outs["output_label"]["datatype"] == "INT64"
    assert outs["output_label"]["shape"] == [-1]
    assert outs["output_probability"] == {
        "name": "output_probability",
        "datatype": "FP32",
        "shape": [-1, 2],
        "parameters": {"class_labels": ["0", "1"]},
    }


def test_metadata_same_with_and_without_version(base_url):
    a = get(base_url, "/v2/models/random_forest").json()
    b = get(base_url, "/v2/models/random_forest/versions/1").json()
    assert a == b


@pytest.mark.parametrize(
    "model, inputs, outputs",
    [
        ("random_forest",
         {"float_input": ("FP32", [-1, 4])},
         {"output_label": ("INT64", [-1]), "output_probability": ("FP32", [-1, 3])}),
        ("gbr", {"float_input": ("FP32", [-1, 10])}, {"variable": ("FP32", [-1, 1])}),
        ("string_pipeline",
         {"city": ("BYTES", [-1, 1]), "x": ("FP32", [-1, 1])},
         {"output_label": ("BYTES", [-1]), "output_probability": ("FP32", [-1, 2])}),
        ("mlp_fp32", {"x": ("FP32", [-1, 16])}, {"y": ("FP32", [-1, 4])}),
        ("mlp_fp16", {"x": ("FP16", [-1, 16])}, {"y": ("FP16", [-1, 4])}),
    ],
)  # fmt: skip
def test_model_metadata_tensors(base_url, model, inputs, outputs):
    meta = get(base_url, f"/v2/models/{model}").json()
    assert meta["name"] == model
    assert meta["platform"] == "onnxruntime_onnx"
    got_in = {e["name"]: (e["datatype"], e["shape"]) for e in meta["inputs"]}
    got_out = {e["name"]: (e["datatype"], e["shape"]) for e in meta["outputs"]}
    assert got_in == {k: tuple(v) for k, v in inputs.items()}
    assert got_out == {k: tuple(v) for k, v in outputs.items()}


def test_class_labels_in_metadata(base_url):
    rf = tensor_meta(get(base_url, "/v2/models/random_forest").json()["outputs"])
    assert rf["output_probability"]["parameters"]["class_labels"] == ["0", "1", "2"]
    sp = tensor_meta(get(base_url, "/v2/models/string_pipeline").json()["outputs"])
    assert sp["output_probability"]["parameters"]["class_labels"] == ["high", "low"]


def test_identity_all_types_metadata(base_url):
    meta = get(base_url, "/v2/models/identity_all_types").json()
    dts = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32",
           "INT64", "FP16", "FP32", "FP64", "BF16", "BYTES"]  # fmt: skip
    assert {e["name"]: (e["datatype"], e["shape"]) for e in meta["inputs"]} == {
        f"in_{dt}": (dt, [-1, -1]) for dt in dts
    }
    assert {e["name"]: (e["datatype"], e["shape"]) for e in meta["outputs"]} == {
        f"out_{dt}": (dt, [-1, -1]) for dt in dts
    }


@pytest.mark.parametrize("model", EXAMPLE_MODELS)
@pytest.mark.parametrize("suffix", ["", "/versions/1"])
def test_model_ready(base_url, model, suffix):
    r = get(base_url, f"/v2/models/{model}{suffix}/ready")
    assert r.status_code == 200, r.content


@pytest.mark.parametrize(
    "path",
    ["/v2/models/no_such_model/ready", "/v2/models/logreg/versions/2/ready"],
)
def test_model_ready_unknown(base_url, path):
    assert_error(get(base_url, path), (400, 404))


@pytest.mark.parametrize(
    "path",
    ["/v2/models/no_such_model", "/v2/models/logreg/versions/2",
     "/v2/models/no_such_model/config"],
)  # fmt: skip
def test_metadata_unknown_is_404(base_url, path):
    assert_error(get(base_url, path), 404)


@pytest.mark.parametrize("suffix", ["", "/versions/1"])
def test_model_config(base_url, suffix):
    r = get(base_url, f"/v2/models/logreg{suffix}/config")
    assert r.status_code == 200, r.content
    cfg = r.json()
    assert isinstance(cfg, dict)
    assert cfg["name"] == "logreg"


def test_unknown_route_is_an_error(base_url):
    r = get(base_url, "/v2/no/such/route")
    assert 400 <= r.status_code < 500
