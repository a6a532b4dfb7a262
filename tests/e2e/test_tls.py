"""Transport security: TLS and mutual TLS on HTTP (--https-port) and gRPC
(--grpcs-port), beside the plain ports, driven with real clients (requests,
curl, tritonclient.http and .grpc, grpc with TF Serving's stubs). Handshakes
the server must refuse: a client certificate from another CA, an expired one,
none when one is required, TLS 1.1. Certificates replaced on disk (and
SIGHUP) reach new connections while clients keep inferring, with no failed
request; a broken new pair is refused and the old one kept."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import grpc
import numpy as np
import pytest
import requests
import tfserving_stubs as tfs
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from cryptography import x509
from e2e_lib import copy_models, infer_json, mem, parse_infer_response, wait_until
from tls_pki import Pki
from tritonclient.utils import InferenceServerException

ALICE_SUBJECT = "CN=alice,O=acme"  # RFC 2253: the most specific name first


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def repo(example_repo, tmp_path):
    return copy_models(example_repo, tmp_path / "repo", ["logreg"])


# ------------------------------------------------------------------ helpers
def tf_predict_request(X: np.ndarray):
    """A TF Serving PredictRequest for logreg with X as float_input (tensor_content)."""
    req = tfs.predict_pb2.PredictRequest()
    req.model_spec.name = "logreg"
    tp = req.inputs["float_input"]
    tp.dtype = tfs.types_pb2.DT_FLOAT
    for d in X.shape:
        tp.tensor_shape.dim.add(size=d)
    tp.tensor_content = X.tobytes()
    return req


def logreg_case(n=5, seed=0):
    X = mem.sample_inputs("logreg", n=n, seed=seed)["float_input"]
    return X


def grpc_file_args(pki: Pki, client: str | None = "alice") -> dict:
    """tritonclient.grpc's TLS arguments (it reads the files itself)."""
    args = {"ssl": True, "root_certificates": pki.ca_file}
    if client:
        args.update(private_key=pki.path(client, "key"), certificate_chain=pki.path(client, "crt"))
    return args


def grpc_credentials(pki: Pki, client: str | None = "alice", ca: str | None = None):
    def read(p):
        return Path(p).read_bytes()

    return grpc.ssl_channel_credentials(
        root_certificates=read(ca or pki.ca_file),
        private_key=read(pki.path(client, "key")) if client else None,
        certificate_chain=read(pki.path(client, "crt")) if client else None)  # fmt: skip


def peer_serial(port: int, pki: Pki, alpn: str | None = None) -> int:
    """The serial of the certificate a new TLS connection to `port` is shown."""
    ctx = ssl.create_default_context(cafile=pki.ca_file)
    ctx.load_cert_chain(*pki.pair("alice"))
    if alpn:
        ctx.set_alpn_protocols([alpn])
    with (socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
          ctx.wrap_socket(raw, server_hostname="localhost") as tls):
        der = tls.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der).serial_number


def tls_handshake(port: int, ctx: ssl.SSLContext) -> None:
    """Completes a handshake and one read (TLS 1.3 reports a refused client
    certificate only on the first read after the handshake)."""
    with (socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
          ctx.wrap_socket(raw, server_hostname="localhost") as tls):
        tls.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = tls.recv(1024)
        if not data:
            raise ConnectionError("the server closed the connection")


def access_lines(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except OSError:
        return []


def https_session(pki: Pki, client: str | None = "alice") -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE would win over s.verify
    s.verify = pki.ca_file
    if client:
        s.cert = pki.pair(client)
    return s


# ------------------------------------------------------------------ serving
def test_mutual_tls_with_real_clients_beside_plain(inferd_factory, repo, pki, ort_ref, tmp_path):
    log = tmp_path / "access.log"
    srv = inferd_factory(repo, [*pki.server_args("required"), "--access-log", str(log)])
    info = srv.serving()
    assert info["https_port"] > 0 and info["grpcs_port"] > 0
    X = logreg_case()
    ref = ort_ref("logreg").run({"float_input": X})["output_label"]

    # The plain ports still serve as before.
    assert requests.get(srv.url("/v2/health/ready"), timeout=10).status_code == 200
    plain = grpcclient.InferenceServerClient(srv.grpc_target)
    assert plain.is_server_ready()
    plain.close()

    # requests
    with https_session(pki) as s:
        r = infer_json(srv.https_base_url, "logreg", {"float_input": X}, session=s)
        assert r.status_code == 200, r.text
        assert np.array_equal(parse_infer_response(r)[1]["output_label"], ref)

    # tritonclient.http
    c = httpclient.InferenceServerClient(
        f"127.0.0.1:{srv.https_port}", ssl=True,
        ssl_options={"ca_certs": pki.ca_file, "certfile": pki.path("alice", "crt"),
                     "keyfile": pki.path("alice", "key")})  # fmt: skip
    inp = httpclient.InferInput("float_input", list(X.shape), "FP32")
    inp.set_data_from_numpy(X)
    assert np.array_equal(c.infer("logreg", [inp]).as_numpy("output_label"), ref)
    c.close()

    # tritonclient.grpc
    g = grpcclient.InferenceServerClient(f"127.0.0.1:{srv.grpcs_port}", **grpc_file_args(pki))
    ginp = grpcclient.InferInput("float_input", list(X.shape), "FP32")
    ginp.set_data_from_numpy(X)
    assert np.array_equal(g.infer("logreg", [ginp]).as_numpy("output_label"), ref)
    g.close()

    # grpc with TF Serving's own stubs
    with grpc.secure_channel(f"127.0.0.1:{srv.grpcs_port}", grpc_credentials(pki)) as ch:
        req = tf_predict_request(X)
        resp = tfs.prediction_service_pb2_grpc.PredictionServiceStub(ch).Predict(req, timeout=30)
        assert list(resp.outputs["output_label"].int64_val) == list(ref)

    # curl
    out = subprocess.run(
        ["curl", "-sS", "--cacert", pki.ca_file, "--cert", pki.path("alice", "crt"),
         "--key", pki.path("alice", "key"), "-o", "/dev/null", "-w", "%{http_code}",
         f"https://127.0.0.1:{srv.https_port}/v2/health/ready"],
        check=False, capture_output=True, text=True, timeout=30)  # fmt: skip
    assert out.stdout == "200", out.stderr

    # The verified subject reaches the request pipeline on both protocols.
    def peers():
        lines = access_lines(log)
        return {(l["protocol"], l.get("tls_peer")) for l in lines}

    wait_until(lambda: ("kserve-http", ALICE_SUBJECT) in peers()
               and ("kserve-grpc", ALICE_SUBJECT) in peers()
               and ("tfserving-grpc", ALICE_SUBJECT) in peers(),
               10, what=f"tls_peer in the access log: {peers()}")  # fmt: skip
    assert ("kserve-http", None) in peers()  # the plain request carries none


def test_handshakes_the_server_refuses(inferd_factory, repo, pki):
    srv = inferd_factory(repo, pki.server_args("required"))
    url = srv.https_base_url + "/v2/health/ready"

    # The client does not trust the server's CA.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, verify=pki.rogue_ca_file, cert=pki.pair("alice"), timeout=10)
    # Client certificates the server must refuse: another CA's, an expired
    # one, none at all.
    for cert in (pki.pair("mallory"), pki.pair("expired"), None):
        with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
            requests.get(url, verify=pki.ca_file, cert=cert, timeout=10)
    for client in ("mallory", "expired", None):
        ctx = ssl.create_default_context(cafile=pki.ca_file)
        if client:
            ctx.load_cert_chain(*pki.pair(client))
        with pytest.raises((ssl.SSLError, ConnectionError)):
            tls_handshake(srv.https_port, ctx)
    # The same over gRPC (tritonclient.grpc and TF Serving's stubs).
    for client in ("mallory", "expired", None):
        args = grpc_file_args(pki, client)
        if client == "mallory":
            args.update(private_key=pki.path("mallory", "key"),
                        certificate_chain=pki.path("mallory", "crt"))  # fmt: skip
        g = grpcclient.InferenceServerClient(f"127.0.0.1:{srv.grpcs_port}", **args)
        with pytest.raises(InferenceServerException):
            g.is_server_live(client_timeout=10)
        g.close()
        with grpc.secure_channel(f"127.0.0.1:{srv.grpcs_port}",
                                 grpc_credentials(pki, client)) as ch:  # fmt: skip
            with pytest.raises(grpc.RpcError) as e:
                tfs.model_service_pb2_grpc.ModelServiceStub(ch).GetModelStatus(
                    tfs.get_model_status_pb2.GetModelStatusRequest(), timeout=10)
            assert e.value.code() == grpc.StatusCode.UNAVAILABLE
    with grpc.secure_channel(f"127.0.0.1:{srv.grpcs_port}",
                             grpc_credentials(pki, "alice", ca=pki.rogue_ca_file)) as ch:  # fmt: skip
        with pytest.raises(grpc.RpcError) as e:
            tfs.model_service_pb2_grpc.ModelServiceStub(ch).GetModelStatus(
                tfs.get_model_status_pb2.GetModelStatusRequest(), timeout=10)
        assert e.value.code() == grpc.StatusCode.UNAVAILABLE

    # The server still serves a good client afterwards.
    assert requests.get(url, verify=pki.ca_file, cert=pki.pair("alice"), timeout=10).ok


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
@pytest.mark.parametrize("protocol", ["https", "grpcs"])
def test_tls_1_1_is_refused(inferd_factory, repo, pki, protocol):
    srv = inferd_factory(repo, pki.server_args(None))
    port = srv.https_port if protocol == "https" else srv.grpcs_port
    # The client must itself be able to speak TLS 1.1 (OpenSSL 3 allows it
    # only at security level 0), so the refusal is the server's.
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.load_verify_locations(pki.ca_file)
    old.minimum_version = ssl.TLSVersion.TLSv1_1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    new = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    new.load_verify_locations(pki.ca_file)
    new.maximum_version = ssl.TLSVersion.TLSv1_2
    if protocol == "grpcs":
        old.set_alpn_protocols(["h2"])
        new.set_alpn_protocols(["h2"])
    with (pytest.raises(ssl.SSLError) as e,
          socket.create_connection(("127.0.0.1", port), timeout=10) as raw):
        old.wrap_socket(raw, server_hostname="localhost")
    # OpenSSL (HTTPS) answers with a protocol_version alert; gRPC's TLS layer
    # closes the connection without one.
    refusals = ["PROTOCOL_VERSION", "UNSUPPORTED"] + (
        ["UNEXPECTED_EOF", "(EOF)"] if protocol == "grpcs" else [])
    assert any(r in str(e.value).upper() for r in refusals), e.value
    # The same client with TLS 1.2 gets in.
    with (socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
          new.wrap_socket(raw, server_hostname="localhost") as tls):
        assert tls.version() == "TLSv1.2"
        assert "GCM" in tls.cipher()[0] or "CHACHA20" in tls.cipher()[0]
        assert tls.compression() is None
    if protocol == "https":
        out = subprocess.run(
            ["curl", "-sS", "--cacert", pki.ca_file, "--tlsv1.1", "--tls-max", "1.1",
             "--ciphers", "DEFAULT:@SECLEVEL=0", f"https://127.0.0.1:{port}/v2/health/live"],
            check=False, capture_output=True, text=True, timeout=30)  # fmt: skip
        assert out.returncode != 0
        assert "alert protocol version" in out.stderr or "unsupported protocol" in out.stderr, out.stderr


def test_optional_client_certificates(inferd_factory, repo, pki, tmp_path):
    log = tmp_path / "access.log"
    srv = inferd_factory(repo, [*pki.server_args("optional"), "--access-log", str(log)])
    base = srv.https_base_url
    assert requests.get(base + "/v2/health/live", verify=pki.ca_file, timeout=10).ok
    assert requests.get(base + "/v2/models/logreg", verify=pki.ca_file,
                        cert=pki.pair("alice"), timeout=10).ok  # fmt: skip
    # A certificate that is sent is still verified.
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        requests.get(base + "/v2/health/live", verify=pki.ca_file, cert=pki.pair("mallory"),
                     timeout=10)  # fmt: skip
    g = grpcclient.InferenceServerClient(f"127.0.0.1:{srv.grpcs_port}",
                                         **grpc_file_args(pki, None))  # fmt: skip
    assert g.is_server_live()
    g.close()

    def routes():
        return {(l["route"], l.get("tls_peer")) for l in access_lines(log)}

    wait_until(lambda: ("/v2/models/{model}", ALICE_SUBJECT) in routes(), 10, what="access log")
    assert ("/v2/health/live", None) in routes()


def test_tls_only_and_http_features(inferd_factory, repo, pki):
    """Plain listeners off (-1); server-only TLS; keep-alive, gzip, 100-continue,
    and a 413 the client reads although it is still sending (lingering close)."""
    srv = inferd_factory(repo, ["--http-port", "-1", "--grpc-port", "-1",
                                "--max-body-bytes", "200000", *pki.server_args(None)],
                         wait_for=None)  # fmt: skip
    info = srv.serving()
    assert info["http_port"] == -1 and info["grpc_port"] == -1
    base = srv.https_base_url
    wait_until(lambda: requests.get(base + "/v2/health/ready", verify=pki.ca_file,
                                    timeout=5).status_code == 200, 30, what="ready over TLS")  # fmt: skip
    with https_session(pki, None) as s:
        for _ in range(3):  # one connection, kept alive
            r = s.get(base + "/v2/models/logreg", headers={"Accept-Encoding": "gzip"}, timeout=10)
            assert r.status_code == 200 and r.headers.get("Content-Encoding") == "gzip"
            assert r.json()["name"] == "logreg"
        big = b'{"inputs": [' + b" " * 5_000_000 + b"]}"
        r = s.post(base + "/v2/models/logreg/infer", data=big, timeout=30)
        assert r.status_code == 413, r.text
    X = logreg_case()
    body = json.dumps({"inputs": [{"name": "float_input", "shape": list(X.shape),
                                   "datatype": "FP32", "data": X.ravel().tolist()}]})  # fmt: skip
    out = subprocess.run(
        ["curl", "-sS", "--cacert", pki.ca_file, "-H", "Expect: 100-continue",
         "-H", "Content-Type: application/json", "--data-binary", "@-", "-w", "\n%{http_code}",
         f"https://127.0.0.1:{srv.https_port}/v2/models/logreg/infer"],
        input=body, check=False, capture_output=True, text=True, timeout=30)  # fmt: skip
    assert out.stdout.endswith("\n200"), out.stdout + out.stderr
    g = grpcclient.InferenceServerClient(f"127.0.0.1:{srv.grpcs_port}", ssl=True,
                                         root_certificates=pki.ca_file)  # fmt: skip
    assert g.is_server_ready()
    g.close()


def test_tls_flags_are_checked(repo, pki, tmp_path):
    from e2e_lib import INFERD_BIN

    def run(*args):
        return subprocess.run([str(INFERD_BIN), "serve", "--model-repository", str(repo),
                               "--http-port", "0", "--grpc-port", "0", *args],
                              check=False, capture_output=True, text=True, timeout=60)  # fmt: skip

    assert run("--https-port", "0").returncode != 0  # no certificate
    assert run("--tls-cert", pki.path("server", "crt"),
               "--tls-key", pki.path("server", "key")).returncode != 0  # no TLS port
    mismatched = run("--https-port", "0", "--tls-cert", pki.path("server", "crt"),
                     "--tls-key", pki.path("alice", "key"))  # fmt: skip
    assert mismatched.returncode != 0
    assert "does not match" in mismatched.stderr + mismatched.stdout
    assert run("--https-port", "0", "--tls-cert", pki.path("server", "crt"), "--tls-key",
               pki.path("server", "key"), "--tls-client-auth", "required").returncode != 0  # fmt: skip


# ------------------------------------------------------------------ rotation
def _install(src_stem: Path, cert_dst: Path, key_dst: Path) -> None:
    """Replaces the served files atomically (write beside, rename)."""
    for src, dst in ((src_stem.with_suffix(".key"), key_dst), (src_stem.with_suffix(".crt"), cert_dst)):
        tmp = dst.with_name(dst.name + ".tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)


def test_certificate_rotation_under_load(inferd_factory, repo, pki, ort_ref, tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    cert, key = live / "server.crt", live / "server.key"
    shutil.copyfile(pki.path("server", "crt"), cert)
    shutil.copyfile(pki.path("server", "key"), key)
    srv = inferd_factory(repo, ["--https-port", "0", "--grpcs-port", "0", "--tls-cert", str(cert),
                                "--tls-key", str(key), "--tls-client-ca", pki.ca_file])  # fmt: skip
    https_port, grpcs_port = srv.https_port, srv.grpcs_port
    assert peer_serial(https_port, pki) == pki.server_serial
    assert peer_serial(grpcs_port, pki, alpn="h2") == pki.server_serial

    X = logreg_case(n=8)
    ref = ort_ref("logreg").run({"float_input": X})["output_label"]
    stop = threading.Event()
    lock = threading.Lock()
    ok = {"keepalive": 0, "fresh": 0, "grpc": 0, "tfs": 0}
    failures = []

    def record(kind, fn):
        while not stop.is_set():
            try:
                got = fn()
                assert np.array_equal(got, ref), f"{got} != {ref}"
                with lock:
                    ok[kind] += 1
            except Exception as e:  # noqa: BLE001 - every failure counts
                with lock:
                    failures.append(f"{kind}: {type(e).__name__}: {e}"[:300])
                time.sleep(0.05)

    def keepalive():
        s = https_session(pki)
        return lambda: parse_infer_response(
            infer_json(srv.https_base_url, "logreg", {"float_input": X}, session=s))[1]["output_label"]

    def fresh():  # a new connection (and handshake) every request
        return lambda: parse_infer_response(requests.post(
            srv.https_base_url + "/v2/models/logreg/infer", verify=pki.ca_file,
            cert=pki.pair("alice"), timeout=30,
            json={"inputs": [{"name": "float_input", "shape": list(X.shape), "datatype": "FP32",
                              "data": X.ravel().tolist()}]}))[1]["output_label"]  # fmt: skip

    def triton_grpc():
        g = grpcclient.InferenceServerClient(f"127.0.0.1:{grpcs_port}", **grpc_file_args(pki))
        inp = grpcclient.InferInput("float_input", list(X.shape), "FP32")
        inp.set_data_from_numpy(X)
        return lambda: g.infer("logreg", [inp], client_timeout=30).as_numpy("output_label")

    def tfs_grpc():
        def call():
            # A new channel each time: a new handshake with the newest certificate.
            with grpc.secure_channel(f"127.0.0.1:{grpcs_port}", grpc_credentials(pki)) as ch:
                req = tf_predict_request(X)
                stub = tfs.prediction_service_pb2_grpc.PredictionServiceStub(ch)
                return np.array(stub.Predict(req, timeout=30).outputs["output_label"].int64_val)

        return call

    threads = [threading.Thread(target=record, args=(k, f()), daemon=True)
               for k, f in (("keepalive", keepalive), ("fresh", fresh), ("grpc", triton_grpc),
                            ("tfs", tfs_grpc))]  # fmt: skip
    for t in threads:
        t.start()
    try:
        wait_until(lambda: all(v > 0 for v in ok.values()), 30, what=f"load started: {ok}")

        # 1. A new key pair from the same CA, installed atomically, then SIGHUP.
        new_serial = pki.ca.issue(tmp_path / "server2", "inferd-test-server", server=True)
        _install(tmp_path / "server2", cert, key)
        srv.send_signal(signal.SIGHUP)
        wait_until(lambda: peer_serial(https_port, pki) == new_serial, 10, what="new HTTPS cert")
        wait_until(lambda: peer_serial(grpcs_port, pki, alpn="h2") == new_serial, 10,
                   what="new gRPC cert")  # fmt: skip
        before = dict(ok)
        wait_until(lambda: all(ok[k] > before[k] + 2 for k in ok), 30, what="load after rotation")

        # 2. Without SIGHUP: the mtime watcher notices.
        third_serial = pki.ca.issue(tmp_path / "server3", "inferd-test-server", server=True)
        _install(tmp_path / "server3", cert, key)
        wait_until(lambda: peer_serial(https_port, pki) == third_serial, 15, what="watched HTTPS")
        wait_until(lambda: peer_serial(grpcs_port, pki, alpn="h2") == third_serial, 15,
                   what="watched gRPC")  # fmt: skip

        # 3. A broken pair (a key that is not the certificate's): refused, logged,
        #    the pair in use kept on both protocols.
        pki.ca.issue(tmp_path / "server4", "inferd-test-server", server=True)
        shutil.copyfile(tmp_path / "server4.crt", cert)  # key left as it was
        srv.send_signal(signal.SIGHUP)
        wait_until(lambda: "does not match" in srv.stderr(), 10, what="refusal logged")
        time.sleep(3)  # past gRPC's refresh and our watcher's look
        assert peer_serial(https_port, pki) == third_serial
        assert peer_serial(grpcs_port, pki, alpn="h2") == third_serial
        before = dict(ok)
        wait_until(lambda: all(ok[k] > before[k] + 2 for k in ok), 30, what="load after refusal")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    print(f"rotation: {ok} good, {len(failures)} failed")
    assert not failures, f"{len(failures)} failed requests ({ok} good): {failures[:10]}"
    assert srv.alive()
    log = srv.stderr()
    assert "TLS certificate reloaded" in log
    assert "TLS certificate not reloaded" in log
