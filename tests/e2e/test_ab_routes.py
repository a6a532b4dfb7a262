"""Routes (A/B tests, /v1/routes): a name clients call like a model name, split between variants
by weight and sticky by a key. Every protocol can call one and every answer says which
variant served it; the assignment is the documented hash, so another replica (or this
test) computes the same variant for a key."""
from __future__ import annotations

import hashlib
import shutil
import subprocess

import grpc
import requests
import tfserving_stubs as tfs
from e2e_lib import INFERD_BIN, copy_models, mem
from tritonclient.grpc import service_pb2, service_pb2_grpc

CONTROL, TREATMENT = "logreg", "logreg_b"


def expected_variant(route: str, key: str, control_weight: int, total: int = 100) -> str:
    digest = hashlib.sha256(f"{route}\x1f{key}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 10_000
    return "control" if bucket < control_weight * 10_000 // total else "treatment"


def start(tmp_path, example_repo, inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", [CONTROL, "string_pipeline"])
    shutil.copytree(repo / CONTROL, repo / TREATMENT)
    return inferd_factory(repo)


def put_route(srv, name, control, treatment, key="header:X-User-Id", treatment_model=TREATMENT):
    return requests.put(srv.url(f"/v1/routes/{name}"), json={
        "key": key,
        "variants": [{"name": "control", "model": CONTROL, "version": "1", "weight": control},
                     {"name": "treatment", "model": treatment_model, "weight": treatment}],
    }, timeout=30)


def kserve_body():
    x = mem.sample_inputs(CONTROL, n=1)["float_input"]
    return {"inputs": [{"name": "float_input", "datatype": "FP32", "shape": list(x.shape),
                        "data": x.flatten().tolist()}]}


def test_users_land_where_the_hash_says_and_moving_weight_only_moves_them_forward(
        tmp_path, example_repo, inferd_factory):
    srv = start(tmp_path, example_repo, inferd_factory)
    r = put_route(srv, "exp", 90, 10)
    assert r.status_code == 200, r.text
    assert r.json()["variants"][1]["model"] == TREATMENT
    body = kserve_body()
    before = {}
    with requests.Session() as session:
        for user in range(400):
            r = session.post(srv.url("/v2/models/exp/infer"), json=body,
                             headers={"X-User-Id": f"user-{user}"}, timeout=10)
            assert r.status_code == 200, r.text
            variant = r.headers["X-Inferd-Variant"]
            assert variant == expected_variant("exp", f"user-{user}", 90), user
            assert r.headers["X-Inferd-Route"] == "exp"
            assert r.headers["X-Inferd-Model"] == (CONTROL if variant == "control" else TREATMENT)
            before[user] = variant
        assert 0.05 < list(before.values()).count("treatment") / 400 < 0.16
        assert put_route(srv, "exp", 50, 50).status_code == 200
        for user in range(400):
            r = session.post(srv.url("/v2/models/exp/infer"), json=body,
                             headers={"X-User-Id": f"user-{user}"}, timeout=10)
            after = r.headers["X-Inferd-Variant"]
            assert not (before[user] == "treatment" and after == "control"), user
            assert after == expected_variant("exp", f"user-{user}", 50)


def test_every_protocol_calls_a_route_and_hears_the_variant(tmp_path, example_repo,
                                                            inferd_factory):
    srv = start(tmp_path, example_repo, inferd_factory)
    assert put_route(srv, "exp", 0, 100).status_code == 200  # everyone: treatment
    x = mem.sample_inputs(CONTROL, n=2)["float_input"]
    user = {"X-User-Id": "u1"}
    answers = {
        "kserve": requests.post(srv.url("/v2/models/exp/infer"), json=kserve_body(),
                                headers=user, timeout=10),
        "kserve-metadata": requests.get(srv.url("/v2/models/exp"), headers=user, timeout=10),
        "tfserving": requests.post(srv.url("/v1/models/exp:predict"),
                                   json={"instances": x.tolist()}, headers=user, timeout=10),
        "torchserve": requests.post(srv.url("/predictions/exp"),
                                    json={"instances": x.tolist()}, headers=user, timeout=10),
        "mlflow": requests.post(srv.url("/invocations"), json={"inputs": x.tolist()},
                                headers={**user, "X-Model": "exp"}, timeout=10),
        "predict": requests.post(srv.url("/predict"),
                                 json={"model": "exp", "features": x[0].tolist()},
                                 headers=user, timeout=10),
    }
    for protocol, r in answers.items():
        assert r.status_code == 200, f"{protocol}: {r.status_code} {r.text}"
        assert r.headers.get("X-Inferd-Variant") == "treatment", protocol
        assert r.headers.get("X-Inferd-Model") == TREATMENT, protocol
    # Where the protocol's body has a place for it, the body says so too.
    assert answers["kserve"].json()["parameters"] == {"route": "exp", "variant": "treatment"}
    assert answers["predict"].json()["variant"] == "treatment"  # as the seeds' service

    with grpc.insecure_channel(srv.grpc_target) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        request = service_pb2.ModelInferRequest(model_name="exp")
        tensor = request.inputs.add(name="float_input", datatype="FP32", shape=[1, x.shape[1]])
        tensor.contents.fp32_contents.extend(x[0].tolist())
        response, call = stub.ModelInfer.with_call(request, metadata=(("x-user-id", "u1"),))
        assert response.model_name == TREATMENT
        assert response.parameters["variant"].string_param == "treatment"
        assert dict(call.trailing_metadata())["x-inferd-variant"] == "treatment"

        predict = tfs.prediction_service_pb2_grpc.PredictionServiceStub(channel)
        tf_request = tfs.predict_pb2.PredictRequest()
        tf_request.model_spec.name = "exp"
        tensor = tf_request.inputs["float_input"]
        tensor.dtype = tfs.types_pb2.DT_FLOAT
        tensor.tensor_shape.dim.add(size=x.shape[0])
        tensor.tensor_shape.dim.add(size=x.shape[1])
        tensor.float_val.extend(x.flatten().tolist())
        _, call = predict.Predict.with_call(tf_request, timeout=10)
        assert dict(call.trailing_metadata())["x-inferd-variant"] == "treatment"


def test_the_seeds_user_id_query_parameter_is_a_key(tmp_path, example_repo, inferd_factory):
    srv = start(tmp_path, example_repo, inferd_factory)
    assert put_route(srv, "seeds", 50, 50, key="query:user_id").status_code == 200
    x = mem.sample_inputs(CONTROL, n=1)["float_input"]
    for user in range(20):
        r = requests.post(srv.url(f"/predict?user_id={user}"),
                          json={"model": "seeds", "features": x[0].tolist()}, timeout=10)
        assert r.status_code == 200, r.text
        assert r.headers["X-Inferd-Variant"] == expected_variant("seeds", str(user), 50)


def test_a_route_that_cannot_serve_is_refused_with_the_reason(tmp_path, example_repo,
                                                               inferd_factory):
    srv = start(tmp_path, example_repo, inferd_factory)
    r = put_route(srv, "exp", 50, 50, treatment_model="no_such_model")
    assert r.status_code == 400 and "cannot serve" in r.json()["error"], r.text
    r = put_route(srv, "exp", 50, 50, treatment_model="string_pipeline")
    assert r.status_code == 400 and "takes inputs" in r.json()["error"], r.text
    r = put_route(srv, "exp", 0, 0)
    assert r.status_code == 400 and "positive weight" in r.json()["error"], r.text
    r = requests.put(srv.url("/v1/routes/exp"), json={"variants": [], "color": "red"},
                     timeout=10)
    assert r.status_code == 400 and "unknown field 'color'" in r.json()["error"], r.text
    assert requests.get(srv.url("/v1/routes/exp"), timeout=10).status_code == 404
    assert requests.get(srv.url("/v1/routes"), timeout=10).json() == {"routes": []}
    # A model still answers under its own name, and a deleted route stops answering.
    assert put_route(srv, "exp", 1, 1).status_code == 200
    assert requests.delete(srv.url("/v1/routes/exp"), timeout=10).status_code == 200
    r = requests.post(srv.url("/v2/models/exp/infer"), json=kserve_body(), timeout=10)
    assert r.status_code in (400, 404), r.text
    r = requests.post(srv.url(f"/v2/models/{CONTROL}/infer"), json=kserve_body(), timeout=10)
    assert r.status_code == 200 and "X-Inferd-Variant" not in r.headers


def test_a_route_never_hides_a_model_nor_takes_a_version(tmp_path, example_repo, inferd_factory):
    srv = start(tmp_path, example_repo, inferd_factory)
    r = requests.put(srv.url(f"/v1/routes/{CONTROL}"), json={
        "variants": [{"name": "a", "model": TREATMENT, "weight": 1}]}, timeout=10)
    assert r.status_code == 400 and "is a model" in r.json()["error"], r.text
    assert put_route(srv, "exp", 1, 1).status_code == 200
    r = requests.post(srv.url("/v2/models/exp/versions/1/infer"), json=kserve_body(), timeout=10)
    assert r.status_code == 400 and "is a route" in r.json()["error"], r.text
    r = requests.put(srv.url("/v1/routes/exp"), json={
        "salt": "bad\u001fsalt", "variants": [{"name": "a", "model": CONTROL, "weight": 1}]},
        timeout=10)
    assert r.status_code == 400 and "salt" in r.json()["error"], r.text


def test_an_admin_limited_to_some_models_routes_only_to_those(tmp_path, example_repo,
                                                              inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", [CONTROL])
    shutil.copytree(repo / CONTROL, repo / TREATMENT)
    db = tmp_path / "keys.db"
    limited = subprocess.run(
        [str(INFERD_BIN), "keys", "create", "--db", str(db), "--name", "team-a", "--roles",
         "admin,read,infer", "--models", f"exp,{CONTROL}"],
        capture_output=True, text=True, check=True).stdout.strip()
    srv = inferd_factory(repo, ["--api-keys", "--keys-db", str(db)])
    auth = {"X-API-Key": limited}
    r = requests.put(srv.url("/v1/routes/exp"), headers=auth, timeout=10, json={
        "variants": [{"name": "control", "model": CONTROL, "weight": 1},
                     {"name": "treatment", "model": TREATMENT, "weight": 1}]})
    # The model outside its grant is refused as one that does not exist.
    assert r.status_code == 404 and TREATMENT in r.json()["error"], r.text
    r = requests.put(srv.url("/v1/routes/exp"), headers=auth, timeout=10, json={
        "variants": [{"name": "control", "model": CONTROL, "weight": 1}]})
    assert r.status_code == 200, r.text
    r = requests.post(srv.url("/v2/models/exp/infer"), json=kserve_body(), headers=auth,
                      timeout=10)
    assert r.status_code == 200 and r.headers["X-Inferd-Variant"] == "control", r.text


def test_an_admin_may_force_a_variant_and_others_may_not(tmp_path, example_repo,
                                                         inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", [CONTROL])
    shutil.copytree(repo / CONTROL, repo / TREATMENT)
    db = tmp_path / "keys.db"

    def key(name, roles):
        return subprocess.run([str(INFERD_BIN), "keys", "create", "--db", str(db), "--name",
                               name, "--roles", roles],
                              capture_output=True, text=True, check=True).stdout.strip()

    admin, app = key("ops", "admin,read,infer"), key("app", "infer")
    srv = inferd_factory(repo, ["--api-keys", "--keys-db", str(db)])
    r = requests.put(srv.url("/v1/routes/exp"), headers={"X-API-Key": admin}, timeout=10, json={
        "variants": [{"name": "control", "model": CONTROL, "weight": 1},
                     {"name": "treatment", "model": TREATMENT, "weight": 0}]})
    assert r.status_code == 200, r.text
    url = srv.url("/v2/models/exp/infer")
    forced = {"X-Inferd-Variant": "treatment"}
    r = requests.post(url, json=kserve_body(), headers={**forced, "X-API-Key": admin}, timeout=10)
    assert r.status_code == 200 and r.headers["X-Inferd-Variant"] == "treatment", r.text
    r = requests.post(url, json=kserve_body(), headers={**forced, "X-API-Key": app}, timeout=10)
    assert r.status_code == 200 and r.headers["X-Inferd-Variant"] == "control", r.text  # ignored
    r = requests.post(url, json=kserve_body(), timeout=10,
                      headers={"X-Inferd-Variant": "nope", "X-API-Key": admin})
    assert r.status_code == 400 and "has no variant 'nope'" in r.json()["error"], r.text
    with grpc.insecure_channel(srv.grpc_target) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        x = mem.sample_inputs(CONTROL, n=1)["float_input"]
        request = service_pb2.ModelInferRequest(model_name="exp")
        tensor = request.inputs.add(name="float_input", datatype="FP32", shape=list(x.shape))
        tensor.contents.fp32_contents.extend(x.flatten().tolist())
        _, call = stub.ModelInfer.with_call(
            request, metadata=(("x-api-key", admin), ("x-inferd-variant", "treatment")))
        assert dict(call.trailing_metadata())["x-inferd-variant"] == "treatment"
