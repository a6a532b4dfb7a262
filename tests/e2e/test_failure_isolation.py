"""A broken model fails alone, with its reason shown; the server still starts
and serves the good models. Readiness: with the default strict readiness,
/v2/health/ready is 200 only when every model in the repository is READY;
`--strict-readiness false` makes it 200 regardless of broken models."""
import json

import pytest
import requests

from e2e_lib import STARTUP_TIMEOUT_S, assert_error, copy_models, infer_json, mem, wait_until


@pytest.fixture
def broken_repo(example_repo, tmp_path):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg", "mlp_fp32"])
    mem.write_corrupt_model(mem.model_path(repo, "bad"))
    return repo


def index(base_url) -> dict:
    r = requests.post(base_url + "/v2/repository/index", timeout=10)  # empty body
    assert r.status_code == 200, r.content
    entries = r.json()
    assert isinstance(entries, list)
    return {e["name"]: e for e in entries}


def good_models_serve(base_url):
    for model in ("logreg", "mlp_fp32"):
        wait_until(
            lambda m=model: requests.get(f"{base_url}/v2/models/{m}/ready", timeout=5).status_code == 200,
            STARTUP_TIMEOUT_S, what=f"{model} ready",
        )  # fmt: skip
    r = infer_json(base_url, "logreg", mem.sample_inputs("logreg", n=2))
    assert r.status_code == 200, r.content
    r = infer_json(base_url, "mlp_fp32", mem.sample_inputs("mlp_fp32", n=2))
    assert r.status_code == 200, r.content


def bad_model_is_unavailable(base_url):
    r = requests.get(base_url + "/v2/models/bad/ready", timeout=10)
    assert_error(r, (400, 404, 503))
    entries = index(base_url)
    assert {"logreg", "mlp_fp32", "bad"} <= set(entries), entries
    bad = entries["bad"]
    assert bad["state"] == "UNAVAILABLE", bad
    assert isinstance(bad.get("reason"), str) and bad["reason"].strip(), bad
    assert entries["logreg"]["state"] == "READY", entries["logreg"]
    assert entries["mlp_fp32"]["state"] == "READY", entries["mlp_fp32"]
    r = infer_json(base_url, "bad", mem.sample_inputs("logreg", n=1))
    assert_error(r, (400, 404, 503))


def test_strict_readiness_default(inferd_factory, broken_repo):
    srv = inferd_factory(broken_repo, wait_for="live")
    good_models_serve(srv.base_url)
    bad_model_is_unavailable(srv.base_url)
    assert requests.get(srv.url("/v2/health/live"), timeout=10).status_code == 200
    r = requests.get(srv.url("/v2/health/ready"), timeout=10)
    assert r.status_code != 200, "a repository with a broken model is not ready (strict readiness)"


def test_strict_readiness_explicit_true(inferd_factory, broken_repo):
    srv = inferd_factory(broken_repo, ["--strict-readiness", "true"], wait_for="live")
    good_models_serve(srv.base_url)
    assert requests.get(srv.url("/v2/health/ready"), timeout=10).status_code != 200


def test_relaxed_readiness(inferd_factory, broken_repo):
    srv = inferd_factory(broken_repo, ["--strict-readiness", "false"], wait_for="live")
    srv.wait_http("/v2/health/ready")  # becomes 200 despite the broken model
    good_models_serve(srv.base_url)
    bad_model_is_unavailable(srv.base_url)


def test_index_with_ready_filter(inferd_factory, broken_repo):
    srv = inferd_factory(broken_repo, wait_for="live")
    good_models_serve(srv.base_url)
    r = requests.post(srv.url("/v2/repository/index"), data=json.dumps({"ready": True}), timeout=10)
    assert r.status_code == 200, r.content
    names = {e["name"] for e in r.json()}
    assert {"logreg", "mlp_fp32"} <= names
    assert "bad" not in names


def test_metadata_of_broken_model_is_an_error(inferd_factory, broken_repo):
    srv = inferd_factory(broken_repo, wait_for="live")
    good_models_serve(srv.base_url)
    r = requests.get(srv.url("/v2/models/bad"), timeout=10)
    assert_error(r, (400, 404, 503))


@pytest.mark.parametrize("content", [b"", b"\x08\x07\x12\x00garbage"])
def test_other_broken_files(inferd_factory, example_repo, tmp_path, content):
    """An empty file or a truncated protobuf are also isolated."""
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg", "mlp_fp32"])
    path = mem.model_path(repo, "bad")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    srv = inferd_factory(repo, ["--strict-readiness", "false"], wait_for="live")
    good_models_serve(srv.base_url)
    bad_model_is_unavailable(srv.base_url)
