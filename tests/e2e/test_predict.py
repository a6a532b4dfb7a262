"""The seeds' simple JSON API: POST /predict with {"features": ...} as the
seed's FastAPI client sends it, model by X-Model / "model" / --default-model /
the only model, version by X-Model-Version; answers compared with python
onnxruntime; FastAPI's error shape {"detail": ...} for bad input."""
import numpy as np
import pytest
import requests

from e2e_lib import copy_models, mem

RTOL = 1e-5


def predict(url, body, model=None, version=None, **kwargs):
    headers = {}
    if model:
        headers["X-Model"] = model
    if version:
        headers["X-Model-Version"] = version
    return requests.post(f"{url}/predict", json=body, headers=headers, timeout=30, **kwargs)


def assert_detail(resp, status):
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert set(body) == {"detail"}, body
    return body["detail"]


@pytest.mark.parametrize("model", ["logreg", "random_forest"])
def test_one_row_as_the_seed_client_sends_it(base_url, ort_ref, model):
    feeds = mem.sample_inputs(model, n=1, seed=7)
    ref = ort_ref(model).run(feeds)
    r = predict(base_url, {"features": feeds["float_input"][0].tolist()}, model=model)
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"model", "version", "prediction", "probability"}
    assert body["model"] == model and body["version"] == "1"
    assert r.headers["X-Model-Version"] == "1"
    assert body["prediction"] == int(ref["output_label"][0])
    np.testing.assert_allclose(body["probability"], ref["output_probability"][0].max(), rtol=RTOL)


def test_rows_answer_predictions_probabilities_classes(base_url, ort_ref):
    feeds = mem.sample_inputs("random_forest", n=5, seed=8)
    ref_model = ort_ref("random_forest")
    ref = ref_model.run(feeds)
    r = predict(base_url, {"features": feeds["float_input"].tolist(), "model": "random_forest"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"model", "version", "predictions", "probabilities", "classes"}
    assert body["predictions"] == ref["output_label"].tolist()
    assert body["classes"] == ref_model.class_labels["output_probability"]
    np.testing.assert_allclose(body["probabilities"], ref["output_probability"], rtol=RTOL,
                               atol=1e-6)  # fmt: skip


def test_regressor(base_url, ort_ref):
    feeds = mem.sample_inputs("gbr", n=3, seed=1)
    expected = ort_ref("gbr").run(feeds)["variable"].reshape(-1)
    r = predict(base_url, {"features": feeds["float_input"][0].tolist()}, model="gbr")
    assert r.status_code == 200, r.content
    body = r.json()
    np.testing.assert_allclose(body["prediction"], expected[0], rtol=RTOL, atol=1e-4)
    assert body["probability"] is None
    r = predict(base_url, {"features": feeds["float_input"].tolist()}, model="gbr")
    assert r.status_code == 200, r.content
    np.testing.assert_allclose(r.json()["predictions"], expected, rtol=RTOL, atol=1e-4)
    assert r.json()["probabilities"] is None and r.json()["classes"] is None


def test_string_labels(base_url, ort_ref):
    feeds = mem.sample_inputs("string_pipeline", n=3, seed=4)
    ref = ort_ref("string_pipeline").run(feeds)
    city, x = str(feeds["city"][0, 0]), float(feeds["x"][0, 0])
    for features in ({"city": city, "x": x}, [city, x]):
        r = predict(base_url, {"features": features}, model="string_pipeline")
        assert r.status_code == 200, r.content
        assert r.json()["prediction"] == str(ref["output_label"][0])
        np.testing.assert_allclose(r.json()["probability"], ref["output_probability"][0].max(),
                                   rtol=RTOL)  # fmt: skip


def test_model_version_header(base_url):
    row = {"features": [5.1, 3.5, 1.4, 0.2]}
    for version in ("1", "v1"):
        r = predict(base_url, row, model="random_forest", version=version)
        assert r.status_code == 200, r.content
        assert r.headers["X-Model-Version"] == "1"
    for version in ("9", "v9"):
        detail = assert_detail(predict(base_url, row, model="random_forest", version=version), 404)
        assert isinstance(detail, str) and "9" in detail
    assert predict(base_url, row, model="random_forest").status_code == 200


@pytest.mark.parametrize(
    "body,status",
    [
        (b"{not json", 422),
        (b"[5.1, 3.5]", 422),
        ({}, 422),
        ({"features": "5.1,3.5"}, 422),
        ({"features": []}, 422),
        ({"features": [1.0, [2.0]]}, 422),
        ({"features": [1.0, 2.0, 3.0, 4.0], "model": 7}, 422),
        ({"features": [1.0, 2.0, 3.0]}, 400),
        ({"features": ["a", "b", "c", "d"]}, 400),
        ({"features": [[1.0, 2.0, 3.0, 4.0], [1.0]]}, 400),
    ],
)
def test_bad_input_gets_fastapi_errors(base_url, body, status):
    kwargs = {"data": body, "headers": {"X-Model": "random_forest",
                                        "Content-Type": "application/json"}} \
        if isinstance(body, bytes) else {"json": body, "headers": {"X-Model": "random_forest"}}
    r = requests.post(f"{base_url}/predict", timeout=30, **kwargs)
    detail = assert_detail(r, status)
    if status == 422:  # FastAPI's validation error list
        assert isinstance(detail, list) and detail[0]["loc"][0] == "body" and detail[0]["msg"]
    else:
        assert isinstance(detail, str) and detail
    assert predict(base_url, {"features": [5.1, 3.5, 1.4, 0.2]}, model="random_forest").ok


def test_unknown_model_and_no_model(base_url):
    row = {"features": [5.1, 3.5, 1.4, 0.2]}
    assert_detail(predict(base_url, row, model="nope"), 404)
    assert_detail(predict(base_url, {**row, "model": "nope"}), 404)
    detail = assert_detail(predict(base_url, row), 400)
    assert "random_forest" in detail
    assert predict(base_url, row, model="random_forest").ok


def test_default_model_and_only_model(tmp_path, example_repo, inferd_factory):
    row = {"features": [5.1, 3.5, 1.4, 0.2]}
    srv = inferd_factory(example_repo, extra_args=["--default-model", "random_forest"])
    r = predict(srv.base_url, row)
    assert r.status_code == 200, r.content
    assert r.json()["model"] == "random_forest"
    r = predict(srv.base_url, {"features": [0.0] * 30}, model="logreg")
    assert r.status_code == 200 and r.json()["model"] == "logreg"

    repo = copy_models(example_repo, tmp_path / "only", ["random_forest"])
    only = inferd_factory(repo)
    r = predict(only.base_url, row)
    assert r.status_code == 200, r.content
    assert r.json()["model"] == "random_forest"
