"""KServe v2 over gRPC with the unmodified tritonclient.grpc: health, metadata,
config, repository index, infer (every datatype, BYTES, FP16/BF16), streaming
with in-band errors, typed contents, gRPC status codes for bad input, and
messages larger than gRPC's 4 MiB default."""
import queue

import grpc
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from e2e_lib import as_str_array, mem

DATATYPES = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32,
    "UINT64": np.uint64, "INT8": np.int8, "INT16": np.int16, "INT32": np.int32,
    "INT64": np.int64, "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
}  # fmt: skip


@pytest.fixture(scope="module")
def client(server):
    c = grpcclient.InferenceServerClient(server.grpc_target)
    yield c
    c.close()


@pytest.fixture(scope="module")
def stub(server):
    channel = grpc.insecure_channel(server.grpc_target)
    yield service_pb2_grpc.GRPCInferenceServiceStub(channel)
    channel.close()


def infer_input(name, arr, datatype):
    i = grpcclient.InferInput(name, list(arr.shape), datatype)
    i.set_data_from_numpy(arr)
    return i


def rf_input(n=3, seed=0):
    return infer_input("float_input", mem.sample_inputs("random_forest", n=n, seed=seed)["float_input"], "FP32")


def test_health_and_server_metadata(client):
    assert client.is_server_live()
    assert client.is_server_ready()
    md = client.get_server_metadata(as_json=True)
    assert md["name"] == "inferd"
    assert "binary_tensor_data" in md["extensions"]


def test_model_readiness(client):
    assert client.is_model_ready("logreg")
    assert client.is_model_ready("logreg", "1")
    assert not client.is_model_ready("logreg", "7")
    assert not client.is_model_ready("no_such_model")


def test_model_metadata_and_config(client):
    md = client.get_model_metadata("random_forest", as_json=True)
    assert md["name"] == "random_forest"
    assert md["versions"] == ["1"]
    assert md["platform"] == "onnxruntime_onnx"
    outputs = {o["name"]: o for o in md["outputs"]}
    assert outputs["output_probability"]["datatype"] == "FP32"
    assert outputs["output_probability"]["shape"] == ["-1", "3"]
    cfg = client.get_model_config("logreg", as_json=True)["config"]
    assert cfg["name"] == "logreg"
    assert cfg["input"][0]["name"] == "float_input"
    assert cfg["input"][0]["dims"] == ["30"]
    with pytest.raises(InferenceServerException) as e:
        client.get_model_metadata("no_such_model")
    assert e.value.status() == "StatusCode.NOT_FOUND"


def test_repository_index(client):
    index = client.get_model_repository_index(as_json=True)["models"]
    names = {m["name"] for m in index}
    assert {"logreg", "random_forest", "gbr", "identity_all_types"} <= names
    assert all(m["state"] == "READY" for m in index)


@pytest.mark.parametrize("model", ["logreg", "random_forest", "gbr", "mlp_fp32", "mlp_fp16"])
def test_infer_matches_onnxruntime(client, ort_ref, model):
    feeds = mem.sample_inputs(model, n=6, seed=3)
    inputs = [infer_input(k, v, "FP16" if v.dtype == np.float16 else "FP32") for k, v in feeds.items()]
    result = client.infer(model, inputs, request_id="req-7")
    assert result.get_response().id == "req-7"
    assert result.get_response().model_version == "1"
    ref = ort_ref(model).run(feeds)
    for name, want in ref.items():
        got = result.as_numpy(name)
        if want.dtype.kind in "iu":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-3 if want.dtype == np.float16 else 1e-5,
                                       atol=1e-6)  # fmt: skip


def test_string_inputs_and_outputs(client, ort_ref):
    feeds = mem.sample_inputs("string_pipeline", n=5, seed=1)
    inputs = [infer_input("city", feeds["city"], "BYTES"), infer_input("x", feeds["x"], "FP32")]
    result = client.infer("string_pipeline", inputs)
    ref = ort_ref("string_pipeline").run(feeds)
    assert list(as_str_array(result.as_numpy("output_label"))) == list(ref["output_label"])
    np.testing.assert_allclose(result.as_numpy("output_probability"), ref["output_probability"],
                               rtol=1e-5, atol=1e-6)  # fmt: skip


def test_every_datatype_round_trips(client):
    rng = np.random.default_rng(5)
    shape = (2, 3)
    inputs, sent = [], {}
    for dt, np_type in DATATYPES.items():
        if dt == "BOOL":
            arr = rng.integers(0, 2, shape).astype(np.bool_)
        elif np.dtype(np_type).kind == "f":
            arr = rng.standard_normal(shape).astype(np_type)
        else:
            info = np.iinfo(np_type)
            arr = rng.integers(info.min, info.max, shape, dtype=np_type, endpoint=True)
        sent[dt] = arr
        inputs.append(infer_input(f"in_{dt}", arr, dt))
    import ml_dtypes

    bf16 = rng.standard_normal(shape).astype(ml_dtypes.bfloat16)
    sent["BF16"] = bf16
    inputs.append(infer_input("in_BF16", bf16, "BF16"))
    strings = np.array([[b"a", "h\u00e9".encode(), b"\xff\x00raw"], [b"", b"x" * 300, b"z"]],
                       dtype=object)  # fmt: skip
    sent["BYTES"] = strings
    inputs.append(infer_input("in_BYTES", strings, "BYTES"))
    result = client.infer("identity_all_types", inputs)
    for dt, arr in sent.items():
        got = result.as_numpy(f"out_{dt}")
        assert got.shape == arr.shape, dt
        if dt == "BYTES":
            assert got.tolist() == arr.tolist()
        else:
            assert got.tobytes() == np.ascontiguousarray(arr).tobytes(), dt


def test_message_larger_than_grpc_default(client):
    x = np.random.default_rng(0).standard_normal((40000, 30)).astype(np.float32)  # 4.8 MB
    result = client.infer("logreg", [infer_input("float_input", x, "FP32")])
    assert result.as_numpy("output_probability").shape == (40000, 2)


@pytest.mark.parametrize(
    "make_inputs, model, code",
    [
        (lambda: [infer_input("nope", np.zeros((1, 4), np.float32), "FP32")], "random_forest",
         "INVALID_ARGUMENT"),
        (lambda: [infer_input("float_input", np.zeros((1, 4), np.float64), "FP64")],
         "random_forest", "INVALID_ARGUMENT"),
        (lambda: [infer_input("float_input", np.zeros((1, 5), np.float32), "FP32")],
         "random_forest", "INVALID_ARGUMENT"),
        (lambda: [infer_input("float_input", np.zeros((1, 4), np.float32), "FP32")],
         "no_such_model", "NOT_FOUND"),
    ],
)  # fmt: skip
def test_bad_requests_get_grpc_codes_and_server_keeps_serving(client, make_inputs, model, code):
    with pytest.raises(InferenceServerException) as e:
        client.infer(model, make_inputs())
    assert e.value.status() == f"StatusCode.{code}"
    assert e.value.message()
    assert client.infer("random_forest", [rf_input()]).as_numpy("output_label").shape == (3,)


def test_unknown_version_is_not_found(client):
    with pytest.raises(InferenceServerException) as e:
        client.infer("random_forest", [rf_input()], model_version="9")
    assert e.value.status() == "StatusCode.NOT_FOUND"


def test_typed_contents_are_accepted(stub):
    req = service_pb2.ModelInferRequest(model_name="random_forest")
    x = mem.sample_inputs("random_forest", n=2, seed=9)["float_input"]
    t = req.inputs.add(name="float_input", datatype="FP32", shape=list(x.shape))
    t.contents.fp32_contents.extend(x.ravel().tolist())
    resp = stub.ModelInfer(req)
    assert [o.name for o in resp.outputs] == ["output_label", "output_probability"]
    assert len(resp.raw_output_contents) == 2  # answered raw, one blob per output
    labels = np.frombuffer(resp.raw_output_contents[0], dtype=np.int64)
    assert labels.shape == (2,)


def test_raw_contents_count_mismatch_is_invalid(stub):
    req = service_pb2.ModelInferRequest(model_name="random_forest")
    req.inputs.add(name="float_input", datatype="FP32", shape=[1, 4])
    req.raw_input_contents.extend([b"\0" * 16, b"\0" * 16])
    with pytest.raises(grpc.RpcError) as e:
        stub.ModelInfer(req)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_raw_size_mismatch_is_invalid(stub):
    req = service_pb2.ModelInferRequest(model_name="random_forest")
    req.inputs.add(name="float_input", datatype="FP32", shape=[1, 4])
    req.raw_input_contents.append(b"\0" * 15)
    with pytest.raises(grpc.RpcError) as e:
        stub.ModelInfer(req)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_stream_infer_answers_each_request_and_reports_errors_in_band(server):
    client = grpcclient.InferenceServerClient(server.grpc_target)
    answers = queue.Queue()
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    n = 20
    for k in range(n):
        client.async_stream_infer("random_forest", [rf_input(seed=k)], request_id=f"ok-{k}")
    client.async_stream_infer("random_forest", [infer_input("nope", np.zeros((1, 4), np.float32), "FP32")],
                              request_id="bad")  # fmt: skip
    client.async_stream_infer("random_forest", [rf_input()], request_id="after-bad")
    client.stop_stream()  # waits for the server to finish the stream
    client.close()
    ok, errors = set(), []
    while not answers.empty():
        result, error = answers.get_nowait()
        if error is not None:
            errors.append(str(error))
        else:
            ok.add(result.get_response().id)
            assert result.as_numpy("output_probability").shape == (3, 3)
    assert ok == {f"ok-{k}" for k in range(n)} | {"after-bad"}
    assert len(errors) == 1 and "nope" in errors[0]
