"""Security through the request pipeline: API keys, JWTs, roles, per-model
grants, rate and concurrency limits and the audit log, for every route and rpc
of every protocol, with the protocols' own clients and stubs."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import threading
import time
from collections import Counter
from datetime import datetime

import grpc
import numpy as np
import pytest
import requests
import tfserving_stubs as tfs
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from e2e_lib import INFERD_BIN, copy_models, mem
from tfserving_stubs import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_management_pb2,
    predict_pb2,
    regression_pb2,
)
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

ISSUER = "https://issuer.example"
AUDIENCE = "inferd-tests"
SECRET = "s3cret-for-hs256-tests-0123456789abcdef"
MODEL = "logreg"  # the model the grants are about
ADMIN_MODEL = "gbr"  # admin calls name this one, so they never disturb MODEL
OTHER = "random_forest"


# ---- credentials ---------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict, alg: str = "HS256", secret: str = SECRET) -> str:
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    if alg == "none":
        return f"{header}.{payload}."
    sig = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(sig)}"


def claims(**over) -> dict:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": now + 600, "iat": now,
            "roles": ["read", "infer", "admin"]}
    base.update(over)
    return base


def create_key(db, name, roles, models=()):
    cmd = [str(INFERD_BIN), "keys", "create", "--db", str(db), "--name", name, "--roles",
           ",".join(roles)]
    if models:
        cmd += ["--models", ",".join(models)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def secured(tmp_path_factory, example_repo):
    """A server with API keys, HS256 JWTs and an audit log; every credential kind."""
    from e2e_lib import InferdServer

    tmp = tmp_path_factory.mktemp("secured")
    repo = copy_models(example_repo, tmp / "repo", [MODEL, ADMIN_MODEL, OTHER])
    db = tmp / "keys.db"
    creds = {
        "admin": create_key(db, "ops", ["admin", "read", "infer"]),
        "read_only": create_key(db, "dashboards", ["read"]),
        "infer_other": create_key(db, "other-team", ["infer", "read"], [OTHER]),
        "infer": create_key(db, "app", ["infer"], [MODEL, ADMIN_MODEL]),
        "revoked": create_key(db, "leaked", ["admin", "read", "infer"]),
    }
    key_id = creds["revoked"].split("_")[1] + "_" + creds["revoked"].split("_")[2]
    subprocess.run([str(INFERD_BIN), "keys", "revoke", "--db", str(db), key_id], check=True,
                   capture_output=True)
    secret_file = tmp / "hs256.secret"
    secret_file.write_text(SECRET + "\n")
    creds.update({
        "none": None,
        "bad_key": "ik_k_aaaaaaaaaaaa_" + "b" * 52,
        "expired_jwt": make_jwt(claims(exp=int(time.time()) - 3600)),
        "wrong_aud_jwt": make_jwt(claims(aud="someone-else")),
        "alg_none_jwt": make_jwt(claims(), alg="none"),
        "jwt": make_jwt(claims()),
    })
    srv = InferdServer(repo, tmp / "logs", [
        "--api-keys", "--keys-db", str(db),
        # The matrix fails hundreds of times from one address, on purpose.
        "--auth-failure-limit", "0",
        "--jwt-issuer", ISSUER, "--jwt-audience", AUDIENCE,
        "--jwt-hs256-secret-file", str(secret_file),
        "--audit-log", str(tmp / "audit.log"), "--access-log", str(tmp / "access.log"),
        "--model-control-mode", "explicit", "--load-model", "*",
    ], name="secured")
    srv.start()
    srv.audit_log = tmp / "audit.log"
    srv.access_log = tmp / "access.log"
    srv.creds = creds
    yield srv
    assert srv.stop() == 0, srv.describe()


def headers_for(cred, how="bearer") -> dict:
    if cred is None:
        return {}
    return {"X-API-Key": cred} if how == "x-api-key" else {"Authorization": f"Bearer {cred}"}


# ---- the HTTP routes, by kind ----------------------------------------------------
# (method, path, body, kind, the model it names (or None), protocol). Kinds: health, docs,
# metrics, read, infer, admin. Admin calls name ADMIN_MODEL or nothing; read and infer
# calls name MODEL.
M, A = MODEL, ADMIN_MODEL

def infer_body():
    x = mem.sample_inputs(MODEL, n=2)["float_input"]
    return {"inputs": [{"name": "float_input", "datatype": "FP32", "shape": list(x.shape),
                        "data": x.flatten().tolist()}]}


def tf_body():
    x = mem.sample_inputs(MODEL, n=2)["float_input"]
    return {"instances": x.tolist()}


HTTP_ROUTES = [
    ("GET", "/v2/health/live", None, "health", None, "kserve"),
    ("GET", "/v2/health/ready", None, "health", None, "kserve"),
    ("GET", "/v2", None, "read", None, "kserve"),
    ("POST", "/v2/repository/index", {}, "read", None, "kserve"),
    ("GET", "/v2/models/stats", None, "read", None, "kserve"),
    ("GET", f"/v2/models/{MODEL}", None, "read", M, "kserve"),
    ("GET", f"/v2/models/{MODEL}/versions/1", None, "read", M, "kserve"),
    ("GET", f"/v2/models/{MODEL}/ready", None, "read", M, "kserve"),
    ("GET", f"/v2/models/{MODEL}/config", None, "read", M, "kserve"),
    ("GET", f"/v2/models/{MODEL}/stats", None, "read", M, "kserve"),
    ("POST", f"/v2/models/{MODEL}/infer", "infer", "infer", M, "kserve"),
    ("POST", f"/v2/models/{MODEL}/versions/1/infer", "infer", "infer", M, "kserve"),
    ("POST", f"/v2/repository/models/{ADMIN_MODEL}/load", {}, "admin", A, "kserve"),
    ("PUT", f"/v2/repository/models/{ADMIN_MODEL}/labels/canary", {"version": 1}, "admin", A,
     "kserve"),
    ("DELETE", f"/v2/repository/models/{ADMIN_MODEL}/labels/canary", None, "admin", A,
     "kserve"),
    ("GET", "/v2/systemsharedmemory/status", None, "infer", None, "kserve"),
    ("GET", "/v2/cudasharedmemory/status", None, "infer", None, "kserve"),
    ("GET", "/", None, "health", None, "tfserving"),
    ("GET", "/v1/models", None, "read", None, "tfserving"),
    ("GET", f"/v1/models/{MODEL}", None, "read", M, "tfserving"),
    ("GET", f"/v1/models/{MODEL}/metadata", None, "read", M, "tfserving"),
    ("POST", f"/v1/models/{MODEL}:predict", "tf", "infer", M, "tfserving"),
    ("POST", f"/v1/models/{MODEL}/versions/1:predict", "tf", "infer", M, "tfserving"),
    ("GET", "/ping", None, "health", None, "torchserve"),
    ("POST", f"/predictions/{MODEL}", "tf", "infer", M, "torchserve"),
    ("GET", "/models", None, "read", None, "torchserve"),
    ("GET", f"/models/{MODEL}", None, "read", M, "torchserve"),
    ("PUT", f"/models/{ADMIN_MODEL}/99/set-default", None, "admin", A, "torchserve"),
    ("DELETE", f"/models/{ADMIN_MODEL}/99", None, "admin", A, "torchserve"),
    ("GET", "/health", None, "health", None, "mlflow"),
    ("GET", "/version", None, "health", None, "mlflow"),
    ("POST", "/invocations", "mlflow", "infer", M, "mlflow"),
    ("POST", "/predict", "predict", "infer", M, "predict"),
    ("GET", "/api/2.0/mlflow/registered-models/search", None, "read", None, "registry"),
    ("GET", f"/api/2.0/mlflow/registered-models/get?name={MODEL}", None, "read", M,
     "registry"),
    ("POST", "/api/2.0/mlflow/registered-models/create", {"name": ADMIN_MODEL}, "admin", A,
     "registry"),
    ("POST", f"/v1/registry/models/{ADMIN_MODEL}/versions", b"", "admin", A, "registry"),
    ("GET", "/v1/keys", None, "admin", None, "keys"),
    ("GET", "/v1/keys/k_aaaaaaaaaaaa", None, "admin", None, "keys"),
    ("POST", "/v1/keys/k_aaaaaaaaaaaa/rotate", None, "admin", None, "keys"),
    ("GET", "/v1/routes", None, "admin", None, "routes"),
    ("DELETE", f"/v1/routes/{A}", None, "admin", A, "routes"),
    ("GET", "/metrics", None, "metrics", None, "metrics"),
    ("GET", "/openapi.json", None, "docs", None, "docs"),
]

# What each credential may do: roles, and whether MODEL is visible to it.
ALL = None
GRANTS = {
    "none": (set(), ALL),
    "bad_key": (set(), ALL),
    "revoked": (set(), ALL),
    "expired_jwt": (set(), ALL),
    "wrong_aud_jwt": (set(), ALL),
    "alg_none_jwt": (set(), ALL),
    "read_only": ({"read"}, ALL),
    "infer_other": ({"infer", "read"}, {OTHER}),
    "infer": ({"infer"}, {MODEL, ADMIN_MODEL}),
    "admin": ({"admin", "read", "infer"}, ALL),
    "jwt": ({"admin", "read", "infer"}, ALL),
}
UNAUTHENTICATED = {"none", "bad_key", "revoked", "expired_jwt", "wrong_aud_jwt", "alg_none_jwt"}


def expected(cred: str, kind: str, model: str | None) -> str:
    """allowed | unauthenticated | forbidden | hidden"""
    if kind in ("health", "docs", "metrics"):
        # Open routes answer whatever credentials come (a probe may carry a stale one).
        return "allowed"
    if cred in UNAUTHENTICATED:
        return "unauthenticated"
    roles, models = GRANTS[cred]
    if model is not None and models is not ALL and model not in models:
        return "hidden"
    return "allowed" if kind in roles else "forbidden"


def http_call(base, method, path, body, headers, model=MODEL):
    kwargs = {"headers": dict(headers), "timeout": 30}
    if body == "infer":
        kwargs["json"] = infer_body()
    elif body == "tf":
        kwargs["json"] = tf_body()
    elif body == "mlflow":
        kwargs["json"] = {"inputs": mem.sample_inputs(MODEL, n=2)["float_input"].tolist()}
        kwargs["headers"]["X-Model"] = model
    elif body == "predict":
        kwargs["json"] = {"model": model,
                          "features": mem.sample_inputs(MODEL, n=1)["float_input"][0].tolist()}
    elif isinstance(body, bytes):
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    return requests.request(method, base + path, **kwargs)


def error_shape_ok(protocol: str, resp: requests.Response) -> bool:
    body = resp.json()
    if protocol in ("kserve", "tfserving", "keys", "routes", "metrics", "docs"):
        return isinstance(body.get("error"), str)
    if protocol == "predict":
        return isinstance(body.get("detail"), str)  # FastAPI's shape, as the seeds' server
    if protocol == "torchserve":
        return {"code", "type", "message"} <= body.keys() and body["code"] == resp.status_code
    if protocol in ("mlflow", "registry"):
        return {"error_code", "message"} <= body.keys()
    return False


HOW = {"bad_key": "x-api-key", "infer": "x-api-key"}  # both header forms are exercised


@pytest.mark.parametrize("cred", list(GRANTS))
def test_http_authorization_matrix(secured, cred):
    failures = []
    token = secured.creds[cred]
    for method, path, body, kind, model, protocol in HTTP_ROUTES:
        want = expected(cred, kind, model)
        resp = http_call(secured.base_url, method, path, body, headers_for(token, HOW.get(cred)))
        got = resp.status_code
        where = f"{cred}: {method} {path} -> {got} {resp.text[:160]} (want {want})"
        if want == "allowed":
            if got in (401, 403) or (got == 404 and "unknown model" in resp.text):
                failures.append(where)
        elif want == "unauthenticated":
            if got != 401 or "Bearer" not in resp.headers.get("WWW-Authenticate", ""):
                failures.append(where)
            elif not error_shape_ok(protocol, resp):
                failures.append(where + " (error shape)")
        elif want == "forbidden":
            if got != 403 or not error_shape_ok(protocol, resp) or "insufficient_scope" not in \
                    resp.headers.get("WWW-Authenticate", ""):
                failures.append(where)
        elif want == "hidden" and kind == "admin":
            if got != 404 or not error_shape_ok(protocol, resp):
                failures.append(where)
        elif want == "hidden":
            # Exactly what the same call answers for a model that does not exist.
            ghost = http_call(secured.base_url, method, path.replace(MODEL, "no_such_model"),
                              body, headers_for(secured.creds["admin"]), model="no_such_model")
            ghost_text = ghost.text.replace("no_such_model", MODEL)
            if (got, resp.text) != (ghost.status_code, ghost_text):
                failures.append(where + f" but a missing model answers {ghost.status_code} "
                                f"{ghost_text[:160]}")
        assert resp.headers.get("X-Request-ID"), where
    assert not failures, "\n".join(failures)


# ---- gRPC: every rpc of KServe and TF Serving ----------------------------------------


def kserve_rpcs():
    x = mem.sample_inputs(MODEL, n=2)["float_input"]
    infer = service_pb2.ModelInferRequest(model_name=MODEL)
    t = infer.inputs.add(name="float_input", datatype="FP32", shape=list(x.shape))
    infer.raw_input_contents.append(x.astype(np.float32).tobytes())
    del t
    s = service_pb2
    return [
        ("ServerLive", s.ServerLiveRequest(), "health", None),
        ("ServerReady", s.ServerReadyRequest(), "health", None),
        ("ServerMetadata", s.ServerMetadataRequest(), "read", None),
        ("ModelMetadata", s.ModelMetadataRequest(name=MODEL), "read", MODEL),
        ("ModelReady", s.ModelReadyRequest(name=MODEL), "read", MODEL),
        ("ModelConfig", s.ModelConfigRequest(name=MODEL), "read", MODEL),
        ("ModelStatistics", s.ModelStatisticsRequest(name=MODEL), "read", MODEL),
        ("RepositoryIndex", s.RepositoryIndexRequest(), "read", None),
        ("ModelInfer", infer, "infer", MODEL),
        ("RepositoryModelLoad", s.RepositoryModelLoadRequest(model_name=ADMIN_MODEL), "admin",
         ADMIN_MODEL),
        ("SystemSharedMemoryStatus", s.SystemSharedMemoryStatusRequest(), "infer", None),
        ("SystemSharedMemoryRegister",
         s.SystemSharedMemoryRegisterRequest(name="r", key="/nope", byte_size=8), "infer", None),
        ("SystemSharedMemoryUnregister", s.SystemSharedMemoryUnregisterRequest(name="r"), "infer",
         None),
        ("CudaSharedMemoryStatus", s.CudaSharedMemoryStatusRequest(), "infer", None),
        ("CudaSharedMemoryRegister", s.CudaSharedMemoryRegisterRequest(name="c"), "infer", None),
        ("CudaSharedMemoryUnregister", s.CudaSharedMemoryUnregisterRequest(), "infer", None),
    ]


def tf_rpcs():
    spec = {"name": MODEL}
    predict = predict_pb2.PredictRequest()  # no inputs: the answer is not the point
    predict.model_spec.name = MODEL
    return [
        ("PredictionService", "Predict", predict, "infer", MODEL),
        ("PredictionService", "GetModelMetadata",
         get_model_metadata_pb2.GetModelMetadataRequest(model_spec=spec,
                                                        metadata_field=["signature_def"]),
         "read", MODEL),
        ("PredictionService", "Classify",
         classification_pb2.ClassificationRequest(model_spec=spec), "infer", MODEL),
        ("PredictionService", "Regress", regression_pb2.RegressionRequest(model_spec=spec),
         "infer", MODEL),
        ("PredictionService", "MultiInference", inference_pb2.MultiInferenceRequest(), "infer",
         None),
        ("ModelService", "GetModelStatus",
         get_model_status_pb2.GetModelStatusRequest(model_spec=spec), "read", MODEL),
        ("ModelService", "HandleReloadConfigRequest",
         model_management_pb2.ReloadConfigRequest(), "admin", None),
    ]


def grpc_metadata(token):
    return () if token is None else (("authorization", f"Bearer {token}"),)


def check_grpc(want, code, details, ghost, where, failures):
    refused = code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED) or (
        code == grpc.StatusCode.NOT_FOUND and "unknown model" in details)
    ok = {
        "allowed": not refused,
        "unauthenticated": code == grpc.StatusCode.UNAUTHENTICATED,
        "forbidden": code == grpc.StatusCode.PERMISSION_DENIED,
        "hidden": code == grpc.StatusCode.NOT_FOUND and (ghost is None or ghost == (code, details)),
    }[want]
    if not ok:
        failures.append(f"{where}; a missing model answers {ghost}" if want == "hidden" else where)


def call(stub_method, request, token, answers=None):
    try:
        response, call_ = stub_method.with_call(request, metadata=grpc_metadata(token),
                                                timeout=30)
        if answers is not None:
            answers.append(response)
        return call_.code(), "", dict(call_.trailing_metadata())
    except grpc.RpcError as e:
        return e.code(), e.details() or "", dict(e.trailing_metadata() or ())


@pytest.mark.parametrize("cred", list(GRANTS))
def test_grpc_authorization_matrix(secured, cred):
    token = secured.creds[cred]
    failures = []
    with grpc.insecure_channel(secured.grpc_target) as channel:
        kserve = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        services = {
            "PredictionService": tfs.prediction_service_pb2_grpc.PredictionServiceStub(channel),
            "ModelService": tfs.model_service_pb2_grpc.ModelServiceStub(channel),
        }
        for name, request, kind, model in kserve_rpcs():
            want = expected(cred, kind, model)
            answers = []
            code, details, trailing = call(getattr(kserve, name), request, token, answers)
            if name == "ModelReady" and want == "hidden":
                # As for a missing model: OK, ready=false.
                missing = []
                call(kserve.ModelReady, service_pb2.ModelReadyRequest(name="no_such_model"),
                     secured.creds["admin"], missing)
                if code != grpc.StatusCode.OK or answers[0].ready or missing[0].ready:
                    failures.append(f"{cred}: ModelReady of a hidden model -> {code} {answers}")
                continue
            ghost = None
            if want == "hidden" and model == MODEL:
                ghost_req = type(request)()
                ghost_req.CopyFrom(request)
                for field in ("name", "model_name"):
                    if hasattr(ghost_req, field) and getattr(ghost_req, field) == MODEL:
                        setattr(ghost_req, field, "no_such_model")
                gcode, gdetails, _ = call(getattr(kserve, name), ghost_req,
                                          secured.creds["admin"])
                ghost = (gcode, gdetails.replace("no_such_model", MODEL))
            check_grpc(want, code, details, ghost, f"{cred}: kserve {name} -> {code} {details}"
                       f" (want {want})", failures)
            assert trailing.get("x-request-id"), f"{name}: no x-request-id"
        for service, name, request, kind, model in tf_rpcs():
            want = expected(cred, kind, model)
            code, details, _ = call(getattr(services[service], name), request, token)
            check_grpc(want, code, details, None, f"{cred}: tf {name} -> {code} {details}"
                       f" (want {want})", failures)
        # The stream: refused as a whole (credentials, role), or per message (model).
        want = expected(cred, "infer", MODEL)
        request = kserve_rpcs()[8][1]
        try:
            answers = list(kserve.ModelStreamInfer(iter([request]), metadata=grpc_metadata(token),
                                                   timeout=30))
            refusal = next((a.error_message for a in answers if a.error_message), None)
            code = grpc.StatusCode.OK
        except grpc.RpcError as e:
            refusal, code = e.details(), e.code()
        if want == "allowed" and refusal:
            failures.append(f"{cred}: stream refused: {refusal}")
        if want in ("unauthenticated", "forbidden") and code not in (
                grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            failures.append(f"{cred}: stream not refused as a whole ({code}, want {want})")
        if want == "hidden" and "unknown model" not in (refusal or ""):
            failures.append(f"{cred}: stream message not refused in-band ({refusal})")
    assert not failures, "\n".join(failures)


# ---- real clients ----------------------------------------------------------------------


def test_tritonclient_http_and_grpc_with_an_api_key(secured):
    key = secured.creds["infer"]
    x = mem.sample_inputs(MODEL, n=3)["float_input"].astype(np.float32)
    http = httpclient.InferenceServerClient(secured.host_port)
    inp = httpclient.InferInput("float_input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    out = http.infer(MODEL, [inp], headers={"Authorization": f"Bearer {key}"})
    assert out.as_numpy("output_label").shape[0] == 3
    with pytest.raises(InferenceServerException) as refused:
        http.infer(MODEL, [inp])
    assert "credentials required" in str(refused.value)
    g = grpcclient.InferenceServerClient(secured.grpc_target)
    ginp = grpcclient.InferInput("float_input", list(x.shape), "FP32")
    ginp.set_data_from_numpy(x)
    answer = g.infer(MODEL, [ginp], headers={"x-api-key": key})
    assert answer.as_numpy("output_label").shape[0] == 3
    with pytest.raises(InferenceServerException) as denied:
        g.infer(OTHER, [ginp], headers={"x-api-key": key})
    assert "unknown model" in str(denied.value)


# ---- keys: rotate and revoke take effect at once ------------------------------------------


def test_rotate_and_revoke_through_the_admin_api_and_the_cli(secured):
    admin = {"Authorization": f"Bearer {secured.creds['admin']}"}
    made = requests.post(secured.url("/v1/keys"), headers=admin,
                         json={"name": "temp", "roles": ["read"]}, timeout=10)
    assert made.status_code == 201, made.text
    key, key_id = made.json()["key"], made.json()["record"]["id"]
    listed = requests.get(secured.url("/v1/keys"), headers=admin, timeout=10).json()["keys"]
    assert key_id in [k["id"] for k in listed]
    assert key not in json.dumps(listed)  # secrets are never listed
    ok = requests.get(secured.url("/v2"), headers={"X-API-Key": key}, timeout=10)
    assert ok.status_code == 200
    env = {"INFERD_API_KEY": secured.creds["admin"], "PATH": "/usr/bin:/bin"}
    rotated = subprocess.run([str(INFERD_BIN), "keys", "rotate", "--url", secured.base_url,
                              key_id], capture_output=True, text=True, env=env, check=True)
    new_key = rotated.stdout.strip()
    assert new_key.startswith("ik_") and new_key != key
    assert requests.get(secured.url("/v2"), headers={"X-API-Key": key},
                        timeout=10).status_code == 401
    assert requests.get(secured.url("/v2"), headers={"X-API-Key": new_key},
                        timeout=10).status_code == 200
    subprocess.run([str(INFERD_BIN), "keys", "revoke", "--url", secured.base_url, key_id],
                   capture_output=True, text=True, env=env, check=True)
    gone = requests.get(secured.url("/v2"), headers={"X-API-Key": new_key}, timeout=10)
    assert gone.status_code == 401 and "revoked" in gone.text


# ---- the audit log ---------------------------------------------------------------------------


def test_audit_log_records_admin_actions_and_failures_and_verifies(secured):
    requests.get(secured.url("/v2"), headers={"Authorization": "Bearer nonsense.a.b"}, timeout=10)
    requests.post(secured.url(f"/v2/repository/models/{ADMIN_MODEL}/load"),
                  headers={"X-API-Key": secured.creds["admin"]}, timeout=60)
    time.sleep(0.2)
    lines = [json.loads(line) for line in secured.audit_log.read_text().splitlines()]
    actions = [(e["action"], e["outcome"]) for e in lines]
    assert any(a == "authenticate" and o.startswith("refused") for a, o in actions), actions
    assert any("load" in a and o == "ok http 200" for a, o in actions), actions
    admin_line = next(e for e in lines if "load" in e["action"] and e["outcome"] == "ok http 200")
    assert admin_line["identity"].startswith("api-key:k_")
    assert admin_line["target"] == "" or admin_line["target"] == ADMIN_MODEL
    verify = subprocess.run([str(INFERD_BIN), "audit", "verify", str(secured.audit_log)],
                            check=False, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr
    assert "chain intact" in verify.stdout


def test_an_edited_or_deleted_audit_line_is_detected(secured, tmp_path):
    lines = secured.audit_log.read_text().splitlines(keepends=True)
    assert len(lines) >= 3
    edited = tmp_path / "edited.log"
    tampered = lines[1].replace("127.0.0.1", "127.0.0.2", 1)
    assert tampered != lines[1]
    edited.write_text("".join([lines[0], tampered, *lines[2:]]))
    deleted = tmp_path / "deleted.log"
    deleted.write_text("".join([lines[0], *lines[2:]]))
    for path, line in ((edited, "line 3"), (deleted, "line 2")):
        out = subprocess.run([str(INFERD_BIN), "audit", "verify", str(path)],
                             check=False, capture_output=True, text=True)
        assert out.returncode == 1
        assert line in out.stderr, out.stderr


def test_access_log_names_identity_route_and_status(secured):
    requests.get(secured.url(f"/v2/models/{MODEL}"), headers={"X-Request-ID": "acc-1",
                 "Authorization": f"Bearer {secured.creds['read_only']}"}, timeout=10)
    time.sleep(0.2)
    entries = [json.loads(line) for line in secured.access_log.read_text().splitlines()]
    mine = [e for e in entries if e["request_id"] == "acc-1"]
    assert len(mine) == 1
    e = mine[0]
    assert e["identity"].startswith("api-key:k_") and e["status"] == 200
    assert e["route"] == "/v2/models/{model}" and e["model"] == MODEL
    assert e["protocol"] == "kserve-http" and e["kind"] == "read"
    assert "queue_ms" not in e  # not an inference
    x = mem.sample_inputs(MODEL, n=1)["float_input"]
    requests.post(secured.url(f"/v2/models/{MODEL}/infer"), json={"inputs": [{
        "name": "float_input", "datatype": "FP32", "shape": list(x.shape),
        "data": x.flatten().tolist()}]}, headers={"X-Request-ID": "acc-2",
        "X-API-Key": secured.creds["admin"]}, timeout=10)
    time.sleep(0.2)
    infer = next(json.loads(line) for line in secured.access_log.read_text().splitlines()
                 if '"acc-2"' in line)
    assert infer["status"] == 200 and infer["queue_ms"] >= 0 and infer["compute_ms"] > 0
    assert infer["total_ms"] >= infer["queue_ms"] + infer["compute_ms"] * 0.5


def test_trace_context_is_joined_over_http_and_grpc(secured):
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    r = requests.get(secured.url("/v2/health/live"), headers={"traceparent": parent}, timeout=10)
    child = r.headers["traceparent"].split("-")
    assert child[1] == "0af7651916cd43dd8448eb211c80319c" and child[2] != "b7ad6b7169203331"
    with grpc.insecure_channel(secured.grpc_target) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        _, c = stub.ServerLive.with_call(service_pb2.ServerLiveRequest(),
                                         metadata=(("traceparent", parent),
                                                   ("x-request-id", "grpc-req-7")))
        trailing = dict(c.trailing_metadata())
    assert trailing["x-request-id"] == "grpc-req-7"
    assert trailing["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"


# ---- rate and concurrency limits ------------------------------------------------------------


def test_rate_limit_accuracy_and_isolation(tmp_path, example_repo, inferd_factory):
    """Under steady load above the limit, accepted requests stay within 5% of the
    configured rate; a second key is not slowed."""
    repo = copy_models(example_repo, tmp_path / "repo", [MODEL])
    db = tmp_path / "keys.db"
    noisy, quiet = create_key(db, "noisy", ["read"]), create_key(db, "quiet", ["read"])
    # A burst of two seconds' worth: a pause of the (busy, 2-core) machine shorter
    # than that loses no tokens, so what is measured is the bucket, not the host.
    rate, burst, seconds = 40.0, 80.0, 6.0
    access_log = tmp_path / "access.log"
    srv = inferd_factory(repo, ["--api-keys", "--keys-db", str(db), "--rate-limit", str(rate),
                                "--rate-burst", str(burst), "--access-log", str(access_log)])
    accepted, refused, quiet_codes = [], [], []
    stop = threading.Event()

    def hammer():
        s = requests.Session()
        while not stop.is_set():
            r = s.get(srv.url("/v2"), headers={"X-API-Key": noisy}, timeout=10)
            # Anything but 429 got past the limiter (a 503 of a busy key database too).
            (refused if r.status_code == 429 else accepted).append((time.monotonic(), r))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    qs = requests.Session()
    while time.monotonic() - t0 < seconds:
        quiet_codes.append(qs.get(srv.url("/v2"), headers={"X-API-Key": quiet},
                                  timeout=10).status_code)
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join()
    assert refused, "the load never went over the limit"
    # From the first refusal on, the bucket is empty: what it admits from then
    # to the end of the load is the refill rate at work. Times are the server's:
    # when each request began (its access line's time, written at the end, less
    # its total_ms), close to when the limiter saw it. A busy client hears
    # answers late, and a slow (sanitized) server finishes them late, by
    # varying amounts.
    time.sleep(0.3)
    entries = [json.loads(line) for line in access_log.read_text().splitlines()]
    noisy_id = "api-key:" + "_".join(noisy.split("_")[1:3])
    mine = [(datetime.fromisoformat(e["time"]).timestamp() - e["total_ms"] / 1000, e["status"])
            for e in entries if e["identity"] == noisy_id and e["route"] == "/v2"]
    # Between the first and the last refusal the bucket was empty at both ends,
    # so every token it refilled in between was spent: what it admitted there
    # is the refill rate alone, whatever the clients' stalls (a stall after the
    # last refusal would leave refilled tokens unspent and read as a low rate).
    refusals = [t for t, status in mine if status == 429]
    start, end = min(refusals), max(refusals)
    admitted = sum(1 for t, status in mine if start < t < end and status != 429)
    want = rate * (end - start)
    statuses = Counter(status for _, status in mine)
    assert abs(admitted - want) <= 0.05 * want, (admitted, want, statuses)
    r = refused[0][1]
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.headers["RateLimit-Limit"] == "80" and r.headers["RateLimit-Remaining"] == "0"
    assert set(quiet_codes) == {200}, quiet_codes
    with grpc.insecure_channel(srv.grpc_target) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        codes = []
        for _ in range(int(burst) + 5):
            try:
                stub.ServerMetadata(service_pb2.ServerMetadataRequest(),
                                    metadata=(("x-api-key", noisy),))
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as e:
                codes.append(e.code())
        assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes


def test_concurrency_limit_per_identity(tmp_path, example_repo, inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", ["slow_loop", MODEL])
    db = tmp_path / "keys.db"
    key = create_key(db, "one-at-a-time", ["infer"])
    srv = inferd_factory(repo, ["--api-keys", "--keys-db", str(db), "--concurrency-limit", "1"])
    import test_scheduling as ts

    body = ts.slow_body(ts.LONG_ITERS)
    results = {}
    t = threading.Thread(target=lambda: results.setdefault("slow", requests.post(
        srv.url("/v2/models/slow_loop/infer"), json=body, headers={"X-API-Key": key},
        timeout=60)))
    t.start()
    ts.wait_running(srv.base_url, 0)
    second = requests.post(srv.url("/v2/models/slow_loop/infer"), json=body,
                           headers={"X-API-Key": key}, timeout=60)
    t.join()
    assert results["slow"].status_code == 200
    assert second.status_code == 429 and "in flight" in second.text
    after = requests.get(srv.url("/v2/models/slow_loop/ready"), headers={"X-API-Key": key},
                         timeout=10)
    assert after.status_code == 403  # the permit came back; the key has no read role


def test_no_credentials_keep_todays_behaviour_with_a_warning(tmp_path, example_repo,
                                                             inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", [MODEL])
    srv = inferd_factory(repo)  # listens on 0.0.0.0, inferd's default
    assert requests.get(srv.url(f"/v2/models/{MODEL}"), timeout=10).status_code == 200
    assert "without authentication" in srv.stderr()


def test_the_key_database_missing_fails_closed(tmp_path, example_repo):
    repo = copy_models(example_repo, tmp_path / "repo", [MODEL])
    bad = tmp_path / "not-a-db"
    bad.write_bytes(b"this is not sqlite" * 100)
    out = subprocess.run([str(INFERD_BIN), "serve", "--model-repository", str(repo),
                          "--http-port", "0", "--grpc-port", "0", "--api-keys", "--keys-db",
                          str(bad)], check=False, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "key database" in out.stderr


def test_a_key_limited_to_some_models_cannot_escape_its_limit(secured, tmp_path):
    db = next(a for a in secured.extra_args if a.endswith("keys.db"))
    limited_admin = create_key(db, "team-admin", ["admin", "read", "infer"], [ADMIN_MODEL])
    made = requests.post(secured.url("/v1/keys"), headers={"X-API-Key": limited_admin},
                         json={"name": "escalate", "roles": ["admin"]}, timeout=10)
    assert made.status_code == 403, made.text  # it could otherwise mint a key for every model
    other = {"X-API-Key": secured.creds["infer_other"]}
    x = mem.sample_inputs(MODEL, n=1)["float_input"].tolist()
    for name in (f"models:/{MODEL}", f"{MODEL}@champion", f"models:/{MODEL}/Production"):
        r = requests.post(secured.url("/invocations"), json={"inputs": x},
                          headers={**other, "X-Model": name}, timeout=10)
        assert r.status_code == 404, (name, r.text)
    # No model named, several served: refused without listing them.
    r = requests.post(secured.url("/predict"), json={"features": x[0]}, headers=other, timeout=10)
    assert r.status_code == 404 and MODEL not in r.text and ADMIN_MODEL not in r.text, r.text


def test_a_token_without_sub_has_an_identity_of_its_own(secured):
    token = make_jwt({k: v for k, v in claims().items() if k != "sub"})
    r = requests.get(secured.url("/v2"), headers={"Authorization": f"Bearer {token}",
                                                  "X-Request-ID": "nosub-1"}, timeout=10)
    assert r.status_code == 200
    time.sleep(0.2)
    entry = next(json.loads(line) for line in secured.access_log.read_text().splitlines()
                 if '"nosub-1"' in line)
    assert entry["identity"].startswith("jwt:token-")


def test_listings_show_a_limited_key_only_its_models(secured):
    other = {"X-API-Key": secured.creds["infer_other"]}  # read and infer on OTHER only
    everyone = {"X-API-Key": secured.creds["admin"]}

    def names(path, method="GET", headers=other, pick=None):
        r = requests.request(method, secured.url(path), headers=headers, timeout=10)
        assert r.status_code == 200, r.text
        return set(pick(r.json()))

    index = names("/v2/repository/index", "POST", pick=lambda b: [m["name"] for m in b])
    assert index == {OTHER}
    assert {MODEL, OTHER} <= names("/v2/repository/index", "POST", everyone,
                                   lambda b: [m["name"] for m in b])
    assert names("/v1/models", pick=lambda b: b["models"]) == {OTHER}
    assert names("/models", pick=lambda b: [m["modelName"] for m in b["models"]]) == {OTHER}
    assert names("/v2/models/stats", pick=lambda b: [m["name"] for m in b["model_stats"]]) <= {
        OTHER}
    requests.post(secured.url("/api/2.0/mlflow/registered-models/create"), headers=everyone,
                  json={"name": ADMIN_MODEL}, timeout=10)
    search = "/api/2.0/mlflow/registered-models/search"
    assert ADMIN_MODEL in names(search, headers=everyone,
                                pick=lambda b: [m["name"] for m in b["registered_models"]])
    assert ADMIN_MODEL not in names(
        search, pick=lambda b: [m["name"] for m in b.get("registered_models", [])])
    with grpc.insecure_channel(secured.grpc_target) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        listed = stub.RepositoryIndex(service_pb2.RepositoryIndexRequest(),
                                      metadata=(("x-api-key", secured.creds["infer_other"]),))
        assert {m.name for m in listed.models} == {OTHER}
