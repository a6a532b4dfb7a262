"""Converted scikit-learn classifiers: the ZipMap output seq(map(label, float))
is served as FP32 [N, n_classes] in class-label order; results equal python
onnxruntime on the same model file."""
import numpy as np
import pytest
import requests

from e2e_lib import (as_str_array, binary_body, infer_json, infer_url, json_tensor, mem,
                     parse_infer_response, to_blob)  # fmt: skip

RTOL, ATOL = 1e-5, 1e-6


def check_classifier(header, outputs, ref, n, labels_are_strings=False):
    got = {o["name"]: o for o in header["outputs"]}
    assert set(got) == {"output_label", "output_probability"}
    prob_meta = got["output_probability"]
    assert prob_meta["datatype"] == "FP32"
    n_classes = ref["output_probability"].shape[1]
    assert prob_meta["shape"] == [n, n_classes]
    label_meta = got["output_label"]
    assert label_meta["shape"] == [n]
    if labels_are_strings:
        assert label_meta["datatype"] == "BYTES"
        assert list(as_str_array(outputs["output_label"])) == list(ref["output_label"])
    else:
        assert label_meta["datatype"] == "INT64"
        np.testing.assert_array_equal(outputs["output_label"], ref["output_label"])
    np.testing.assert_allclose(outputs["output_probability"], ref["output_probability"],
                               rtol=RTOL, atol=ATOL)  # fmt: skip


@pytest.mark.parametrize("model", ["logreg", "random_forest"])
@pytest.mark.parametrize("n", [1, 7])
def test_numeric_classifier_json(base_url, ort_ref, model, n):
    feeds = mem.sample_inputs(model, n=n, seed=n)
    r = infer_json(base_url, model, feeds)
    assert r.status_code == 200, r.content
    header, outputs = parse_infer_response(r)
    assert header["model_name"] == model
    assert header["model_version"] == "1"
    check_classifier(header, outputs, ort_ref(model).run(feeds), n)


@pytest.mark.parametrize("model", ["logreg", "random_forest"])
def test_numeric_classifier_binary(base_url, ort_ref, model):
    feeds = mem.sample_inputs(model, n=5, seed=11)
    x = feeds["float_input"]
    header = {
        "inputs": [{"name": "float_input", "shape": list(x.shape), "datatype": "FP32",
                    "parameters": {"binary_data_size": x.nbytes}}],
        "outputs": [{"name": "output_label", "parameters": {"binary_data": True}},
                    {"name": "output_probability", "parameters": {"binary_data": True}}],
    }  # fmt: skip
    body, headers = binary_body(header, [to_blob(x, "FP32")])
    r = requests.post(infer_url(base_url, model), data=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.content
    h, outputs = parse_infer_response(r)
    for o in h["outputs"]:
        assert "binary_data_size" in o.get("parameters", {}), o
    check_classifier(h, outputs, ort_ref(model).run(feeds), 5)


@pytest.mark.parametrize("binary_out", [False, True])
def test_string_pipeline(base_url, ort_ref, binary_out):
    feeds = mem.sample_inputs("string_pipeline", n=9, seed=3)
    outputs = [{"name": n, "parameters": {"binary_data": binary_out}}
               for n in ("output_label", "output_probability")]  # fmt: skip
    r = infer_json(base_url, "string_pipeline", feeds, outputs=outputs)
    assert r.status_code == 200, r.content
    header, got = parse_infer_response(r)
    check_classifier(header, got, ort_ref("string_pipeline").run(feeds), 9,
                     labels_are_strings=True)  # fmt: skip


def test_string_pipeline_binary_bytes_input(base_url, ort_ref):
    feeds = mem.sample_inputs("string_pipeline", n=6, seed=5)
    city_blob = to_blob(feeds["city"], "BYTES")
    header = {"inputs": [
        {"name": "city", "shape": [6, 1], "datatype": "BYTES",
         "parameters": {"binary_data_size": len(city_blob)}},
        json_tensor("x", feeds["x"], "FP32"),
    ]}  # fmt: skip
    body, headers = binary_body(header, [city_blob])
    r = requests.post(infer_url(base_url, "string_pipeline"), data=body, headers=headers,
                      timeout=30)  # fmt: skip
    assert r.status_code == 200, r.content
    h, got = parse_infer_response(r)
    check_classifier(h, got, ort_ref("string_pipeline").run(feeds), 6, labels_are_strings=True)


def test_zipmap_labels_match_metadata(base_url, ort_ref):
    for model in ("logreg", "random_forest", "string_pipeline"):
        meta = requests.get(f"{base_url}/v2/models/{model}", timeout=10).json()
        prob = next(o for o in meta["outputs"] if o["name"] == "output_probability")
        expected = [str(label) for label in ort_ref(model).class_labels["output_probability"]]
        assert prob["parameters"]["class_labels"] == expected, model


def test_probabilities_are_rows_of_distributions(base_url):
    feeds = mem.sample_inputs("random_forest", n=20, seed=2)
    r = infer_json(base_url, "random_forest", feeds)
    assert r.status_code == 200, r.content
    _, got = parse_infer_response(r)
    np.testing.assert_allclose(got["output_probability"].sum(axis=1), 1.0, rtol=0, atol=1e-5)


def test_large_batch_matches_reference(base_url, ort_ref):
    X, _ = mem.breast_cancer()
    feeds = {"float_input": X}
    r = infer_json(base_url, "logreg", feeds)
    assert r.status_code == 200, r.content
    header, got = parse_infer_response(r)
    check_classifier(header, got, ort_ref("logreg").run(feeds), len(X))
