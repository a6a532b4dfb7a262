"""Shadows and canary rollouts through the real binary: a shadow's answers
compared with the primary's on rows where the test knows they differ, a slow
shadow that never fails the primary and drops what its queue cannot hold, a
candidate that fails on a share of inputs rolled back by itself under HTTP
and gRPC load with only its own requests failing, a healthy one promoted with
its registry alias moved, thin traffic that holds, kill -9 mid-rollout
resuming at the same step, abort, and weights changed by hand under HTTP and
gRPC load without a failed request."""
from __future__ import annotations

import hashlib
import json
import random
import shutil
import signal
import subprocess
import time

import grpc
import requests
from e2e_lib import INFERD_BIN, metric_value, scrape_metrics, wait_until
from lifecycle_lib import ConstantLoad
from routing_models import threshold_model, write_model
from tritonclient.grpc import service_pb2, service_pb2_grpc


def repo_with(tmp_path, **models):
    repo = tmp_path / "repo"
    for name, model in models.items():
        write_model(repo, name, model)
    return repo


def put(srv, path, body):
    r = requests.put(srv.url(path), json=body, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def get(srv, path):
    r = requests.get(srv.url(path), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def post(srv, path):
    r = requests.post(srv.url(path), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def row(x0: float) -> dict:
    return {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4],
                        "data": [x0, 0.0, 0.0, 0.0]}]}


def route(stable, candidate, candidate_weight=0, key="random", **extra):
    return {"key": key, "variants": [
        {"name": "stable", "model": stable[0], "version": stable[1], "weight": 100 - candidate_weight},
        {"name": "candidate", "model": candidate[0], "version": candidate[1],
         "weight": candidate_weight}], **extra}


def weights(srv, name="clf"):
    return {v["name"]: v["weight"] for v in get(srv, f"/v1/routes/{name}")["variants"]}


class RouteLoad(ConstantLoad):
    """HTTP and gRPC clients calling a route back to back with x[:, 0] drawn
    from [0, 1); every answer is kept as (sent, protocol, ok, variant, answered),
    the times from time.monotonic()."""

    def __init__(self, srv, name="clf", http_threads=2, grpc_threads=1):
        super().__init__(srv, model=name, http_threads=http_threads, grpc_threads=grpc_threads)

    def _keep(self, started, protocol, ok, variant):
        with self.lock:
            self.answers.append((started, protocol, ok, variant, time.monotonic()))

    def _http(self):
        session = requests.Session()
        url = self.server.url(f"/v2/models/{self.model}/infer")
        rng = random.Random()
        while not self.stop_event.is_set():
            started = time.monotonic()
            r = session.post(url, data=json.dumps(row(rng.random())), timeout=30)
            self._keep(started, "http", r.status_code == 200, r.headers.get("X-Inferd-Variant", ""))

    def _grpc(self):
        channel = grpc.insecure_channel(self.server.grpc_target)
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        rng = random.Random()
        while not self.stop_event.is_set():
            request = service_pb2.ModelInferRequest(model_name=self.model)
            tensor = request.inputs.add(name="x", datatype="FP32", shape=[1, 4])
            tensor.contents.fp32_contents.extend([rng.random(), 0, 0, 0])
            started = time.monotonic()
            try:
                _, call = stub.ModelInfer.with_call(request, timeout=30)
                ok, trailing = True, call.trailing_metadata()
            except grpc.RpcError as e:
                ok, trailing = False, e.trailing_metadata()
            self._keep(started, "grpc", ok, dict(trailing or ()).get("x-inferd-variant", ""))
        channel.close()


def test_the_shadow_is_compared_with_the_primary_on_rows_known_to_differ(tmp_path,
                                                                        inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, primary=threshold_model(0.5),
                                   shadow=threshold_model(0.25)))
    put(srv, "/v1/routes/clf", {"variants": [
        {"name": "primary", "model": "primary", "weight": 1},
        {"name": "shadow", "model": "shadow", "weight": 0}],
        "shadow": {"variant": "shadow", "sample": 1.0}})
    # 10 rows in (0.25, 0.5]: the shadow says 1, the primary 0. 30 rows agree.
    xs = [0.3 + 0.01 * i for i in range(10)] + [0.1] * 15 + [0.9] * 15
    random.shuffle(xs)
    with requests.Session() as session:
        for x0 in xs:
            r = session.post(srv.url("/v2/models/clf/infer"), json=row(x0), timeout=10)
            assert r.status_code == 200, r.text
            assert r.headers["X-Inferd-Variant"] == "primary"  # the shadow never answers
            label = r.json()["outputs"][0]
            assert label["data"] == [1 if x0 > 0.5 else 0]
    wait_until(lambda: get(srv, "/v1/routes/clf")["traffic"]["shadow"]["compared"] == 40, 30,
               what="every mirrored request compared")
    shadow = get(srv, "/v1/routes/clf")["traffic"]["shadow"]
    assert shadow["mirrored"] == 40 and shadow["dropped"] == 0 and shadow["errors"] == 0
    assert shadow["agreement"] == 0.75  # label and argmax of score, each 30 of 40 rows
    assert shadow["outputs"]["label"]["max_abs_diff"] == 1
    assert shadow["outputs"]["label"]["mean_abs_diff"] == 0.25
    assert shadow["outputs"]["score"]["mean_abs_diff"] == 0.25  # both entries of 10 of 40 rows
    samples = scrape_metrics(srv.url("/metrics"))
    assert metric_value(samples, "inferd_route_shadow_agreement", route="clf",
                        variant="shadow") == 0.75
    assert metric_value(samples, "inferd_route_shadow_requests_total", route="clf",
                        variant="shadow", outcome="compared") == 40
    assert metric_value(samples, "inferd_route_requests_total", route="clf", variant="primary",
                        outcome="success") == 40


def test_a_slow_shadow_never_fails_the_primary_and_a_full_queue_drops_and_counts(
        tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, fast=threshold_model(0.5),
                                   slow=threshold_model(0.5, slow=True)),
                         ["--shadow-queue", "2"])
    put(srv, "/v1/routes/clf", {"variants": [
        {"name": "fast", "model": "fast", "weight": 1},
        {"name": "slow", "model": "slow", "weight": 0}],
        "shadow": {"variant": "slow", "sample": 1.0, "timeout_ms": 60000}})
    with requests.Session() as session:
        for i in range(100):
            r = session.post(srv.url("/v2/models/clf/infer"), json=row(i / 100), timeout=10)
            assert r.status_code == 200, r.text
    status = get(srv, "/v1/routes/clf")["traffic"]
    shadow = status["shadow"]
    assert status["variants"][0]["requests"] == 100 and status["variants"][0]["failures"] == 0
    assert shadow["dropped"] > 0, shadow
    def caught_up():
        s = get(srv, "/v1/routes/clf")["traffic"]["shadow"]
        return s["compared"] + s["errors"] == s["mirrored"]

    wait_until(caught_up, 120, what="the shadow caught up")
    shadow = get(srv, "/v1/routes/clf")["traffic"]["shadow"]
    assert shadow["mirrored"] + shadow["dropped"] == 100, shadow
    assert shadow["agreement"] == 1.0  # the same thresholds, just slower
    samples = scrape_metrics(srv.url("/metrics"))
    assert metric_value(samples, "inferd_route_shadow_requests_total", route="clf",
                        variant="slow", outcome="dropped") == shadow["dropped"]


def test_a_failing_candidate_rolls_back_by_itself_and_only_its_requests_fail(
        tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, good=threshold_model(0.5),
                                   flaky=threshold_model(0.5, fail_above=0.6)))
    put(srv, "/v1/routes/clf", route(("good", ""), ("flaky", "")))
    with RouteLoad(srv) as load:
        rollout = put(srv, "/v1/routes/clf/rollout", {
            "stable": "stable", "candidate": "candidate", "steps": [20, 50, 100],
            "interval_secs": 1, "failure_limit": 2,
            "guards": {"max_error_rate": 0.05, "min_requests": 20}})
        assert rollout["state"] == "progressing" and rollout["candidate_percent"] == 20
        wait_until(lambda: get(srv, "/v1/routes/clf/rollout")["state"] == "rolled_back", 60,
                   what="the rollback")
        rolled_back_at = time.monotonic()
        time.sleep(1.5)
    rollout = get(srv, "/v1/routes/clf/rollout")
    assert rollout["step"] == 0 and rollout["failures"] == 2, rollout  # never climbed
    assert rollout["reason"].startswith("candidate error rate "), rollout
    assert rollout["last_judgement"]["verdict"] == "fail"
    assert rollout["last_judgement"]["candidate_error_rate"] > 0.05
    assert weights(srv) == {"stable": 10000, "candidate": 0}
    failed = [a for a in load.answers if not a[2]]
    assert failed, "the candidate should have failed some requests"
    assert {a[3] for a in failed} == {"candidate"}, failed[:5]  # stable never failed
    assert {a[1] for a in load.answers} == {"http", "grpc"}
    assert {a[1] for a in failed} == {"http", "grpc"}
    # Requests sent once the rollback was seen all went to stable.
    late = [a for a in load.answers if a[0] > rolled_back_at]
    assert late and {a[3] for a in late} == {"stable"}
    # Every failure the clients saw is counted against the candidate.
    traffic = {v["variant"]: v for v in get(srv, "/v1/routes/clf")["traffic"]["variants"]}
    assert traffic["candidate"]["failures"] == len(failed)
    assert traffic["stable"]["failures"] == 0
    samples = scrape_metrics(srv.url("/metrics"))
    assert metric_value(samples, "inferd_route_rollout_state", route="clf",
                        state="rolled_back") == 1
    assert metric_value(samples, "inferd_route_weight", route="clf", variant="candidate") == 0


def test_a_healthy_candidate_is_promoted_and_its_registry_alias_moves(tmp_path, inferd_factory):
    repo = tmp_path / "repo"
    write_model(repo, "clf", threshold_model(0.5), version=1)
    write_model(repo, "clf", threshold_model(0.5), version=2)
    audit = tmp_path / "audit.log"
    srv = inferd_factory(repo, ["--audit-log", str(audit)])
    reg = "/v1/registry"
    for v in (1, 2):
        r = requests.post(srv.url(reg + "/model-versions/create"), timeout=30,
                          json={"name": "clf", "source": str(repo / "clf" / str(v))})
        assert r.status_code == 200, r.text
    r = requests.post(srv.url(reg + "/registered-models/alias"), timeout=30,
                      json={"name": "clf", "alias": "champion", "version": "1"})
    assert r.status_code == 200, r.text
    r = requests.post(srv.url(reg + "/model-versions/transition-stage"), timeout=30,
                      json={"name": "clf", "version": "2", "stage": "Staging"})
    assert r.status_code == 200, r.text  # the registry serves what is staged or aliased
    put(srv, "/v1/routes/scorer", route(("clf", "champion"), ("clf", "2")))
    with RouteLoad(srv, name="scorer", grpc_threads=0) as load:
        put(srv, "/v1/routes/scorer/rollout", {
            "stable": "stable", "candidate": "candidate", "steps": [50, 100],
            "interval_secs": 1, "promote_alias": "champion",
            "guards": {"max_error_rate": 0.01, "min_requests": 5}})
        wait_until(lambda: get(srv, "/v1/routes/scorer/rollout")["state"] == "promoted", 60,
                   what="the promotion")
    assert load.answers and all(a[2] for a in load.answers)
    alias = requests.get(srv.url(reg + "/registered-models/alias"), timeout=30,
                         params={"name": "clf", "alias": "champion"})
    assert alias.json()["model_version"]["version"] == "2", alias.text
    answer = requests.post(srv.url("/v2/models/clf/versions/champion/infer"), json=row(0.9),
                           timeout=30)
    assert answer.json()["model_version"] == "2"
    assert weights(srv, "scorer") == {"stable": 0, "candidate": 10000}
    # The server's own changes are audited beside the admin calls that began them.
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    own = [(e["action"], e["outcome"]) for e in lines if e["identity"] == "inferd"]
    assert own == [("rollout.step", "progressing"), ("rollout.promote", "promoted")], own
    assert ("routes-http PUT /v1/routes/{route}/rollout", "scorer") in [
        (e["action"], e["target"]) for e in lines if e["identity"] == "anonymous"]


def test_thin_traffic_holds_kill_9_resumes_the_step_and_abort_returns_to_stable(
        tmp_path, inferd_factory):
    repo = repo_with(tmp_path, a=threshold_model(0.5), b=threshold_model(0.5))
    srv = inferd_factory(repo)
    put(srv, "/v1/routes/clf", route(("a", ""), ("b", "")))
    put(srv, "/v1/routes/clf/rollout", {
        "stable": "stable", "candidate": "candidate", "steps": [50, 75, 100],
        "interval_secs": 1, "guards": {"min_requests": 20, "max_error_rate": 0.01}})
    # The candidate gets its 20 requests at once (an admin may force a variant).
    with requests.Session() as session:
        for _ in range(25):
            r = session.post(srv.url("/v2/models/clf/infer"), json=row(0.2), timeout=10,
                             headers={"X-Inferd-Variant": "candidate"})
            assert r.status_code == 200 and r.headers["X-Inferd-Variant"] == "candidate"
    wait_until(lambda: get(srv, "/v1/routes/clf/rollout")["step"] == 1, 30, what="step 2")
    # No traffic now: every judgement holds, and the step stays.
    wait_until(lambda: get(srv, "/v1/routes/clf/rollout")["last_judgement"]["verdict"] == "hold",
               30, what="a hold")
    first_hold = get(srv, "/v1/routes/clf/rollout")["last_judgement"]["at_ms"]
    wait_until(lambda: get(srv, "/v1/routes/clf/rollout")["last_judgement"]["at_ms"] > first_hold,
               30, what="another judgement")
    held = get(srv, "/v1/routes/clf/rollout")
    assert held["step"] == 1 and held["state"] == "progressing", held
    assert "candidate requests in the window, 20 needed" in held["last_judgement"]["detail"]

    srv.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.stopped_rc = 0  # killed on purpose
    again = inferd_factory(repo)
    resumed = get(again, "/v1/routes/clf/rollout")
    assert resumed["state"] == "progressing" and resumed["step"] == 1, resumed
    assert resumed["candidate_percent"] == 75
    assert resumed["last_judgement"]["verdict"] == "hold"  # with its numbers, kept
    assert resumed["last_judgement"]["candidate_requests"] == 0
    assert weights(again) == {"stable": 2500, "candidate": 7500}

    cli = subprocess.run([str(INFERD_BIN), "routes", "--url", again.base_url, "abort", "clf"],
                         check=False, capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert "aborted 0% to candidate" in cli.stdout
    assert weights(again) == {"stable": 10000, "candidate": 0}
    with requests.Session() as session:
        for _ in range(20):
            r = session.post(again.url("/v2/models/clf/infer"), json=row(0.2), timeout=10)
            assert r.headers["X-Inferd-Variant"] == "stable"
    # A finished rollout frees the route for changes; one in progress did not.
    put(again, "/v1/routes/clf", route(("a", ""), ("b", ""), candidate_weight=10))


def test_a_route_with_a_rollout_in_progress_refuses_changes_and_bad_rollouts_are_refused(
        tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, a=threshold_model(0.5), b=threshold_model(0.5)))
    put(srv, "/v1/routes/clf", route(("a", ""), ("b", "")))
    for body, says in [
        ({"stable": "stable"}, "names its 'stable' and 'candidate'"),
        ({"stable": "stable", "candidate": "nope"}, "no variant 'nope'"),
        ({"stable": "stable", "candidate": "candidate", "steps": [50, 20]}, "rising"),
        ({"stable": "stable", "candidate": "candidate", "guards": {"max_error_rate": 2}},
         "shares from 0 to 1"),
        ({"stable": "stable", "candidate": "candidate", "color": "red"}, "unknown rollout field"),
        ({"stable": "stable", "candidate": "candidate", "guards": {"p99": 1}}, "unknown guard"),
    ]:
        r = requests.put(srv.url("/v1/routes/clf/rollout"), json=body, timeout=30)
        assert r.status_code == 400 and says in r.json()["error"], (body, r.text)
    r = requests.put(srv.url("/v1/routes/nope/rollout"), timeout=30,
                     json={"stable": "stable", "candidate": "candidate"})
    assert r.status_code == 404, r.text
    put(srv, "/v1/routes/clf/rollout", {"stable": "stable", "candidate": "candidate",
                                        "interval_secs": 3600})
    r = requests.put(srv.url("/v1/routes/clf"), json=route(("a", ""), ("b", "")), timeout=30)
    assert r.status_code == 400 and "rollout in progress" in r.json()["error"], r.text
    r = requests.delete(srv.url("/v1/routes/clf"), timeout=30)
    assert r.status_code == 400 and "rollout in progress" in r.json()["error"], r.text
    r = requests.put(srv.url("/v1/routes/clf/rollout"), timeout=30,
                     json={"stable": "stable", "candidate": "candidate"})
    assert r.status_code == 400 and "already has a rollout" in r.json()["error"], r.text
    assert post(srv, "/v1/routes/clf/rollout/pause")["state"] == "paused"
    assert post(srv, "/v1/routes/clf/rollout/resume")["state"] == "progressing"
    assert post(srv, "/v1/routes/clf/rollout/abort")["state"] == "aborted"
    r = requests.post(srv.url("/v1/routes/clf/rollout/pause"), timeout=30)
    assert r.status_code == 404, r.text
    assert requests.delete(srv.url("/v1/routes/clf"), timeout=30).status_code == 200


def test_weights_changed_under_load_fail_no_request_and_take_effect_at_once(
        tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, a=threshold_model(0.5), b=threshold_model(0.5)))
    put(srv, "/v1/routes/clf", route(("a", ""), ("b", "")))
    changes = []  # (the PUT sent, the PUT answered, the candidate's weight)
    with RouteLoad(srv) as load:
        for weight in (30, 100, 0, 50, 100, 0):
            time.sleep(0.4)
            sent = time.monotonic()
            put(srv, "/v1/routes/clf", route(("a", ""), ("b", ""), candidate_weight=weight))
            changes.append((sent, time.monotonic(), weight))
        time.sleep(0.4)
    assert load.answers and all(a[2] for a in load.answers), \
        [a for a in load.answers if not a[2]][:5]
    assert {a[1] for a in load.answers} == {"http", "grpc"}
    # A request sent after a PUT answered, and answered before the next was
    # sent, sees that PUT's weights: at 0 and 100 only one variant serves.
    # (Its send time alone is not enough: a client thread can note the time,
    # lose the GIL, and reach the server after the next PUT.)
    for i, (_, at, weight) in enumerate(changes):
        until = changes[i + 1][0] if i + 1 < len(changes) else float("inf")
        within = [a for a in load.answers if at < a[0] and a[4] < until]
        assert within, f"no request between the changes to {weight}"
        if weight in (0, 100):
            want = "candidate" if weight == 100 else "stable"
            assert {a[3] for a in within} == {want}, (
                weight, at, [a for a in within if a[3] != want])
    def counted():
        return {v["variant"]: v for v in get(srv, "/v1/routes/clf")["traffic"]["variants"]}

    wait_until(lambda: sum(v["requests"] for v in counted().values()) == len(load.answers), 10,
               what="every answer counted against its variant")
    assert all(v["failures"] == 0 for v in counted().values())


def test_a_route_keeps_the_models_it_sends_traffic_to_and_its_name(tmp_path, inferd_factory):
    repo = repo_with(tmp_path, a=threshold_model(0.5), b=threshold_model(0.5))
    srv = inferd_factory(repo, ["--model-control-mode", "explicit", "--load-model", "*"])
    put(srv, "/v1/routes/clf", route(("a", ""), ("b", ""), candidate_weight=10))
    r = requests.post(srv.url("/v2/repository/models/b/unload"), timeout=30)
    assert r.status_code == 400, r.text
    assert "serves variant 'candidate' of route 'clf'" in r.json()["error"]
    write_model(repo, "clf", threshold_model(0.5))
    r = requests.post(srv.url("/v2/repository/models/clf/load"), timeout=30)
    assert r.status_code == 400 and "is a route" in r.json()["error"], r.text
    shutil.rmtree(repo / "clf")
    # At weight 0 the variant takes no traffic: its model may go.
    put(srv, "/v1/routes/clf", route(("a", ""), ("b", ""), candidate_weight=0))
    r = requests.post(srv.url("/v2/repository/models/b/unload"), timeout=30)
    assert r.status_code == 200, r.text
    r = requests.post(srv.url("/v2/models/clf/infer"), json=row(0.7), timeout=30)
    assert r.status_code == 200 and r.headers["X-Inferd-Variant"] == "stable"


def test_a_routes_file_seeds_routes_and_rollouts_and_the_database_keeps_them(
        tmp_path, inferd_factory):
    repo = repo_with(tmp_path, a=threshold_model(0.5), b=threshold_model(0.5))
    routes_file = tmp_path / "routes.json"
    routes_file.write_text(json.dumps({
        "routes": {"clf": route(("a", ""), ("b", ""))},
        "rollouts": {"clf": {"stable": "stable", "candidate": "candidate", "steps": [10, 100],
                             "interval_secs": 3600}}}))
    srv = inferd_factory(repo, ["--routes-file", str(routes_file)])
    assert get(srv, "/v1/routes/clf/rollout")["state"] == "progressing"
    assert weights(srv) == {"stable": 9000, "candidate": 1000}
    assert post(srv, "/v1/routes/clf/rollout/abort")["state"] == "aborted"
    assert srv.stop() == 0
    # The file seeds what the database lacks; the stored route and rollout win.
    again = inferd_factory(repo, ["--routes-file", str(routes_file)])
    assert get(again, "/v1/routes/clf/rollout")["state"] == "aborted"
    assert weights(again) == {"stable": 10000, "candidate": 0}

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"routes": {"other": {"variants": [
        {"name": "x", "model": "missing", "weight": 1}]}}}))
    run = subprocess.run([str(INFERD_BIN), "serve", "--model-repository", str(repo),
                          "--http-port", "0", "--grpc-port", "-1", "--routes-file", str(bad)],
                         check=False, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stderr
    assert f"routes file {bad}" in run.stderr and "missing" in run.stderr, run.stderr


def test_a_route_is_ready_only_when_its_variants_are_and_a_missing_one_is_blamed(
        tmp_path, inferd_factory):
    repo = repo_with(tmp_path, a=threshold_model(0.5), b=threshold_model(0.5))
    srv = inferd_factory(repo)
    put(srv, "/v1/routes/clf", route(("a", ""), ("b", ""), candidate_weight=10))
    assert requests.get(srv.url("/v2/models/clf/ready"), timeout=10).status_code == 200
    assert srv.stop() == 0
    shutil.rmtree(repo / "b")  # the stored route names a model that is gone
    again = inferd_factory(repo)
    r = requests.get(again.url("/v2/models/clf/ready"), timeout=10)
    assert r.status_code == 400, r.text
    assert "variant 'candidate' of route 'clf' is not ready" in r.json()["error"]
    channel = grpc.insecure_channel(again.grpc_target)
    ready = service_pb2_grpc.GRPCInferenceServiceStub(channel).ModelReady(
        service_pb2.ModelReadyRequest(name="clf"), timeout=10)
    assert ready.ready is False
    channel.close()
    # The candidate's users get an error, answered as its, and counted against it.
    r = requests.post(again.url("/v2/models/clf/infer"), json=row(0.2), timeout=10,
                      headers={"X-Inferd-Variant": "candidate"})
    assert r.status_code != 200 and r.headers["X-Inferd-Variant"] == "candidate"
    traffic = {v["variant"]: v for v in get(again, "/v1/routes/clf")["traffic"]["variants"]}
    assert traffic["candidate"]["failures"] == 1
    assert traffic["candidate"]["p99_ms"] is None  # never ran: not timed


def test_a_kserve_request_parameter_is_a_sticky_key_over_http_and_grpc(tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, a=threshold_model(0.5), b=threshold_model(0.5)))
    put(srv, "/v1/routes/clf", route(("a", ""), ("b", ""), candidate_weight=50,
                                     key="param:user_id"))
    channel = grpc.insecure_channel(srv.grpc_target)
    stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
    seen = set()
    for user in range(40):
        body = row(0.2)
        body["parameters"] = {"user_id": f"user-{user}"}
        r = requests.post(srv.url("/v2/models/clf/infer"), json=body, timeout=10)
        assert r.status_code == 200, r.text
        bucket = int.from_bytes(hashlib.sha256(f"clf\x1fuser-{user}".encode()).digest()[:8],
                                "big") % 10_000
        expected = "stable" if bucket < 5_000 else "candidate"
        assert r.headers["X-Inferd-Variant"] == expected, user
        request = service_pb2.ModelInferRequest(model_name="clf")
        request.parameters["user_id"].string_param = f"user-{user}"
        tensor = request.inputs.add(name="x", datatype="FP32", shape=[1, 4])
        tensor.contents.fp32_contents.extend([0.2, 0, 0, 0])
        _, call = stub.ModelInfer.with_call(request, timeout=10)
        assert dict(call.trailing_metadata())["x-inferd-variant"] == expected, user
        seen.add(expected)
    assert seen == {"stable", "candidate"}
    channel.close()
