"""The Python toolkit's clients (python/, imported from the wheel `make`
builds) against the real server: HTTP, asyncio and gRPC inference with numpy
and pandas, metadata, typed errors with the server's own messages, retries,
labels, the registry, batch jobs, API keys."""
from __future__ import annotations

import asyncio
import subprocess

import inferd  # the wheel make builds (build/python/site); make python-wheel
import numpy as np
import pytest
import requests
from e2e_lib import INFERD_BIN, OrtReference, copy_models, mem, wait_until


@pytest.fixture(scope="module")
def client(server):
    with inferd.Client(server.base_url, retries=0) as c:
        yield c


def expected(example_repo, name: str, feeds: dict) -> dict:
    return OrtReference(mem.model_path(example_repo, name)).run(feeds)


def test_health_and_metadata(client):
    assert client.is_live() and client.is_ready()
    assert client.is_model_ready("logreg")
    assert not client.is_model_ready("logreg", version=99)
    meta = client.model_metadata("logreg")
    assert meta["name"] == "logreg" and meta["inputs"][0]["name"] == "float_input"
    assert "binary_tensor_data" in client.server_metadata()["extensions"]


@pytest.mark.parametrize("binary", [None, True, False])
def test_predict_numpy_matches_onnxruntime(client, example_repo, binary):
    x = mem.sample_inputs("logreg", n=64)["float_input"]
    want = expected(example_repo, "logreg", {"float_input": x.astype(np.float32)})
    # float64 rows: the client casts them to the model's FP32
    result = client.infer("logreg", x.astype(np.float64), binary=binary)
    assert result.model_name == "logreg" and result.model_version == "1"
    for name, value in want.items():
        np.testing.assert_allclose(result[name], value, rtol=1e-6, atol=1e-6)
    one = client.predict("logreg", x.astype(np.float32), outputs=["output_label"])
    np.testing.assert_array_equal(one, want["output_label"])


def test_predict_dataframe_in_and_out(client, example_repo):
    import pandas as pd

    feeds = mem.sample_inputs("string_pipeline", n=20)
    frame = pd.DataFrame({"city": feeds["city"].reshape(-1), "x": feeds["x"].reshape(-1)},
                         index=range(100, 120))
    out = client.predict("string_pipeline", frame)
    assert isinstance(out, pd.DataFrame) and list(out.index) == list(range(100, 120))
    want = expected(example_repo, "string_pipeline", feeds)
    assert [v.decode() for v in out["output_label"]] == want["output_label"].tolist()
    probabilities = out[[c for c in out.columns if c.startswith("output_probability_")]].to_numpy()
    np.testing.assert_allclose(probabilities, want["output_probability"], rtol=1e-5)


def test_typed_errors_carry_the_servers_message(client):
    with pytest.raises(inferd.NotFoundError) as e:
        client.predict("no_such_model", {"x": np.zeros((1, 2), np.float32)})
    assert e.value.status == 404 and "no_such_model" in e.value.message
    with pytest.raises(inferd.InvalidInputError) as bad:
        client.infer("logreg", {"float_input": np.zeros((2, 3), np.float32)})
    assert bad.value.status == 400 and "float_input" in bad.value.message
    with pytest.raises(inferd.InferdError, match="pass a dict"):
        client.predict("string_pipeline", np.zeros((1, 2), np.float32))


def test_503_is_retried_then_raised(inferd_factory, example_repo, tmp_path):
    """Loading a model outside explicit mode answers 503 every time: the
    client tries 1 + retries times, honouring the back-off, then raises
    with the server's message. The access log counts the attempts."""
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    log = tmp_path / "access.log"
    srv = inferd_factory(repo, ["--access-log", str(log)])
    with inferd.Client(srv.base_url, retries=2, backoff=0.01) as c:
        with pytest.raises(inferd.UnavailableError) as e:
            c.load_model("logreg")
        assert "explicit" in e.value.message

    def attempts() -> int:
        text = log.read_text() if log.exists() else ""
        return sum('"status":503' in line for line in text.splitlines())

    wait_until(lambda: attempts() == 3, 10, what="three attempts in the access log")


def test_unreachable_and_timeout():
    with pytest.raises(inferd.ConnectionError):
        inferd.Client("http://127.0.0.1:9", retries=1, backoff=0.01).is_live()


def test_async_client_concurrent(server, example_repo):
    x = mem.sample_inputs("logreg", n=40)["float_input"].astype(np.float32)
    want = expected(example_repo, "logreg", {"float_input": x})["output_label"]

    async def run():
        async with inferd.AsyncClient(server.base_url) as c:
            assert await c.is_ready()
            rows = await asyncio.gather(*(c.predict("logreg", x[i:i + 1], outputs=["output_label"])
                                          for i in range(len(x))))
            return np.concatenate(rows)

    np.testing.assert_array_equal(asyncio.run(run()), want)


def test_grpc_client(server, example_repo):
    x = mem.sample_inputs("logreg", n=16)["float_input"]
    want = expected(example_repo, "logreg", {"float_input": x.astype(np.float32)})
    with inferd.GrpcClient(server.grpc_target) as c:
        assert c.is_live() and c.is_ready() and c.is_model_ready("logreg")
        assert c.model_metadata("logreg")["inputs"][0]["datatype"] == "FP32"
        result = c.infer("logreg", x)
        for name, value in want.items():
            np.testing.assert_allclose(result[name], value, rtol=1e-6, atol=1e-6)
        strings = mem.sample_inputs("string_pipeline", n=5)
        out = c.infer("string_pipeline", strings)
        want_strings = expected(example_repo, "string_pipeline", strings)
        assert [v.decode() for v in out["output_label"]] == want_strings["output_label"].tolist()
        with pytest.raises(inferd.NotFoundError):
            c.predict("no_such_model", {"x": np.zeros((1, 2), np.float32)})


def test_tritonclient_and_toolkit_in_one_process(server):
    """The toolkit's gRPC messages live under their own proto package, so
    tritonclient's (package inference) load beside them."""
    import tritonclient.grpc as triton

    assert triton.InferenceServerClient(server.grpc_target).is_server_live()
    with inferd.GrpcClient(server.grpc_target) as c:
        assert c.is_live()


def test_labels_and_versions(inferd_factory, example_repo, tmp_path):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    (repo / "logreg" / "2").mkdir()
    (repo / "logreg" / "2" / "model.onnx").write_bytes(
        (repo / "logreg" / "1" / "model.onnx").read_bytes())
    (repo / "logreg" / "config.pbtxt").write_text(
        'name: "logreg"\nversion_policy { all {} }\n')
    srv = inferd_factory(repo)
    with inferd.Client(srv.base_url) as c:
        wait_until(lambda: c.is_model_ready("logreg", 2), 30, what="version 2")
        c.set_label("logreg", "stable", 1)
        x = mem.sample_inputs("logreg", n=2)["float_input"]
        assert c.infer("logreg", x, version="stable").model_version == "1"
        assert c.infer("logreg", x, version=2).model_version == "2"
        c.remove_label("logreg", "stable")
        with pytest.raises(inferd.NotFoundError):
            c.infer("logreg", x, version="stable")


def test_registry_upload_stage_alias(inferd_factory, example_repo, tmp_path):
    empty = tmp_path / "empty-repo"
    empty.mkdir()
    srv = inferd_factory(empty)
    onnx = mem.model_path(example_repo, "logreg").read_bytes()
    with inferd.Client(srv.base_url) as c:
        record = c.upload_version("churn", onnx, description="first")
        assert record["version"] == "1" and record["description"] == "first"
        c.set_version_tag("churn", 1, "team", "risk")
        c.log_metric("churn", 1, "auc", 0.97)
        c.set_stage("churn", 1, "Production")
        c.set_alias("churn", "champion", 1)
        got = c.model_version("churn", 1)
        assert got["current_stage"] == "Production" and "champion" in got["aliases"]
        assert {"key": "team", "value": "risk"} in got["tags"]
        assert [v["version"] for v in c.model_versions("churn")] == ["1"]
        wait_until(lambda: c.is_model_ready("churn@champion"), 30, what="churn served")
        x = mem.sample_inputs("logreg", n=3)["float_input"]
        assert c.predict("churn@champion", x, outputs=["output_label"]).shape == (3,)
        with pytest.raises(inferd.InferdError) as e:
            c.upload_version("churn", b"not onnx")
        assert e.value.status == 400


def test_jobs(inferd_factory, example_repo, tmp_path):
    import pandas as pd

    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    srv = inferd_factory(repo)  # its own server: jobs write beside the repository
    x = mem.sample_inputs("logreg", n=30)["float_input"]
    want = expected(example_repo, "logreg", {"float_input": x.astype(np.float32)})
    with inferd.Client(srv.base_url) as c:
        job = c.submit_job("logreg", x)
        done = c.wait_job(job["id"], timeout=120)
        assert done["request_counts"] == {"total": 30, "completed": 30, "failed": 0}
        table = c.job_results(job["id"], as_frame=True)
        assert isinstance(table, pd.DataFrame) and table["row"].tolist() == list(range(30))
        np.testing.assert_array_equal(np.array(table["output_label"].tolist()).reshape(-1),
                                      want["output_label"])
        csv = tmp_path / "rows.csv"
        pd.DataFrame(x[:5], columns=[f"f{i}" for i in range(30)]).to_csv(csv, index=False)
        up = c.submit_job("logreg", file=csv, output_format="csv")
        c.wait_job(up["id"], timeout=120)
        assert c.job_results(up["id"], raw=True).decode().count("\n") == 6
        assert any(j["id"] == up["id"] for j in c.jobs())
        c.delete_job(up["id"])
        with pytest.raises(inferd.NotFoundError):
            c.job(up["id"])
        # A malformed row fails alone; the job completes.
        mixed = c.submit_job("logreg", [x[0].tolist(), [1.0, 2.0]])
        done = c.wait_job(mixed["id"], timeout=60)
        assert done["request_counts"] == {"total": 2, "completed": 1, "failed": 1}
        rows = c.job_results(mixed["id"])
        assert "prediction" in rows[0] and rows[1]["error"]["status"] == 400
        with pytest.raises(inferd.NotFoundError):
            c.submit_job("no_such_model", [[1.0]])


def test_api_keys_and_jwts(inferd_factory, example_repo, tmp_path):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    db = tmp_path / "keys.db"
    key = subprocess.run([str(INFERD_BIN), "keys", "create", "--db", str(db), "--name", "py",
                          "--roles", "infer,read"], capture_output=True, text=True,
                         check=True).stdout.strip()
    from test_security import AUDIENCE, ISSUER, SECRET, claims, make_jwt

    secret = tmp_path / "hs256.secret"
    secret.write_text(SECRET + "\n")
    srv = inferd_factory(repo, ["--api-keys", "--keys-db", str(db), "--jwt-issuer", ISSUER,
                                "--jwt-audience", AUDIENCE, "--jwt-hs256-secret-file",
                                str(secret)])
    x = mem.sample_inputs("logreg", n=2)["float_input"]
    with inferd.Client(srv.base_url, token=make_jwt(claims())) as c:
        assert c.predict("logreg", x, outputs=["output_label"]).shape == (2,)
        assert c.model_metadata("logreg")["name"] == "logreg"
    with inferd.Client(srv.base_url, token=make_jwt(claims(exp=1))) as c:
        with pytest.raises(inferd.UnauthorizedError):
            c.is_model_ready("logreg")  # a refused credential raises, not "not ready"
    with inferd.GrpcClient(srv.grpc_target, token=make_jwt(claims())) as g:
        assert g.predict("logreg", x, outputs=["output_label"]).shape == (2,)
    with inferd.Client(srv.base_url, api_key=key) as c:
        assert c.predict("logreg", x, outputs=["output_label"]).shape == (2,)
    with inferd.Client(srv.base_url, api_key="ik_k_aaaaaaaaaaaa_" + "b" * 52) as c:
        with pytest.raises(inferd.UnauthorizedError):
            c.predict("logreg", x)
    with inferd.GrpcClient(srv.grpc_target, api_key=key) as g:
        assert g.predict("logreg", x, outputs=["output_label"]).shape == (2,)
    with inferd.GrpcClient(srv.grpc_target) as g:
        with pytest.raises(inferd.UnauthorizedError):
            g.predict("logreg", x)
    assert requests.get(srv.url("/v2/health/live"), timeout=5).status_code == 200


def test_tls_and_mutual_tls(inferd_factory, example_repo, tmp_path):
    """The clients over HTTPS and gRPC with TLS, trusting the test CA and
    presenting a client certificate; without one the server refuses."""
    from tls_pki import Pki

    pki = Pki(tmp_path / "pki")
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    srv = inferd_factory(repo, pki.server_args("required"))
    x = mem.sample_inputs("logreg", n=2)["float_input"]
    with inferd.Client(srv.https_base_url, verify=pki.ca_file, cert=pki.pair("alice")) as c:
        assert c.predict("logreg", x, outputs=["output_label"]).shape == (2,)
    with inferd.Client(srv.https_base_url, verify=pki.ca_file, retries=0) as c:
        with pytest.raises(inferd.ConnectionError):
            c.predict("logreg", x)
    with inferd.Client(srv.https_base_url, retries=0) as c:  # the system's CAs only
        with pytest.raises(inferd.ConnectionError):
            c.is_live()
    read = lambda stem, ext: open(pki.path(stem, ext), "rb").read()  # noqa: E731
    with inferd.GrpcClient(f"127.0.0.1:{srv.grpcs_port}", root_certificates=read("ca", "crt"),
                           private_key=read("alice", "key"),
                           certificate_chain=read("alice", "crt")) as g:
        assert g.predict("logreg", x, outputs=["output_label"]).shape == (2,)
