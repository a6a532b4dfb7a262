"""One inference path: the same rows through every protocol give the same
numbers, bit for bit (every frontend translates into the same core request and
the same engine run; floats survive each wire format exactly as float32)."""
import grpc
import numpy as np
import pytest
import requests
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

import tfserving_stubs as tfs
from e2e_lib import mem

MODEL = "random_forest"
LABELS = ["0", "1", "2"]


@pytest.fixture(scope="module")
def rows():
    return mem.sample_inputs(MODEL, n=6, seed=42)["float_input"].astype(np.float32)


def kserve_http(server, rows, binary):
    client = httpclient.InferenceServerClient(server.host_port)
    inp = httpclient.InferInput("float_input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows, binary_data=binary)
    outs = [httpclient.InferRequestedOutput(n, binary_data=binary)
            for n in ("output_label", "output_probability")]  # fmt: skip
    r = client.infer(MODEL, [inp], outputs=outs)
    return r.as_numpy("output_label"), r.as_numpy("output_probability")


def kserve_grpc(server, rows):
    client = grpcclient.InferenceServerClient(server.grpc_target)
    inp = grpcclient.InferInput("float_input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows)
    r = client.infer(MODEL, [inp])
    return r.as_numpy("output_label"), r.as_numpy("output_probability")


def tf_rest_rows(server, rows):
    r = requests.post(server.url(f"/v1/models/{MODEL}:predict"),
                      json={"instances": rows.tolist()}, timeout=30)  # fmt: skip
    assert r.status_code == 200, r.text
    preds = r.json()["predictions"]
    return ([p["output_label"] for p in preds], [p["output_probability"] for p in preds])


def tf_rest_columns(server, rows):
    r = requests.post(server.url(f"/v1/models/{MODEL}:predict"),
                      json={"inputs": {"float_input": rows.tolist()}}, timeout=30)  # fmt: skip
    assert r.status_code == 200, r.text
    out = r.json()["outputs"]
    return out["output_label"], out["output_probability"]


def tf_grpc(server, rows):
    channel = grpc.insecure_channel(server.grpc_target)
    stub = tfs.prediction_service_pb2_grpc.PredictionServiceStub(channel)
    req = tfs.predict_pb2.PredictRequest()
    req.model_spec.name = MODEL
    tp = req.inputs["float_input"]
    tp.dtype = tfs.types_pb2.DT_FLOAT
    for d in rows.shape:
        tp.tensor_shape.dim.add(size=d)
    tp.tensor_content = rows.tobytes()
    resp = stub.Predict(req, timeout=30)
    channel.close()
    # TF Serving answers in the typed fields, as clients read them.
    label = np.array(resp.outputs["output_label"].int64_val, dtype=np.int64)
    prob = np.array(resp.outputs["output_probability"].float_val, dtype=np.float32)
    return label, prob.reshape(len(rows), -1)


def torchserve(server, rows):
    r = requests.post(server.url(f"/predictions/{MODEL}"), json=rows.tolist(), timeout=30)
    assert r.status_code == 200, r.text
    per_row = r.json()
    probs = [[row[label] for label in LABELS] for row in per_row]
    return np.argmax(probs, axis=1), probs


def mlflow_json(server, rows):
    body = {"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": rows.tolist()}}
    r = requests.post(server.url("/invocations"), json=body, headers={"X-Model": MODEL}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["predictions"], None


def mlflow_csv(server, rows):
    # repr() of a float32 widened to float64 round-trips to the same float32.
    text = "a,b,c,d\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in rows) + "\n"
    r = requests.post(server.url("/invocations"), data=text,
                      headers={"X-Model": MODEL, "Content-Type": "text/csv"}, timeout=30)  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()["predictions"], None


def simple_predict(server, rows):
    r = requests.post(server.url("/predict"), json={"model": MODEL, "features": rows.tolist()},
                      timeout=30)  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert [str(c) for c in body["classes"]] == LABELS
    return body["predictions"], body["probabilities"]


def test_every_protocol_gives_identical_numbers(server, rows, ort_ref):
    want_label, want_prob = kserve_http(server, rows, binary=True)
    ref = ort_ref(MODEL).run({"float_input": rows})
    np.testing.assert_array_equal(want_label, ref["output_label"])
    np.testing.assert_allclose(want_prob, ref["output_probability"], rtol=1e-6, atol=1e-7)

    answers = {
        "kserve http json": kserve_http(server, rows, binary=False),
        "kserve grpc": kserve_grpc(server, rows),
        "tf rest rows": tf_rest_rows(server, rows),
        "tf rest columns": tf_rest_columns(server, rows),
        "tf grpc": tf_grpc(server, rows),
        "torchserve": torchserve(server, rows),
        "mlflow json": mlflow_json(server, rows),
        "mlflow csv": mlflow_csv(server, rows),
        "predict": simple_predict(server, rows),
    }
    for protocol, (label, prob) in answers.items():
        np.testing.assert_array_equal(np.asarray(label, dtype=np.int64), want_label, err_msg=protocol)
        if prob is not None:
            got = np.asarray(prob, dtype=np.float32)
            assert got.tobytes() == want_prob.astype(np.float32).tobytes(), protocol
