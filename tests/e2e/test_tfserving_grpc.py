"""TF Serving's gRPC API (PredictionService, ModelService), driven with the
tensorflow-serving-api package's own generated stubs and messages."""
from __future__ import annotations

import shutil
import subprocess

import grpc
import ml_dtypes
import numpy as np
import pytest
import tfserving_stubs as tfs
from e2e_lib import REPO_ROOT, copy_models, mem
from google.protobuf import descriptor_pb2, descriptor_pool
from tfserving_stubs import (
    classification_pb2,
    example_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_management_pb2,
    predict_pb2,
    regression_pb2,
    tensor_pb2,
    types_pb2,
)

NP_OF_TF = {
    types_pb2.DT_FLOAT: np.dtype(np.float32),
    types_pb2.DT_DOUBLE: np.dtype(np.float64),
    types_pb2.DT_INT32: np.dtype(np.int32),
    types_pb2.DT_UINT8: np.dtype(np.uint8),
    types_pb2.DT_INT16: np.dtype(np.int16),
    types_pb2.DT_INT8: np.dtype(np.int8),
    types_pb2.DT_INT64: np.dtype(np.int64),
    types_pb2.DT_BOOL: np.dtype(np.bool_),
    types_pb2.DT_BFLOAT16: np.dtype(ml_dtypes.bfloat16),
    types_pb2.DT_UINT16: np.dtype(np.uint16),
    types_pb2.DT_HALF: np.dtype(np.float16),
    types_pb2.DT_UINT32: np.dtype(np.uint32),
    types_pb2.DT_UINT64: np.dtype(np.uint64),
}
TF_OF_NP = {v: k for k, v in NP_OF_TF.items()}
KSERVE_TO_TF = {
    "BOOL": types_pb2.DT_BOOL, "UINT8": types_pb2.DT_UINT8, "UINT16": types_pb2.DT_UINT16,
    "UINT32": types_pb2.DT_UINT32, "UINT64": types_pb2.DT_UINT64, "INT8": types_pb2.DT_INT8,
    "INT16": types_pb2.DT_INT16, "INT32": types_pb2.DT_INT32, "INT64": types_pb2.DT_INT64,
    "FP16": types_pb2.DT_HALF, "FP32": types_pb2.DT_FLOAT, "FP64": types_pb2.DT_DOUBLE,
    "BF16": types_pb2.DT_BFLOAT16, "BYTES": types_pb2.DT_STRING,
}  # fmt: skip


# ------------------------------------------------------------------ helpers
def tensor_proto(arr: np.ndarray, dtype=None) -> tensor_pb2.TensorProto:
    """A TensorProto as tf.make_tensor_proto writes it: numbers in tensor_content."""
    arr = np.asarray(arr)
    tp = tensor_pb2.TensorProto()
    for d in arr.shape:
        tp.tensor_shape.dim.add(size=d)
    if arr.dtype == object:
        tp.dtype = types_pb2.DT_STRING
        tp.string_val.extend(v if isinstance(v, bytes) else str(v).encode() for v in arr.reshape(-1))
    else:
        tp.dtype = dtype if dtype is not None else TF_OF_NP[arr.dtype]
        tp.tensor_content = np.ascontiguousarray(arr).tobytes()
    return tp


# The typed field tf.make_ndarray reads for each dtype when tensor_content is empty.
TYPED_FIELD = {
    types_pb2.DT_FLOAT: "float_val", types_pb2.DT_DOUBLE: "double_val",
    types_pb2.DT_INT32: "int_val", types_pb2.DT_INT16: "int_val", types_pb2.DT_INT8: "int_val",
    types_pb2.DT_UINT8: "int_val", types_pb2.DT_UINT16: "int_val",
    types_pb2.DT_INT64: "int64_val", types_pb2.DT_UINT32: "uint32_val",
    types_pb2.DT_UINT64: "uint64_val", types_pb2.DT_BOOL: "bool_val",
    types_pb2.DT_HALF: "half_val", types_pb2.DT_BFLOAT16: "half_val",
}  # fmt: skip


def make_ndarray(tp: tensor_pb2.TensorProto, typed: bool = True) -> np.ndarray:
    """What tf.make_ndarray returns. TF Serving answers in the typed fields by
    default (typed=True asserts that); with --tfserving-tensor-content in
    tensor_content (typed=False)."""
    shape = [d.size for d in tp.tensor_shape.dim]
    if tp.dtype == types_pb2.DT_STRING:
        return np.array(list(tp.string_val), dtype=object).reshape(shape)
    dtype = NP_OF_TF[tp.dtype]
    if not typed:
        assert tp.tensor_content, "numeric outputs must come back in tensor_content"
        return np.frombuffer(tp.tensor_content, dtype=dtype).reshape(shape)
    assert not tp.tensor_content, "TF Serving answers in the typed fields, not tensor_content"
    values = list(getattr(tp, TYPED_FIELD[tp.dtype]))
    if tp.dtype in (types_pb2.DT_HALF, types_pb2.DT_BFLOAT16):
        return np.array(values, dtype=np.uint16).view(dtype).reshape(shape)
    return np.array(values, dtype=dtype).reshape(shape)


def predict_request(model, inputs: dict, version=None, label=None, signature=None,
                    output_filter=()) -> predict_pb2.PredictRequest:  # fmt: skip
    req = predict_pb2.PredictRequest()
    req.model_spec.name = model
    if version is not None:
        req.model_spec.version.value = version
    if label is not None:
        req.model_spec.version_label = label
    if signature is not None:
        req.model_spec.signature_name = signature
    for name, value in inputs.items():
        req.inputs[name].CopyFrom(value if isinstance(value, tensor_pb2.TensorProto)
                                  else tensor_proto(value))  # fmt: skip
    req.output_filter.extend(output_filter)
    return req


def example(features: dict) -> example_pb2.Example:
    ex = example_pb2.Example()
    for key, value in features.items():
        values = value if isinstance(value, (list, tuple, np.ndarray)) else [value]
        f = ex.features.feature[key]
        if isinstance(values[0], (bytes, str)):
            f.bytes_list.value.extend(v.encode() if isinstance(v, str) else v for v in values)
        elif isinstance(values[0], (int, np.integer)):
            f.int64_list.value.extend(int(v) for v in values)
        else:
            f.float_list.value.extend(float(v) for v in values)
    return ex


def columns_examples(X: np.ndarray) -> list:
    """One example per row, features f00.. f29 (natural order = column order)."""
    return [example({f"f{j:02d}": float(v) for j, v in enumerate(row)}) for row in X]


def expect_code(call, code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert info.value.code() == code, f"expected {code}, got {info.value.code()}: {info.value.details()}"
    assert info.value.details(), "the error must say why"
    return info.value.details()


@pytest.fixture(scope="module")
def channel(server):
    ch = grpc.insecure_channel(server.grpc_target, options=[
        ("grpc.max_receive_message_length", 2**31 - 1),
        ("grpc.max_send_message_length", 2**31 - 1)])  # fmt: skip
    grpc.channel_ready_future(ch).result(timeout=30)
    yield ch
    ch.close()


@pytest.fixture(scope="module")
def predict(channel):
    return tfs.prediction_service_pb2_grpc.PredictionServiceStub(channel)


@pytest.fixture(scope="module")
def models(channel):
    return tfs.model_service_pb2_grpc.ModelServiceStub(channel)


# --------------------------------------------------------------- the stubs
def test_stubs_are_tensorflow_serving_apis_own():
    assert tfs.check_real_stubs() == []
    assert predict_pb2.__file__.endswith("tensorflow_serving/apis/predict_pb2.py")


def _compare(ours: descriptor_pb2.FileDescriptorSet) -> list[str]:
    real = descriptor_pool.Default()
    problems = []

    def check_enum(e, full):
        r = real.FindEnumTypeByName(full)
        for v in e.value:
            if v.name.startswith("DO_NOT_USE"):
                continue  # a reserved value our tsl stand-in (see tfserving_stubs) lacks
            rv = r.values_by_name.get(v.name)
            if rv is None or rv.number != v.number:
                problems.append(f"enum {full}.{v.name} = {v.number}")

    def check_message(m, full):
        try:
            r = real.FindMessageTypeByName(full)
        except KeyError:
            problems.append(f"no message {full} in TF Serving's protos")
            return
        for f in m.field:
            rf = r.fields_by_number.get(f.number)
            ours_type = f.type_name.lstrip(".") or None
            real_type = (rf.message_type or rf.enum_type).full_name if rf and (
                rf.message_type or rf.enum_type) else None  # fmt: skip
            ours_oneof = m.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") else None
            real_oneof = rf.containing_oneof.name if rf and rf.containing_oneof else None
            if rf is None or (rf.name, rf.type, rf.is_repeated, real_type, real_oneof) != (
                    f.name, f.type, f.label == f.LABEL_REPEATED, ours_type, ours_oneof):
                problems.append(f"field {full}.{f.name} = {f.number}")
        for n in m.nested_type:
            check_message(n, f"{full}.{n.name}")
        for e in m.enum_type:
            check_enum(e, f"{full}.{e.name}")

    for fd in ours.file:
        if fd.name.startswith("google/"):
            continue
        for m in fd.message_type:
            check_message(m, f"{fd.package}.{m.name}")
        for e in fd.enum_type:
            check_enum(e, f"{fd.package}.{e.name}")
        for s in fd.service:
            rs = real.FindServiceByName(f"{fd.package}.{s.name}")
            for method in s.method:
                rm = rs.methods_by_name.get(method.name)
                if rm is None or (f".{rm.input_type.full_name}", f".{rm.output_type.full_name}") != (
                        method.input_type, method.output_type):  # fmt: skip
                    problems.append(f"rpc {s.name}.{method.name}")
    return problems


def test_our_protos_match_tf_servings(tmp_path):
    """proto/tf_*.proto: every package, message, field number, type, enum
    value and rpc is the one TF Serving's own stubs have."""
    protoc = shutil.which("protoc")
    assert protoc, "protoc (protobuf-compiler) is needed to read proto/*.proto"
    out = tmp_path / "ours.pb"
    subprocess.run([protoc, f"--proto_path={REPO_ROOT / 'proto'}", "--include_imports",
                    f"--descriptor_set_out={out}", "tf_serving_apis.proto"], check=True)  # fmt: skip
    import tensorflow.core.protobuf.meta_graph_pb2  # noqa: F401 - SignatureDef, TensorInfo
    from tensorflow_serving.apis import model_service_pb2, prediction_service_pb2  # noqa: F401

    ours = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    assert len([f for f in ours.file if f.name.startswith("tf_")]) == 3
    assert _compare(ours) == []


# ----------------------------------------------------------------- Predict
def test_predict_tensor_content_matches_onnxruntime(predict, ort_ref):
    X = mem.sample_inputs("logreg", n=5)["float_input"]
    resp = predict.Predict(predict_request("logreg", {"float_input": X}), timeout=30)
    ref = ort_ref("logreg").run({"float_input": X})
    assert set(resp.outputs) == {"output_label", "output_probability"}
    np.testing.assert_array_equal(make_ndarray(resp.outputs["output_label"]), ref["output_label"])
    np.testing.assert_allclose(make_ndarray(resp.outputs["output_probability"]),
                               ref["output_probability"], rtol=1e-5, atol=1e-6)  # fmt: skip
    assert resp.outputs["output_label"].dtype == types_pb2.DT_INT64
    assert resp.model_spec.name == "logreg"
    assert resp.model_spec.version.value == 1
    assert resp.model_spec.signature_name == "serving_default"


def test_predict_typed_values_broadcast_and_filter(predict, ort_ref):
    X = mem.sample_inputs("mlp_fp32", n=3)["x"]
    typed = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT)
    typed.tensor_shape.dim.add(size=3)
    typed.tensor_shape.dim.add(size=16)
    typed.float_val.extend(X.reshape(-1).tolist())
    resp = predict.Predict(predict_request("mlp_fp32", {"x": typed}, version=1,
                                           signature="serving_default", output_filter=["y"]))
    np.testing.assert_allclose(make_ndarray(resp.outputs["y"]), ort_ref("mlp_fp32").run({"x": X})["y"],
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    # One float_val value fills the whole shape.
    one = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[0.5])
    one.tensor_shape.dim.add(size=2)
    one.tensor_shape.dim.add(size=16)
    resp = predict.Predict(predict_request("mlp_fp32", {"x": one}))
    full = np.full((2, 16), 0.5, dtype=np.float32)
    np.testing.assert_allclose(make_ndarray(resp.outputs["y"]),
                               ort_ref("mlp_fp32").run({"x": full})["y"], rtol=1e-5, atol=1e-6)


def test_predict_strings(predict, ort_ref):
    inputs = mem.sample_inputs("string_pipeline", n=6)
    resp = predict.Predict(predict_request("string_pipeline", inputs))
    ref = ort_ref("string_pipeline").run(inputs)
    assert resp.outputs["output_label"].dtype == types_pb2.DT_STRING
    got = [v.decode() for v in make_ndarray(resp.outputs["output_label"]).reshape(-1)]
    assert got == [str(v) for v in ref["output_label"].reshape(-1)]


def _identity_inputs(n=2, d=3):
    rng = np.random.default_rng(1)
    out = {}
    for dt in mem.ALL_DATATYPES:
        if dt == "BYTES":
            out[dt] = np.array([[f"s{i}{j}-é" for j in range(d)] for i in range(n)], dtype=object)
        elif dt == "BOOL":
            out[dt] = rng.integers(0, 2, (n, d)).astype(bool)
        elif dt in ("FP16", "FP32", "FP64", "BF16"):
            np_dt = np.dtype(ml_dtypes.bfloat16) if dt == "BF16" else np.dtype(dt.replace("FP", "float"))
            out[dt] = rng.standard_normal((n, d)).astype(np_dt)
        else:
            info = np.iinfo(np.dtype(dt.lower()))
            out[dt] = rng.integers(info.min, info.max, (n, d), dtype=np.dtype(dt.lower()),
                                   endpoint=True)  # fmt: skip
    return out


def test_predict_every_dtype_both_ways(predict):
    """identity_all_types: every dtype in tensor_content, then in its typed field."""
    values = _identity_inputs()
    resp = predict.Predict(predict_request(
        "identity_all_types", {f"in_{dt}": v for dt, v in values.items()}))  # fmt: skip
    for dt, v in values.items():
        out = resp.outputs[f"out_{dt}"]
        assert out.dtype == KSERVE_TO_TF[dt], dt
        got = make_ndarray(out)
        if dt == "BYTES":
            assert [x.decode() for x in got.reshape(-1)] == list(v.reshape(-1)), dt
        else:
            np.testing.assert_array_equal(got, v, err_msg=dt)

    typed = {}
    for dt, v in values.items():
        tp = tensor_pb2.TensorProto(dtype=KSERVE_TO_TF[dt])
        for d in v.shape:
            tp.tensor_shape.dim.add(size=d)
        flat = v.reshape(-1)
        if dt == "BYTES":
            tp.string_val.extend(x.encode() for x in flat)
        elif dt == "BOOL":
            tp.bool_val.extend(bool(x) for x in flat)
        elif dt in ("FP16", "BF16"):
            tp.half_val.extend(int(x) for x in flat.view(np.uint16))
        elif dt == "FP32":
            tp.float_val.extend(float(x) for x in flat)
        elif dt == "FP64":
            tp.double_val.extend(float(x) for x in flat)
        elif dt == "INT64":
            tp.int64_val.extend(int(x) for x in flat)
        elif dt == "UINT32":
            tp.uint32_val.extend(int(x) for x in flat)
        elif dt == "UINT64":
            tp.uint64_val.extend(int(x) for x in flat)
        else:
            tp.int_val.extend(int(x) for x in flat)
        typed[f"in_{dt}"] = tp
    resp = predict.Predict(predict_request("identity_all_types", typed))
    for dt, v in values.items():
        got = make_ndarray(resp.outputs[f"out_{dt}"])
        if dt != "BYTES":
            np.testing.assert_array_equal(got, v, err_msg=f"typed {dt}")


# ------------------------------------------------------ metadata and status
def test_get_model_metadata(predict):
    req = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    req.model_spec.name = "logreg"
    resp = predict.GetModelMetadata(req)
    assert resp.model_spec.name == "logreg"
    assert resp.model_spec.version.value == 1
    anyval = resp.metadata["signature_def"]
    assert anyval.type_url == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    sigs = get_model_metadata_pb2.SignatureDefMap()
    assert anyval.Unpack(sigs)
    sig = sigs.signature_def["serving_default"]
    assert sig.method_name == "tensorflow/serving/predict"
    x = sig.inputs["float_input"]
    assert x.name == "float_input"
    assert x.dtype == types_pb2.DT_FLOAT
    assert [d.size for d in x.tensor_shape.dim] == [-1, 30]
    assert sig.outputs["output_label"].dtype == types_pb2.DT_INT64
    assert [d.size for d in sig.outputs["output_probability"].tensor_shape.dim] == [-1, 2]

    bad = get_model_metadata_pb2.GetModelMetadataRequest()
    bad.model_spec.name = "logreg"
    expect_code(lambda: predict.GetModelMetadata(bad), grpc.StatusCode.INVALID_ARGUMENT)
    bad.metadata_field.append("nope")
    expect_code(lambda: predict.GetModelMetadata(bad), grpc.StatusCode.INVALID_ARGUMENT)


def test_get_model_status(models):
    req = get_model_status_pb2.GetModelStatusRequest()
    req.model_spec.name = "gbr"
    resp = models.GetModelStatus(req)
    assert len(resp.model_version_status) == 1
    st = resp.model_version_status[0]
    assert st.version == 1
    assert st.state == get_model_status_pb2.ModelVersionStatus.AVAILABLE
    assert st.status.error_code == 0 and st.status.error_message == ""
    req.model_spec.version.value = 1
    assert models.GetModelStatus(req).model_version_status[0].version == 1
    req.model_spec.version.value = 7
    expect_code(lambda: models.GetModelStatus(req), grpc.StatusCode.NOT_FOUND)
    req.model_spec.version_label = "stable"
    assert "version string 'stable'" in expect_code(lambda: models.GetModelStatus(req),
                                                      grpc.StatusCode.NOT_FOUND)  # fmt: skip
    req = get_model_status_pb2.GetModelStatusRequest()
    req.model_spec.name = "no_such_model"
    expect_code(lambda: models.GetModelStatus(req), grpc.StatusCode.NOT_FOUND)


def test_unimplemented_rpcs(predict, models):
    expect_code(lambda: predict.MultiInference(inference_pb2.MultiInferenceRequest()),
                grpc.StatusCode.UNIMPLEMENTED)  # fmt: skip
    expect_code(lambda: models.HandleReloadConfigRequest(model_management_pb2.ReloadConfigRequest()),
                grpc.StatusCode.UNIMPLEMENTED)  # fmt: skip


# ------------------------------------------------------- Classify, Regress
def test_classify_columns_and_labels(predict, ort_ref):
    X = mem.sample_inputs("logreg", n=4)["float_input"]
    req = classification_pb2.ClassificationRequest()
    req.model_spec.name = "logreg"
    req.input.example_list.examples.extend(columns_examples(X))
    resp = predict.Classify(req)
    probs = ort_ref("logreg").run({"float_input": X})["output_probability"]
    assert len(resp.result.classifications) == 4
    for row, c in zip(probs, resp.result.classifications):
        assert [k.label for k in c.classes] == ["0", "1"]
        np.testing.assert_allclose([k.score for k in c.classes], row, rtol=1e-5, atol=1e-6)
    assert resp.model_spec.version.value == 1


def test_classify_by_name_with_context(predict, ort_ref):
    req = classification_pb2.ClassificationRequest()
    req.model_spec.name = "string_pipeline"
    ctx = req.input.example_list_with_context
    ctx.context.CopyFrom(example({"x": [0.25]}))
    ctx.examples.extend([example({"city": "tokyo"}), example({"city": "oslo", "x": [-3.0]})])
    resp = predict.Classify(req)
    ref = ort_ref("string_pipeline").run({
        "city": np.array([["tokyo"], ["oslo"]], dtype=object),
        "x": np.array([[0.25], [-3.0]], dtype=np.float32)})  # fmt: skip
    for row, c in zip(ref["output_probability"], resp.result.classifications):
        assert [k.label for k in c.classes] == ["high", "low"]
        np.testing.assert_allclose([k.score for k in c.classes], row, rtol=1e-5, atol=1e-6)


def test_regress(predict, ort_ref):
    X = mem.sample_inputs("gbr", n=3)["float_input"]
    req = regression_pb2.RegressionRequest()
    req.model_spec.name = "gbr"
    req.input.example_list.examples.extend(columns_examples(X))
    resp = predict.Regress(req)
    ref = ort_ref("gbr").run({"float_input": X})["variable"].reshape(-1)
    np.testing.assert_allclose([r.value for r in resp.result.regressions], ref, rtol=1e-5)


def test_classify_and_regress_errors(predict):
    X = mem.sample_inputs("gbr", n=2)["float_input"]
    creq = classification_pb2.ClassificationRequest()
    creq.model_spec.name = "gbr"  # a regressor: no class scores
    creq.input.example_list.examples.extend(columns_examples(X))
    expect_code(lambda: predict.Classify(creq), grpc.StatusCode.INVALID_ARGUMENT)
    rreq = regression_pb2.RegressionRequest()
    rreq.model_spec.name = "logreg"  # a classifier: no regression output
    rreq.input.example_list.examples.extend(columns_examples(mem.sample_inputs("logreg", n=1)["float_input"]))
    expect_code(lambda: predict.Regress(rreq), grpc.StatusCode.INVALID_ARGUMENT)
    empty = regression_pb2.RegressionRequest()
    empty.model_spec.name = "gbr"
    expect_code(lambda: predict.Regress(empty), grpc.StatusCode.INVALID_ARGUMENT)
    ragged = regression_pb2.RegressionRequest()
    ragged.model_spec.name = "gbr"
    ragged.input.example_list.examples.extend(columns_examples(X))
    del ragged.input.example_list.examples[1].features.feature["f03"]
    expect_code(lambda: predict.Regress(ragged), grpc.StatusCode.INVALID_ARGUMENT)
    # The server still answers.
    ok = regression_pb2.RegressionRequest()
    ok.model_spec.name = "gbr"
    ok.input.example_list.examples.extend(columns_examples(X))
    assert len(predict.Regress(ok).result.regressions) == 2


# ------------------------------------------------------------- bad input
def _bad_predicts():
    X = mem.sample_inputs("logreg", n=2)["float_input"]
    short = tensor_proto(X)
    short.tensor_content = short.tensor_content[:-4]
    few = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0, 2.0])
    few.tensor_shape.dim.add(size=2)
    few.tensor_shape.dim.add(size=30)
    complex64 = tensor_pb2.TensorProto(dtype=types_pb2.DT_COMPLEX64)
    complex64.tensor_shape.dim.add(size=1)
    unknown_rank = tensor_proto(X)
    unknown_rank.tensor_shape.unknown_rank = True
    I = grpc.StatusCode.INVALID_ARGUMENT  # noqa: E741
    N = grpc.StatusCode.NOT_FOUND
    return [
        ("wrong dtype", predict_request("logreg", {"float_input": X.astype(np.float64)}), I),
        ("short tensor_content", predict_request("logreg", {"float_input": short}), I),
        ("too few float_val", predict_request("logreg", {"float_input": few}), I),
        ("complex64", predict_request("logreg", {"float_input": complex64}), I),
        ("unknown rank", predict_request("logreg", {"float_input": unknown_rank}), I),
        ("wrong shape", predict_request("logreg", {"float_input": X[:, :29]}), I),
        ("unknown input", predict_request("logreg", {"float_input": X, "extra": X}), I),
        ("missing input", predict_request("logreg", {}), I),
        ("unknown output", predict_request("logreg", {"float_input": X}, output_filter=["nope"]), I),
        ("signature", predict_request("logreg", {"float_input": X}, signature="classify"), I),
        ("unknown model", predict_request("no_such_model", {"float_input": X}), N),
        ("unknown version", predict_request("logreg", {"float_input": X}, version=9), N),
        ("version label", predict_request("logreg", {"float_input": X}, label="canary"), N),
    ]


@pytest.mark.parametrize("case", _bad_predicts(), ids=lambda c: c[0])
def test_bad_predict_then_good(predict, case):
    _, req, code = case
    expect_code(lambda: predict.Predict(req), code)
    X = mem.sample_inputs("logreg", n=1)["float_input"]
    assert "output_label" in predict.Predict(predict_request("logreg", {"float_input": X})).outputs


def test_failed_model(inferd_factory, example_repo, tmp_path):
    repo = copy_models(example_repo, tmp_path / "repo", ["gbr"])
    mem.write_corrupt_model(mem.model_path(repo, "broken"))
    srv = inferd_factory(repo, ("--strict-readiness", "false"))
    with grpc.insecure_channel(srv.grpc_target) as ch:
        models = tfs.model_service_pb2_grpc.ModelServiceStub(ch)
        predict = tfs.prediction_service_pb2_grpc.PredictionServiceStub(ch)
        req = get_model_status_pb2.GetModelStatusRequest()
        req.model_spec.name = "broken"
        st = models.GetModelStatus(req, timeout=30).model_version_status[0]
        assert st.state == get_model_status_pb2.ModelVersionStatus.END
        assert st.status.error_code != 0 and st.status.error_message
        X = mem.sample_inputs("gbr", n=1)["float_input"]
        expect_code(lambda: predict.Predict(predict_request("broken", {"float_input": X})),
                    grpc.StatusCode.UNAVAILABLE)  # fmt: skip
        assert predict.Predict(predict_request("gbr", {"float_input": X})).outputs["variable"]


def test_tensor_content_on_request(example_repo, inferd_factory, ort_ref, tmp_path):
    """--tfserving-tensor-content: TF Serving's --enable_serialization_as_tensor_content."""
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    srv = inferd_factory(repo, ["--tfserving-tensor-content"])
    with grpc.insecure_channel(srv.grpc_target) as ch:
        stub = tfs.prediction_service_pb2_grpc.PredictionServiceStub(ch)
        X = mem.sample_inputs("logreg", n=3, seed=4)["float_input"]
        resp = stub.Predict(predict_request("logreg", {"float_input": X}), timeout=30)
    ref = ort_ref("logreg").run({"float_input": X})
    np.testing.assert_allclose(make_ndarray(resp.outputs["output_probability"], typed=False),
                               ref["output_probability"], rtol=1e-5, atol=1e-6)  # fmt: skip
    assert not resp.outputs["output_probability"].float_val
