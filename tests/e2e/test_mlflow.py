"""MLflow's scoring server on the main port: /invocations with MLflow's
documented JSON payloads (dataframe_split, dataframe_records, instances,
inputs, params) and CSV, answers compared with python onnxruntime; /health,
/version, /ping; errors {"error_code", "message"} with MLflow's statuses."""
import io

import numpy as np
import pytest
import requests

from e2e_lib import copy_models, mem

RTOL = 1e-5


def invoke(url, model=None, json=None, data=None, content_type=None, headers=None):
    h = dict(headers or {})
    if model:
        h["X-Model"] = model
    if content_type:
        h["Content-Type"] = content_type
    return requests.post(f"{url}/invocations", json=json, data=data, headers=h, timeout=30)


def assert_mlflow_error(resp, status, error_code="BAD_REQUEST"):
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert set(body) == {"error_code", "message"}, body
    assert body["error_code"] == error_code
    assert isinstance(body["message"], str) and body["message"]
    return body["message"]


def columns(n):
    return [f"f{i}" for i in range(n)]


def to_csv(header, rows):
    out = io.StringIO()
    out.write(",".join(header) + "\r\n")
    for row in rows:
        out.write(",".join(repr(float(v)) if not isinstance(v, str) else v for v in row) + "\r\n")
    return out.getvalue()


@pytest.mark.parametrize("model", ["logreg", "random_forest"])
def test_classifiers_answer_labels_in_every_format(base_url, ort_ref, model):
    feeds = mem.sample_inputs(model, n=6, seed=4)
    x = feeds["float_input"]
    expected = ort_ref(model).run(feeds)["output_label"].tolist()
    names = columns(x.shape[1])
    rows = x.tolist()
    payloads = [
        {"dataframe_split": {"columns": names, "data": rows}},
        {"dataframe_split": {"index": list(range(len(rows))), "columns": names, "data": rows}},
        {"dataframe_records": [dict(zip(names, row)) for row in rows]},
        {"instances": rows},
        {"instances": [{"float_input": row} for row in rows]},
        {"inputs": rows},
        {"inputs": {"float_input": rows}},
        {"inputs": rows, "params": {"ignored": 1}},
    ]  # fmt: skip
    for payload in payloads:
        r = invoke(base_url, model, json=payload)
        assert r.status_code == 200, (payload.keys(), r.content)
        assert r.json() == {"predictions": expected}, payload.keys()
    r = invoke(base_url, model, data=to_csv(names, rows), content_type="text/csv")
    assert r.status_code == 200, r.content
    assert r.json() == {"predictions": expected}


def test_regressor_answers_values(base_url, ort_ref):
    feeds = mem.sample_inputs("gbr", n=5, seed=6)
    expected = ort_ref("gbr").run(feeds)["variable"].reshape(-1)
    names = columns(10)
    r = invoke(base_url, "gbr",
               json={"dataframe_split": {"columns": names, "data": feeds["float_input"].tolist()}})
    assert r.status_code == 200, r.content
    np.testing.assert_allclose(r.json()["predictions"], expected, rtol=RTOL, atol=1e-4)
    r = invoke(base_url, "gbr", data=to_csv(names, feeds["float_input"]), content_type="text/csv")
    assert r.status_code == 200, r.content
    np.testing.assert_allclose(r.json()["predictions"], expected, rtol=RTOL, atol=1e-4)


def test_single_output_model_answers_a_list_per_row(base_url, ort_ref):
    feeds = mem.sample_inputs("mlp_fp32", n=3, seed=1)
    expected = ort_ref("mlp_fp32").run(feeds)["y"]
    r = invoke(base_url, "mlp_fp32", json={"inputs": feeds["x"].tolist()})
    assert r.status_code == 200, r.content
    np.testing.assert_allclose(np.array(r.json()["predictions"]), expected, rtol=1e-4, atol=1e-5)


def test_string_pipeline_by_column_name(base_url, ort_ref):
    feeds = mem.sample_inputs("string_pipeline", n=5, seed=2)
    expected = [str(v) for v in ort_ref("string_pipeline").run(feeds)["output_label"]]
    city = [str(c) for c in feeds["city"][:, 0]]
    x = [float(v) for v in feeds["x"][:, 0]]
    split = {"dataframe_split": {"columns": ["x", "city"], "data": [[b, a] for a, b in zip(city, x)]}}
    r = invoke(base_url, "string_pipeline", json=split)
    assert r.status_code == 200, r.content
    assert r.json() == {"predictions": expected}
    csv = "city,x\r\n" + "".join(f'"{c}",{v!r}\r\n' for c, v in zip(city, x))
    r = invoke(base_url, "string_pipeline", data=csv, content_type="text/csv; charset=utf-8")
    assert r.status_code == 200, r.content
    assert r.json() == {"predictions": expected}


def test_health_version_ping(base_url):
    assert requests.get(f"{base_url}/health", timeout=10).status_code == 200
    assert requests.get(f"{base_url}/ping", timeout=10).status_code == 200
    r = requests.get(f"{base_url}/version", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.text == requests.get(f"{base_url}/v2", timeout=10).json()["version"]


def test_unsupported_content_type_is_415(base_url):
    for content_type in ("text/plain", "application/xml"):
        r = invoke(base_url, "random_forest", data='{"inputs": [[1, 2, 3, 4]]}',
                   content_type=content_type)  # fmt: skip
        assert_mlflow_error(r, 415)
    r = requests.post(f"{base_url}/invocations", data=b"x", headers={"X-Model": "random_forest"},
                      timeout=30)  # fmt: skip
    assert_mlflow_error(r, 415)


ROW = [5.1, 3.5, 1.4, 0.2]


@pytest.mark.parametrize(
    "body,content_type,status,error_code",
    [
        (b'{"inputs": [[1, 2', "application/json", 400, "BAD_REQUEST"),
        (b"[]", "application/json", 400, "BAD_REQUEST"),
        (b"{}", "application/json", 400, "BAD_REQUEST"),
        (b'{"inputs": [[1, 2, 3, 4]], "instances": [[1, 2, 3, 4]]}', "application/json", 400,
         "BAD_REQUEST"),
        (b'{"inputs": [[1, 2, 3, 4]], "params": [1]}', "application/json", 400, "BAD_REQUEST"),
        (b'{"dataframe_split": {"columns": ["a"], "data": [["x"]]}}', "application/json", 400,
         "BAD_REQUEST"),
        (b'{"inputs": [[1, 2, 3]]}', "application/json", 400, "BAD_REQUEST"),
        (b"a,b,c,d\n1,2,,4\n", "text/csv", 400, "BAD_REQUEST"),
        (b'a,b,c,d\n1,2,"3\n', "text/csv", 400, "BAD_REQUEST"),
        (b"a,b,c,d\n1,2,3\n", "text/csv", 400, "BAD_REQUEST"),
        (b"", "text/csv", 400, "BAD_REQUEST"),
    ],
)  # fmt: skip
def test_bad_input_gets_mlflow_errors(base_url, body, content_type, status, error_code):
    r = invoke(base_url, "random_forest", data=body, content_type=content_type)
    assert_mlflow_error(r, status, error_code)
    ok = invoke(base_url, "random_forest", json={"inputs": [ROW]})
    assert ok.status_code == 200, ok.content


def test_model_selection_errors(base_url):
    # The example repository has several models: without X-Model none is chosen.
    r = invoke(base_url, json={"inputs": [ROW]})
    msg = assert_mlflow_error(r, 400)
    assert "random_forest" in msg and "X-Model" in msg
    assert_mlflow_error(invoke(base_url, "nope", json={"inputs": [ROW]}), 404,
                        "RESOURCE_DOES_NOT_EXIST")  # fmt: skip
    r = invoke(base_url, "random_forest", json={"inputs": [ROW]},
               headers={"X-Model-Version": "9"})  # fmt: skip
    assert_mlflow_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    ok = invoke(base_url, "random_forest", json={"inputs": [ROW]}, headers={"X-Model-Version": "1"})
    assert ok.status_code == 200, ok.content


def test_default_model_flag_and_only_model(tmp_path, example_repo, inferd_factory, ort_ref):
    feeds = mem.sample_inputs("random_forest", n=2, seed=9)
    expected = ort_ref("random_forest").run(feeds)["output_label"].tolist()
    body = {"inputs": feeds["float_input"].tolist()}
    srv = inferd_factory(example_repo, extra_args=["--default-model", "random_forest"])
    r = invoke(srv.base_url, json=body)
    assert r.status_code == 200, r.content
    assert r.json() == {"predictions": expected}
    # X-Model still wins over the default
    r = invoke(srv.base_url, "logreg", json={"inputs": [[0.0] * 30]})
    assert r.status_code == 200, r.content

    repo = copy_models(example_repo, tmp_path / "only", ["random_forest"])
    only = inferd_factory(repo)
    r = invoke(only.base_url, json=body)
    assert r.status_code == 200, r.content
    assert r.json() == {"predictions": expected}
