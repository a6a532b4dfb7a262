"""Request body limit (--max-body-bytes -> 413) and failures inside the engine
(ONNX Runtime rejects valid-looking input at Run time); the server keeps serving."""
import json

import numpy as np
import pytest
import requests

from e2e_lib import assert_error, copy_models, infer_json, infer_url, mem, parse_infer_response

LIMIT = 1 << 20  # 1 MiB


def logreg_json_body(n_rows: int) -> bytes:
    X, _ = mem.breast_cancer()
    rows = np.resize(X, (n_rows, 30))
    body = {"inputs": [{"name": "float_input", "shape": [n_rows, 30], "datatype": "FP32",
                        "data": [float(v) for v in rows.reshape(-1)]}]}  # fmt: skip
    return json.dumps(body).encode()


@pytest.fixture
def limited_server(inferd_factory, example_repo, tmp_path):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    return inferd_factory(repo, ["--max-body-bytes", str(LIMIT)])


def small_request_ok(base_url):
    x = mem.sample_inputs("logreg", n=2, seed=1)
    r = infer_json(base_url, "logreg", x)
    assert r.status_code == 200, r.content


def test_json_body_over_limit_is_413(limited_server):
    body = logreg_json_body(6000)
    assert len(body) > 2 * LIMIT
    try:
        r = requests.post(infer_url(limited_server.base_url, "logreg"), data=body, timeout=60)
    except requests.ConnectionError as e:
        pytest.fail(f"connection dropped instead of an HTTP 413 answer: {e}")
    assert_error(r, 413)
    small_request_ok(limited_server.base_url)


def test_binary_body_over_limit_is_413(limited_server):
    n = (2 * LIMIT) // 120 + 1
    head = json.dumps({"inputs": [{"name": "float_input", "shape": [n, 30], "datatype": "FP32",
                                   "parameters": {"binary_data_size": n * 120}}]}).encode()  # fmt: skip
    body = head + bytes(n * 120)
    try:
        r = requests.post(infer_url(limited_server.base_url, "logreg"), data=body,
                          headers={"Inference-Header-Content-Length": str(len(head))},
                          timeout=60)  # fmt: skip
    except requests.ConnectionError as e:
        pytest.fail(f"connection dropped instead of an HTTP 413 answer: {e}")
    assert_error(r, 413)
    small_request_ok(limited_server.base_url)


def test_body_under_limit_is_served(limited_server):
    body = logreg_json_body(1000)
    assert LIMIT // 4 < len(body) < LIMIT
    r = requests.post(infer_url(limited_server.base_url, "logreg"), data=body, timeout=60)
    assert r.status_code == 200, r.content[:300]
    _, got = parse_infer_response(r)
    assert got["output_label"].shape == (1000,)


def test_default_limit_allows_a_few_mib(base_url):
    """The default limit (64 MiB) serves a ~3 MiB JSON request."""
    body = logreg_json_body(6000)
    r = requests.post(infer_url(base_url, "logreg"), data=body, timeout=120)
    assert r.status_code == 200, r.content[:300]


# ------------------------------------------------------------- engine errors
@pytest.fixture
def engine_fail_server(inferd_factory, example_repo, tmp_path):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg", "engine_fail"])
    return inferd_factory(repo)


def gather(base_url, x, indices):
    return infer_json(base_url, "engine_fail", {"x": x, "indices": np.asarray(indices, np.int64)})


def test_engine_failure_is_an_error_and_server_survives(engine_fail_server):
    base = engine_fail_server.base_url
    x = np.arange(8, dtype=np.float32).reshape(2, 4)

    r = gather(base, x, [3, 0])
    assert r.status_code == 200, r.content
    _, got = parse_infer_response(r)
    np.testing.assert_array_equal(got["y"], x[:, [3, 0]])

    for bad in ([0, 7], [-5], [2**40]):
        r = gather(base, x, bad)
        message = assert_error(r, (400, 500))
        assert message.strip(), "the engine's failure must be explained"

    r = gather(base, x, [1, 2])
    assert r.status_code == 200, r.content
    _, got = parse_infer_response(r)
    np.testing.assert_array_equal(got["y"], x[:, [1, 2]])
    small_request_ok(base)
    assert requests.get(base + "/v2/models/engine_fail/ready", timeout=10).status_code == 200
    assert requests.get(base + "/v2/health/ready", timeout=10).status_code == 200


def test_repeated_engine_failures(engine_fail_server):
    base = engine_fail_server.base_url
    x = np.ones((3, 4), dtype=np.float32)
    with requests.Session() as s:
        for _ in range(50):
            r = infer_json(base, "engine_fail", {"x": x, "indices": np.array([9], np.int64)},
                           session=s)  # fmt: skip
            assert_error(r, (400, 500))
        r = infer_json(base, "engine_fail", {"x": x, "indices": np.array([0], np.int64)}, session=s)
        assert r.status_code == 200, r.content
