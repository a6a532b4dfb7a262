"""Clients' own programs, unmodified, against inferd (issue 11):

- tritonclient.http with request and response compression (gzip, deflate),
  and the errors Triton's clients and scripts match on, over HTTP and gRPC;
- the kserve SDK's REST clients, v1 and v2 (they parse health answers as JSON);
- TorchServe's documented curl calls (`curl -T file` sends PUT) and OPTIONS /;
- bodies the HTTP layer must refuse cleanly (corrupt gzip, unknown codings,
  decompression bombs), and JSON log lines that stay valid whatever bytes a
  client or a directory name brings.
"""
from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import zlib

import numpy as np
import pytest
import requests
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from e2e_lib import copy_models, mem
from tritonclient.utils import InferenceServerException

RTOL, ATOL = 1e-5, 1e-6


def _http_client(server) -> httpclient.InferenceServerClient:
    return httpclient.InferenceServerClient(server.host_port)


def _logreg_inputs(module, n=4, seed=3):
    x = mem.sample_inputs("logreg", n=n, seed=seed)["float_input"]
    inp = module.InferInput("float_input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    return x, [inp]


# ---------------------------------------------------------------- compression
@pytest.mark.parametrize("request_alg", [None, "gzip", "deflate"])
@pytest.mark.parametrize("response_alg", [None, "gzip", "deflate"])
def test_tritonclient_compression(server, ort_ref, request_alg, response_alg):
    client = _http_client(server)
    x, inputs = _logreg_inputs(httpclient)
    result = client.infer("logreg", inputs, request_compression_algorithm=request_alg,
                          response_compression_algorithm=response_alg)  # fmt: skip
    ref = ort_ref("logreg").run({"float_input": x})
    np.testing.assert_allclose(result.as_numpy("output_probability"), ref["output_probability"],
                               rtol=RTOL, atol=ATOL)  # fmt: skip
    np.testing.assert_array_equal(result.as_numpy("output_label"), ref["output_label"])


def _infer_body(n=2):
    x = mem.sample_inputs("logreg", n=n, seed=1)["float_input"]
    return json.dumps({"inputs": [{"name": "float_input", "shape": list(x.shape), "datatype": "FP32",
                                   "data": x.reshape(-1).tolist()}]}).encode()  # fmt: skip


def test_answers_are_compressed_when_asked(base_url):
    body = _infer_body()
    for coding, decode in (("gzip", gzip.decompress), ("deflate", zlib.decompress)):
        r = requests.post(f"{base_url}/v2/models/logreg/infer", data=body, stream=True, timeout=30,
                          headers={"Accept-Encoding": coding})  # fmt: skip
        raw = r.raw.read(decode_content=False)
        assert r.status_code == 200
        assert r.headers["Content-Encoding"] == coding
        assert json.loads(decode(raw))["model_name"] == "logreg"
    plain = requests.post(f"{base_url}/v2/models/logreg/infer", data=body, timeout=30,
                          headers={"Accept-Encoding": "identity"})  # fmt: skip
    assert "Content-Encoding" not in plain.headers and plain.json()["model_name"] == "logreg"


def test_compressed_bodies_on_every_protocol(base_url):
    rows = mem.sample_inputs("logreg", n=2, seed=2)["float_input"].tolist()
    calls = [
        ("/v1/models/logreg:predict", {"instances": rows}),
        ("/predictions/logreg", {"data": rows}),
        ("/invocations", {"inputs": rows}),
        ("/predict", {"features": rows}),
    ]
    for path, payload in calls:
        plain = requests.post(base_url + path, json=payload, headers={"X-Model": "logreg"}, timeout=30)
        assert plain.status_code == 200, (path, plain.text)
        for coding, encode in (("gzip", gzip.compress), ("deflate", zlib.compress)):
            r = requests.post(base_url + path, data=encode(json.dumps(payload).encode()), timeout=30,
                              headers={"Content-Encoding": coding, "Content-Type": "application/json",
                                       "X-Model": "logreg"})  # fmt: skip
            assert r.status_code == 200, (path, coding, r.text)
            assert r.json() == plain.json(), (path, coding)


def test_bad_encodings_are_refused_and_the_server_serves_on(base_url):
    url = f"{base_url}/v2/models/logreg/infer"
    good = gzip.compress(_infer_body())
    corrupt = good[:10] + bytes(b ^ 0x5A for b in good[10:40]) + good[40:]
    for data, headers, status, words in [
        (good[: len(good) // 2], {"Content-Encoding": "gzip"}, 400, "cannot decompress the gzip"),
        (corrupt, {"Content-Encoding": "gzip"}, 400, "cannot decompress the gzip"),
        (b"plain text", {"Content-Encoding": "deflate"}, 400, "cannot decompress the deflate"),
        (good, {"Content-Encoding": "br"}, 415, "unsupported Content-Encoding 'br'"),
    ]:
        r = requests.post(url, data=data, headers=headers, timeout=30)
        assert r.status_code == status, (headers, r.text)
        assert words in r.json()["error"], r.text
    assert requests.post(url, data=good, headers={"Content-Encoding": "gzip"}, timeout=30).status_code == 200


def test_the_body_limit_applies_to_the_decompressed_size(example_repo, inferd_factory, tmp_path):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    srv = inferd_factory(repo, ["--max-body-bytes", "100000"])
    bomb = gzip.compress(b" " * (50 << 20))  # 50 MiB of spaces in about 50 KB
    assert len(bomb) < 100000
    r = requests.post(srv.url("/v2/models/logreg/infer"), data=bomb, timeout=60,
                      headers={"Content-Encoding": "gzip"})  # fmt: skip
    assert r.status_code == 413, r.text
    assert "100000" in r.json()["error"]
    ok = requests.post(srv.url("/v2/models/logreg/infer"), data=gzip.compress(_infer_body()),
                       headers={"Content-Encoding": "gzip"}, timeout=30)  # fmt: skip
    assert ok.status_code == 200, ok.text


# ------------------------------------------------------------ Triton's words
def test_triton_error_texts_over_http_and_grpc(server):
    http = _http_client(server)
    grpc_client = grpcclient.InferenceServerClient(server.grpc_target)
    for client, module, not_found in ((http, httpclient, "404"),
                                      (grpc_client, grpcclient, "StatusCode.NOT_FOUND")):  # fmt: skip
        _, inputs = _logreg_inputs(module)
        with pytest.raises(InferenceServerException) as e:
            client.get_model_metadata("no_such_model")
        assert e.value.message().startswith("Request for unknown model: 'no_such_model' is not found")
        assert e.value.status() == not_found
        with pytest.raises(InferenceServerException) as e:
            client.infer("no_such_model", inputs)
        assert e.value.message().startswith("Request for unknown model: 'no_such_model' is not found")
        with pytest.raises(InferenceServerException) as e:
            client.infer("logreg", inputs, model_version="7")
        assert e.value.message().startswith("Request for unknown model: 'logreg' version 7 is not found")
        assert e.value.status() == not_found
        with pytest.raises(InferenceServerException) as e:
            client.infer("logreg", inputs, model_version="no_such_label")
        assert e.value.message().startswith(
            "failed to get model version from specified version string 'no_such_label'")
        assert not client.is_model_ready("no_such_model")


def test_triton_load_errors(example_repo, inferd_factory, tmp_path):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    mem.write_corrupt_model(repo / "broken" / "1" / "model.onnx")
    srv = inferd_factory(repo, ["--model-control-mode", "explicit", "--load-model", "logreg"])
    for client in (_http_client(srv), grpcclient.InferenceServerClient(srv.grpc_target)):
        with pytest.raises(InferenceServerException) as e:
            client.load_model("no_such_model")
        assert e.value.message().startswith(
            "failed to load 'no_such_model', failed to poll from model repository"), e.value.message()
        assert e.value.status() in ("500", "StatusCode.INTERNAL")
        with pytest.raises(InferenceServerException) as e:
            client.load_model("broken")
        assert e.value.message().startswith("load failed for model 'broken': "), e.value.message()
        assert e.value.status() in ("400", "StatusCode.INVALID_ARGUMENT")
        with pytest.raises(InferenceServerException) as e:
            client.load_model("logreg", config="{not json")
        assert e.value.message().startswith(
            "failed to load 'logreg', failed to poll from model repository: Invalid config override"
        ), e.value.message()
        assert client.is_model_ready("logreg")  # a bad override changes nothing


# ------------------------------------------------------------ the kserve SDK
# The kserve SDK registers KServe's inference.* protobuf messages, as
# tritonclient.grpc does; one process cannot import both, so the SDK's client
# runs in a process of its own, as a user's program would.
KSERVE_PROGRAM = """
import asyncio, json, sys
import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig

base_url, rows = sys.argv[1], np.array(json.loads(sys.argv[2]), dtype=np.float32)

async def main():
    v2 = InferenceRESTClient(RESTConfig(protocol="v2", retries=0))
    inp = InferInput("float_input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows, binary_data=False)
    result = await v2.infer(base_url, InferRequest("logreg", [inp]), model_name="logreg")
    probs = next(o for o in result.outputs if o.name == "output_probability").as_numpy()
    v1 = InferenceRESTClient(RESTConfig(protocol="v1", retries=0))
    return {
        "v2_live": await v2.is_server_live(base_url),
        "v2_ready": await v2.is_server_ready(base_url),
        "v2_model_ready": await v2.is_model_ready(base_url, "logreg"),
        "v1_live": await v1.is_server_live(base_url),
        "v1_model_ready": await v1.is_model_ready(base_url, "logreg"),
        "probabilities": probs.tolist(),
    }

print(json.dumps(asyncio.run(main())))
"""


def test_kserve_rest_clients_v1_and_v2(base_url, ort_ref):
    x = mem.sample_inputs("logreg", n=3, seed=5)["float_input"]
    out = subprocess.run([sys.executable, "-c", KSERVE_PROGRAM, base_url, json.dumps(x.tolist())],
                         capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ("v2_live", "v2_ready", "v2_model_ready", "v1_live", "v1_model_ready"):
        assert got[key] is True, (key, got)
    np.testing.assert_allclose(np.array(got["probabilities"]),
                               ort_ref("logreg").run({"float_input": x})["output_probability"],
                               rtol=RTOL, atol=ATOL)  # fmt: skip


def test_health_and_v1_status_bodies(base_url):
    assert requests.get(f"{base_url}/v2/health/live", timeout=10).json() == {"live": True}
    assert requests.get(f"{base_url}/v2/health/ready", timeout=10).json() == {"ready": True}
    assert requests.get(f"{base_url}/v2/models/logreg/ready", timeout=10).json() == {
        "name": "logreg", "ready": True}
    assert requests.get(f"{base_url}/", timeout=10).json() == {"status": "alive"}
    status = requests.get(f"{base_url}/v1/models/logreg", timeout=10).json()
    assert status["name"] == "logreg" and status["ready"] is True
    assert status["model_version_status"][0]["state"] == "AVAILABLE"


# ---------------------------------------------------------------- TorchServe
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is installed by scripts/setup.sh")
def test_torchserve_curl_upload_sends_put(base_url, tmp_path, ort_ref):
    x = mem.sample_inputs("logreg", n=2, seed=9)["float_input"]
    body = tmp_path / "rows.json"
    body.write_text(json.dumps({"data": x.tolist()}))
    out = subprocess.run(["curl", "-sS", "-T", str(body), f"{base_url}/predictions/logreg"],
                         capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    answer = json.loads(out.stdout)
    posted = requests.post(f"{base_url}/predictions/logreg", json={"data": x.tolist()}, timeout=30)
    assert answer == posted.json()


def test_torchserve_options_describes_the_api(base_url):
    r = requests.options(f"{base_url}/", timeout=10)
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.") and "/predictions/{model}" in doc["paths"]
    assert "put" in doc["paths"]["/predictions/{model}"]


# ------------------------------------------------------------------- logs
def test_log_lines_stay_valid_json_with_invalid_utf8(example_repo, inferd_factory, tmp_path):
    """Bytes that are not UTF-8 reach the log from the file system: a repository
    path, and a config.pbtxt whose text the load error quotes."""
    repo = copy_models(example_repo, tmp_path / "caf\udcff-repo", ["logreg"])  # byte 0xFF
    bad = copy_models(example_repo, tmp_path / "other", ["logreg"]) / "logreg"
    shutil.copytree(bad, repo / "quoted")
    (repo / "quoted" / "config.pbtxt").write_bytes(b'name: "quo\xfeted\xc3"\n')
    srv = inferd_factory(repo, ["--strict-readiness", "false"])
    requests.post(srv.url("/v2/models/logreg/infer"), data=b"{}", timeout=10)
    raw = srv.stderr_path.read_bytes()
    lines = raw.decode("utf-8").splitlines()  # strict: every byte is UTF-8
    parsed = [json.loads(line) for line in lines if line.strip()]
    text = json.dumps(parsed, ensure_ascii=False)
    assert "caf\ufffd-repo" in text, raw[-3000:]
    assert "quo\ufffdted\ufffd" in text, raw[-3000:]
