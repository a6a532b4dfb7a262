"""The unmodified official tritonclient.http against inferd: health, metadata,
config, infer (binary and JSON), errors as InferenceServerException."""
import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from e2e_lib import mem


@pytest.fixture
def client(server):
    c = httpclient.InferenceServerClient(url=server.host_port, network_timeout=60)
    yield c
    c.close()


def test_health(client):
    assert client.is_server_live()
    assert client.is_server_ready()


def test_server_metadata(client):
    meta = client.get_server_metadata()
    assert "binary_tensor_data" in meta["extensions"]


@pytest.mark.parametrize("version", ["", "1"])
def test_model_ready(client, version):
    assert client.is_model_ready("logreg", model_version=version)
    assert client.is_model_ready("identity_all_types", model_version=version)


def test_unknown_model_not_ready(client):
    assert not client.is_model_ready("no_such_model")
    assert not client.is_model_ready("logreg", model_version="9")


def test_model_metadata(client):
    meta = client.get_model_metadata("logreg")
    assert meta["name"] == "logreg"
    assert meta["versions"] == ["1"]
    assert meta["platform"] == "onnxruntime_onnx"
    assert meta["inputs"][0]["name"] == "float_input"
    assert meta["inputs"][0]["datatype"] == "FP32"
    assert meta["inputs"][0]["shape"] == [-1, 30]
    assert client.get_model_metadata("logreg", model_version="1") == meta


def test_model_config(client):
    cfg = client.get_model_config("logreg")
    assert isinstance(cfg, dict)
    assert cfg["name"] == "logreg"


def logreg_infer(client, x, binary_in: bool, binary_out: bool, **kw):
    inp = httpclient.InferInput("float_input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x, binary_data=binary_in)
    outputs = [httpclient.InferRequestedOutput("output_label", binary_data=binary_out),
               httpclient.InferRequestedOutput("output_probability", binary_data=binary_out)]  # fmt: skip
    return client.infer("logreg", [inp], outputs=outputs, **kw)


@pytest.mark.parametrize("binary_in", [True, False])
@pytest.mark.parametrize("binary_out", [True, False])
def test_infer_logreg(client, ort_ref, binary_in, binary_out):
    feeds = mem.sample_inputs("logreg", n=6, seed=21)
    result = logreg_infer(client, feeds["float_input"], binary_in, binary_out, request_id="abc")
    ref = ort_ref("logreg").run(feeds)
    np.testing.assert_array_equal(result.as_numpy("output_label"), ref["output_label"])
    np.testing.assert_allclose(result.as_numpy("output_probability"), ref["output_probability"],
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    response = result.get_response()
    assert response["id"] == "abc"
    assert response["model_name"] == "logreg"


def test_infer_only_requested_output(client, ort_ref):
    feeds = mem.sample_inputs("logreg", n=3, seed=5)
    inp = httpclient.InferInput("float_input", [3, 30], "FP32")
    inp.set_data_from_numpy(feeds["float_input"])
    result = client.infer("logreg", [inp],
                          outputs=[httpclient.InferRequestedOutput("output_label")])  # fmt: skip
    assert [o["name"] for o in result.get_response()["outputs"]] == ["output_label"]
    assert result.as_numpy("output_probability") is None
    np.testing.assert_array_equal(result.as_numpy("output_label"),
                                  ort_ref("logreg").run(feeds)["output_label"])  # fmt: skip


def test_infer_string_pipeline(client, ort_ref):
    feeds = mem.sample_inputs("string_pipeline", n=4, seed=2)
    city = httpclient.InferInput("city", [4, 1], "BYTES")
    city.set_data_from_numpy(feeds["city"])
    x = httpclient.InferInput("x", [4, 1], "FP32")
    x.set_data_from_numpy(feeds["x"])
    result = client.infer("string_pipeline", [city, x])
    got = [v.decode() for v in result.as_numpy("output_label")]
    assert got == list(ort_ref("string_pipeline").run(feeds)["output_label"])


def test_infer_mlp_fp16(client, ort_ref):
    feeds = mem.sample_inputs("mlp_fp16", n=4, seed=3)
    inp = httpclient.InferInput("x", [4, 16], "FP16")
    inp.set_data_from_numpy(feeds["x"])
    got = client.infer("mlp_fp16", [inp]).as_numpy("y")
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float64),
                               ort_ref("mlp_fp16").run(feeds)["y"].astype(np.float64),
                               rtol=2e-3, atol=2e-3)  # fmt: skip


def test_bad_shape_raises(client):
    x = np.zeros((2, 29), dtype=np.float32)
    inp = httpclient.InferInput("float_input", [2, 29], "FP32")
    inp.set_data_from_numpy(x)
    with pytest.raises(InferenceServerException) as ei:
        client.infer("logreg", [inp])
    assert ei.value.status() == "400"
    assert ei.value.message()
    assert client.is_server_live()


def test_bad_datatype_raises(client):
    inp = httpclient.InferInput("float_input", [1, 30], "FP64")
    inp.set_data_from_numpy(np.zeros((1, 30), dtype=np.float64))
    with pytest.raises(InferenceServerException) as ei:
        client.infer("logreg", [inp])
    assert ei.value.status() == "400"


def test_unknown_model_raises(client):
    inp = httpclient.InferInput("float_input", [1, 30], "FP32")
    inp.set_data_from_numpy(np.zeros((1, 30), dtype=np.float32))
    with pytest.raises(InferenceServerException) as ei:
        client.infer("no_such_model", [inp])
    assert ei.value.status() == "404"
    with pytest.raises(InferenceServerException):
        client.get_model_metadata("no_such_model")


def test_async_infer(client, ort_ref):
    feeds = mem.sample_inputs("logreg", n=2, seed=13)
    inp = httpclient.InferInput("float_input", [2, 30], "FP32")
    inp.set_data_from_numpy(feeds["float_input"])
    handles = [client.async_infer("logreg", [inp]) for _ in range(8)]
    want = ort_ref("logreg").run(feeds)["output_label"]
    for h in handles:
        np.testing.assert_array_equal(h.get_result().as_numpy("output_label"), want)


def test_repository_index(client):
    names = {m["name"] for m in client.get_model_repository_index()}
    assert {"logreg", "random_forest", "gbr", "string_pipeline", "mlp_fp32", "mlp_fp16",
            "identity_all_types"} <= names  # fmt: skip
