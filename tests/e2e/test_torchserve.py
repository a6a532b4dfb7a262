"""TorchServe's inference API on the main port: /ping and /predictions with
every documented body shape (JSON rows, one row, {"data"}, {"instances"},
multipart field "data"), answers compared with python onnxruntime, and
TorchServe's error shape {"code", "type", "message"} for bad input."""
import json

import numpy as np
import pytest
import requests

from e2e_lib import copy_models, mem

RTOL, ATOL = 1e-5, 1e-6


def predictions_url(base_url, model, version=None):
    return f"{base_url}/predictions/{model}" + (f"/{version}" if version else "")


def assert_ts_error(resp, status, error_type):
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert set(body) == {"code", "type", "message"}, body
    assert body["code"] == status
    assert body["type"] == error_type
    assert isinstance(body["message"], str) and body["message"]
    return body["message"]


def check_probability_rows(answer, ref_probs, labels):
    assert isinstance(answer, list) and len(answer) == len(ref_probs)
    for row, ref in zip(answer, ref_probs):
        assert list(row) == [str(label) for label in labels]  # class order
        np.testing.assert_allclose([row[str(label)] for label in labels], ref, rtol=RTOL, atol=ATOL)


def test_ping_healthy(base_url):
    r = requests.get(f"{base_url}/ping", timeout=10)
    assert r.status_code == 200
    assert r.json() == {"status": "Healthy"}


def test_ping_unhealthy_while_a_model_is_broken(tmp_path, example_repo, inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    mem.write_corrupt_model(mem.model_path(repo, "broken"))
    srv = inferd_factory(repo, wait_for="live")
    r = requests.get(srv.url("/ping"), timeout=10)
    assert r.status_code == 500
    assert r.json() == {"status": "Unhealthy"}
    # the broken model answers 503; the good one still serves
    r = requests.post(srv.url("/predictions/broken"), json=[[1.0]], timeout=30)
    assert_ts_error(r, 503, "ServiceUnavailableException")
    r = requests.post(srv.url("/predictions/logreg"), json=[[0.0] * 30], timeout=30)
    assert r.status_code == 200, r.content
    # MLflow's /health and /predict see the same states
    assert requests.get(srv.url("/health"), timeout=10).status_code == 503
    r = requests.post(srv.url("/invocations"), json={"inputs": [[1.0]]},
                      headers={"X-Model": "broken"}, timeout=30)  # fmt: skip
    assert r.status_code == 503 and r.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    r = requests.post(srv.url("/predict"), json={"features": [1.0], "model": "broken"}, timeout=30)
    assert r.status_code == 503 and isinstance(r.json()["detail"], str)


@pytest.mark.parametrize("model", ["logreg", "random_forest"])
def test_classifier_rows_answer_label_to_probability(base_url, ort_ref, model):
    feeds = mem.sample_inputs(model, n=5, seed=3)
    ref = ort_ref(model)
    expected = ref.run(feeds)["output_probability"]
    rows = feeds["float_input"].tolist()
    r = requests.post(predictions_url(base_url, model), json=rows, timeout=30)
    assert r.status_code == 200, r.content
    check_probability_rows(r.json(), expected, ref.class_labels["output_probability"])


def test_every_body_shape_gives_the_same_answer(base_url, ort_ref):
    feeds = mem.sample_inputs("random_forest", n=3, seed=5)
    ref = ort_ref("random_forest")
    expected = ref.run(feeds)["output_probability"]
    labels = ref.class_labels["output_probability"]
    rows = feeds["float_input"].tolist()
    url = predictions_url(base_url, "random_forest")
    for body in ({"data": rows}, {"instances": rows}):
        r = requests.post(url, json=body, timeout=30)
        assert r.status_code == 200, (body, r.content)
        check_probability_rows(r.json(), expected, labels)
    # multipart/form-data with the JSON in the field "data", as curl -F sends it
    r = requests.post(url, files={"data": ("rows.json", json.dumps(rows), "application/json")},
                      timeout=30)  # fmt: skip
    assert r.status_code == 200, r.content
    check_probability_rows(r.json(), expected, labels)
    # a single row answers a single prediction
    for body in (rows[0], {"data": rows[0]}):
        r = requests.post(url, json=body, timeout=30)
        assert r.status_code == 200, r.content
        check_probability_rows([r.json()], expected[:1], labels)


def test_regressor_answers_its_output(base_url, ort_ref):
    feeds = mem.sample_inputs("gbr", n=4, seed=2)
    expected = ort_ref("gbr").run(feeds)["variable"].reshape(-1)
    r = requests.post(predictions_url(base_url, "gbr", "1"), json=feeds["float_input"].tolist(),
                      timeout=30)  # fmt: skip
    assert r.status_code == 200, r.content
    np.testing.assert_allclose(r.json(), expected, rtol=RTOL, atol=1e-4)
    r = requests.post(predictions_url(base_url, "gbr"), json=feeds["float_input"][0].tolist(),
                      timeout=30)  # fmt: skip
    assert r.status_code == 200, r.content
    assert isinstance(r.json(), float)
    np.testing.assert_allclose(r.json(), expected[0], rtol=RTOL, atol=1e-4)


def test_string_pipeline_named_rows(base_url, ort_ref):
    feeds = mem.sample_inputs("string_pipeline", n=4, seed=1)
    ref = ort_ref("string_pipeline")
    expected = ref.run(feeds)["output_probability"]
    records = [{"city": str(c), "x": float(x)} for c, x in zip(feeds["city"][:, 0], feeds["x"][:, 0])]
    r = requests.post(predictions_url(base_url, "string_pipeline"), json=records, timeout=30)
    assert r.status_code == 200, r.content
    check_probability_rows(r.json(), expected, ref.class_labels["output_probability"])
    r = requests.post(predictions_url(base_url, "string_pipeline"), json=records[0], timeout=30)
    assert r.status_code == 200, r.content
    check_probability_rows([r.json()], expected[:1], ref.class_labels["output_probability"])


@pytest.mark.parametrize(
    "path,body,status,error_type",
    [
        ("/predictions/nope", [[1, 2, 3, 4]], 404, "ModelNotFoundException"),
        ("/predictions/random_forest/9", [[1, 2, 3, 4]], 404, "ModelNotFoundException"),
        ("/predictions/random_forest", b"[[1, 2", 400, "BadRequestException"),
        ("/predictions/random_forest", [], 400, "BadRequestException"),
        ("/predictions/random_forest", [[1, 2, 3]], 400, "BadRequestException"),
        ("/predictions/random_forest", [["a", 2, 3, 4]], 400, "BadRequestException"),
        ("/predictions/random_forest", [[1, 2, 3, 4], [1, 2]], 400, "BadRequestException"),
        ("/predictions/string_pipeline", [{"city": 3, "x": 1.0}], 400, "BadRequestException"),
        ("/predictions/string_pipeline", [[1, 2, 3]], 400, "BadRequestException"),
    ],
)
def test_bad_input_gets_torchserve_errors(base_url, path, body, status, error_type):
    kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
    r = requests.post(base_url + path, timeout=30, **kwargs)
    assert_ts_error(r, status, error_type)
    ok = requests.post(predictions_url(base_url, "random_forest"), json=[[5.1, 3.5, 1.4, 0.2]],
                       timeout=30)  # fmt: skip
    assert ok.status_code == 200, ok.content


def test_multipart_without_data_field(base_url):
    r = requests.post(predictions_url(base_url, "random_forest"),
                      files={"other": ("x.json", "[[1, 2, 3, 4]]")}, timeout=30)  # fmt: skip
    msg = assert_ts_error(r, 400, "BadRequestException")
    assert "data" in msg
