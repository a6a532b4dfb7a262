"""Changing what serves while running, through every admin surface:
TorchServe's management routes, inferd's label routes, and the `inferd models`
CLI, each against the real binary in explicit mode."""

import json
import subprocess

import pytest
import requests

from e2e_lib import INFERD_BIN, copy_models
from lifecycle_lib import LOGREG_INPUT, copy_version, index_state

EXPLICIT = ["--model-control-mode=explicit", "--load-model=*"]


@pytest.fixture
def two_versions(tmp_path, example_repo, inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg", "mlp_fp32"])
    copy_version(repo / "logreg", 1, 2)
    (repo / "logreg" / "config.pbtxt").write_text(
        'version_policy { all {} }\nversion_labels { key: "stable" value: 1 }\n')
    return repo, inferd_factory(repo, EXPLICIT)


def answer_version(server, version=""):
    v = f"/versions/{version}" if version else ""
    r = requests.post(server.url(f"/v2/models/logreg{v}/infer"),
                      data=json.dumps({"inputs": [LOGREG_INPUT]}), timeout=30)
    return r.status_code, (r.json().get("model_version") if r.status_code == 200 else r.json())


def test_torchserve_management_lists_describes_and_pages(two_versions):
    _, server = two_versions
    r = requests.get(server.url("/models"), timeout=10)
    assert r.status_code == 200
    assert [m["modelName"] for m in r.json()["models"]] == ["logreg", "mlp_fp32"]
    assert "nextPageToken" not in r.json()
    page = requests.get(server.url("/models?limit=1"), timeout=10).json()
    assert [m["modelName"] for m in page["models"]] == ["logreg"]
    rest = requests.get(server.url(f"/models?limit=1&next_page_token={page['nextPageToken']}"),
                        timeout=10).json()
    assert [m["modelName"] for m in rest["models"]] == ["mlp_fp32"]

    described = requests.get(server.url("/models/logreg"), timeout=10).json()
    assert [d["modelVersion"] for d in described] == ["2"]  # the default: the highest
    assert described[0]["status"] == "READY" and described[0]["workers"]
    every = requests.get(server.url("/models/logreg/all"), timeout=10).json()
    assert [d["modelVersion"] for d in every] == ["1", "2"]
    one = requests.get(server.url("/models/logreg/1"), timeout=10).json()
    assert [d["modelVersion"] for d in one] == ["1"]
    for path in ("/models/nope", "/models/logreg/9", "/models/logreg/x"):
        r = requests.get(server.url(path), timeout=10)
        assert r.status_code == 404 and {"code", "type", "message"} <= set(r.json()), path
    far = requests.get(server.url("/models?next_page_token=9223372036854775807"), timeout=10)
    assert far.status_code == 200 and far.json()["models"] == []
    r = requests.get(server.url("/models?limit=x"), timeout=10)
    assert r.status_code == 400 and r.json()["code"] == 400


def test_set_default_and_unregister_a_version(two_versions):
    _, server = two_versions
    assert answer_version(server) == (200, "2")
    r = requests.put(server.url("/models/logreg/1/set-default"), timeout=10)
    assert r.status_code == 200
    assert r.json()["status"] == 'Default version successfully updated for model "logreg" to "1"'
    assert answer_version(server) == (200, "1")
    assert requests.get(server.url("/models/logreg"), timeout=10).json()[0]["modelVersion"] == "1"

    r = requests.delete(server.url("/models/logreg/1"), timeout=10)
    assert r.status_code == 403 and "default" in r.json()["message"]
    r = requests.put(server.url("/models/logreg/9/set-default"), timeout=10)
    assert r.status_code == 404

    requests.put(server.url("/models/logreg/2/set-default"), timeout=10).raise_for_status()
    r = requests.delete(server.url("/models/logreg/1"), timeout=10)
    assert r.status_code == 200, r.text
    assert index_state(server, "logreg", 1) == {"name": "logreg", "version": "1",
                                                "state": "UNAVAILABLE", "reason": "unloaded"}
    assert answer_version(server, "1")[0] == 503
    assert answer_version(server) == (200, "2")
    # Loading the model again brings the version back.
    requests.post(server.url("/v2/repository/models/logreg/load"), timeout=60).raise_for_status()
    assert answer_version(server, "1") == (200, "1")


def test_labels_set_and_removed_through_the_api(two_versions):
    _, server = two_versions
    base = server.url("/v2/repository/models/logreg/labels")
    assert answer_version(server, "stable") == (200, "1")  # from the config
    r = requests.put(f"{base}/canary", data=json.dumps({"version": 2}), timeout=10)
    assert r.status_code == 200, r.text
    assert answer_version(server, "canary") == (200, "2")
    r = requests.post(server.url("/v1/models/logreg/labels/canary:predict"),
                      data=json.dumps({"instances": [[0.5] * 30]}), timeout=10)
    assert r.status_code == 200
    # Move a config label through the API: the API wins.
    requests.put(f"{base}/stable", data=json.dumps({"version": "2"}), timeout=10).raise_for_status()
    assert answer_version(server, "stable") == (200, "2")

    cases = [
        (requests.put, f"{base}/canary", {"version": 7}, 400),      # not a ready version
        (requests.put, f"{base}/canary", {"versio": 1}, 400),       # no version
        (requests.put, f"{base}/12", {"version": 1}, 400),          # a number is not a label
        (requests.put, f"{base}/bad%20label", {"version": 1}, 400),
        (requests.put, server.url("/v2/repository/models/nope/labels/x"), {"version": 1}, 404),
    ]
    for method, url, body, code in cases:
        r = method(url, data=json.dumps(body), timeout=10)
        assert r.status_code == code, (url, body, r.text)
        assert "error" in r.json()
    assert requests.delete(f"{base}/canary", timeout=10).status_code == 200
    assert answer_version(server, "canary")[0] == 404
    assert requests.delete(f"{base}/canary", timeout=10).status_code == 404
    # Removing the API's "stable" lets the config's show through again.
    assert requests.delete(f"{base}/stable", timeout=10).status_code == 200
    assert answer_version(server, "stable") == (200, "1")
    # Labels and the default survive an unload and a load.
    requests.put(f"{base}/canary", data=json.dumps({"version": 1}), timeout=10).raise_for_status()
    requests.post(server.url("/v2/repository/models/logreg/unload"), timeout=60).raise_for_status()
    requests.post(server.url("/v2/repository/models/logreg/load"), timeout=60).raise_for_status()
    assert answer_version(server, "canary") == (200, "1")


def run_cli(*args):
    return subprocess.run([str(INFERD_BIN), "models", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_lists_loads_labels_and_unloads(two_versions, tmp_path):
    repo, server = two_versions
    url = ["--url", server.base_url]
    out = run_cli(*url, "list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["MODEL", "VERSION", "STATE", "REASON"]
    assert any(line.split()[:3] == ["logreg", "2", "READY"] for line in lines)

    out = run_cli(*url, "label", "logreg", "canary", "1")
    assert out.returncode == 0, out.stderr
    assert answer_version(server, "canary") == (200, "1")
    out = run_cli(*url, "default", "logreg", "1")
    assert out.returncode == 0, out.stderr
    assert answer_version(server) == (200, "1")

    config = tmp_path / "override.pbtxt"
    config.write_text("version_policy { specific { versions: 2 } }\n")
    out = run_cli(*url, "load", "logreg", "--config", str(config))
    assert out.returncode == 0, out.stderr
    assert index_state(server, "logreg", 1) is None  # only version 2 now
    assert answer_version(server) == (200, "2")

    out = run_cli(*url, "unload", "mlp_fp32")
    assert out.returncode == 0 and "unloaded mlp_fp32" in out.stdout
    out = run_cli(*url, "list", "--ready")
    assert "mlp_fp32" not in out.stdout

    bad = tmp_path / "bad.pbtxt"
    bad.write_text("version_policy { nonsense")
    for args, text in [
        (("load", "no_such_model"), "not in the model repository"),
        (("load", "logreg", "--config", str(bad)), ""),
        (("label", "logreg", "x", "9"), "not ready"),
    ]:
        out = run_cli(*url, *args)
        assert out.returncode == 1, (args, out.stdout)
        assert out.stderr.startswith("inferd models: ") and text in out.stderr, out.stderr
    out = run_cli("--url", "http://127.0.0.1:9", "list")
    assert out.returncode == 1 and "cannot reach the server" in out.stderr
    out = run_cli("--url", "ftp://x", "list")
    assert out.returncode == 1 and "http://" in out.stderr
