#!/usr/bin/env python3
"""inferd's benchmark suite: inferd against its peers and the limits of this machine.

  python bench/run_bench.py [--quick] [--out DIR] [--only W1,W3,idle]
                            [--inferd BIN] [--l1 BIN] [--server-cpus LIST] [--client-cpus LIST]

`make bench` and `make bench-quick` run it with the test venv (numpy, onnx,
scikit-learn). It installs its tools first (bench/setup_bench.sh), writes the
benchmark models (bench/make_bench_models.py), then runs the workloads and
writes DIR/results.json and DIR/results.md (default DIR: bench/out).

Workloads (bench/README.md says more):
  W1  logistic regression, single rows: inferd (KServe JSON, /predict, gRPC),
      P1, P2, L1, L2, L3; and latency at a constant rate of half P1's peak
  W2  random forest: single rows and 1,000-row batches
  W3  MLP 4x1024, single rows, dynamic batching on vs off (same instances)
  W4  ResNet-style CNN, one 224x224 image per request, KServe JSON vs binary
  idle  idle memory and start-to-ready time
--quick runs a few short runs of each part, to prove the suite works; its
numbers are not measurements. Neither mode asserts on timings: the exit status
is 1 only when something failed to run (a server that does not start, a load
generator that fails, a run with no successful request).
"""
from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

import loadgen
import report
import servers

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "examples"))
import make_example_models as examples  # noqa: E402  (the data sets the models were trained on)

WORKLOADS = {
    "W1": "logistic regression (30 features), one row per request",
    "W2": "random forest (100 trees, 4 features)",
    "W3": "MLP (4 hidden layers × 1,024, 64 features), one row per request",
    "W4": "ResNet-style CNN, one 1×3×224×224 FP32 image per request",
    "W1auth": "W1 (KServe JSON) without credentials, with an API key, with a JWT",
    "W1route": "W1 (KServe JSON) to the model, and to a route (A/B split) over it",
    "W1shadow": "W1 through a route at a constant rate: no shadow, a mirrored copy, a late "
                "shadow, a slow shadow",
    "W5job": "a batch job of W1's rows (JSONL under the input folder), and W1 online while "
             "it runs",
}
PARTS = [*WORKLOADS, "idle"]
ROW_CONCURRENCY = 64  # W1, W2 single rows, W3: many small clients
BATCH_CONCURRENCY = 16  # W2 1,000-row batches
IMAGE_CONCURRENCY = 8  # W4: a 25 ms model saturates 2 cores with a few clients
BATCH_ROWS = 1000
L1_BEST_BATCH = {"W1": 64, "W3": 256, "W4": 4}  # batch sizes tried besides 1 (and W2's 1,000)


@dataclass
class Durations:
    warmup_s: int
    measure_s: int
    openloop_s: int
    l1_s: float
    idle_trials: int


FULL = Durations(warmup_s=2, measure_s=10, openloop_s=10, l1_s=5, idle_trials=3)
QUICK = Durations(warmup_s=0, measure_s=2, openloop_s=2, l1_s=1, idle_trials=1)


@dataclass
class Row:
    """One closed-loop throughput run (or one L1 run) and what it measured."""

    key: str  # "W1.inferd_json": how the targets find it
    workload: str
    group: str
    server: str
    kind: str  # inferd | peer | limit
    protocol: str
    concurrency: int
    rows: int  # rows per request (per inference for L1)
    ok: int
    errors: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    tool: str
    reference: bool = False
    req_per_s: float = field(init=False)
    rows_per_s: float = field(init=False)

    def __post_init__(self):
        self.req_per_s = self.ok / self.seconds if self.seconds > 0 else 0.0
        self.rows_per_s = self.req_per_s * self.rows


class Bench:
    """Settings, tools and everything measured so far; the workloads add to it."""

    def __init__(self, args, tools: dict):
        self.args = args
        self.tools = tools
        self.d = QUICK if args.quick else FULL
        self.quick = args.quick
        self.out = args.out
        self.logs = args.out / "logs"
        self.cores = len(os.sched_getaffinity(0))
        self.repo = args.out / "models"
        self.sk_dir = args.out / "sklearn-models"
        self.bodies = args.out / "bodies"
        self.venv = Path(tools["BENCH_VENV"])
        self.rows: list[Row] = []
        self.openloop: list[dict] = []
        self.idle: list[dict] = []
        self.notes: list[str] = []
        self.failures: list[str] = []
        self.samples: dict = {}

    # ------------------------------------------------------------ servers
    def inferd(self, repo: Path | None = None, extra: tuple = ()) -> servers.Server:
        return servers.inferd(self.args.inferd, repo or self.repo, self.logs, self.args.server_cpus,
                              extra=extra)

    def p1(self, model: str, workers: int) -> servers.Server:
        return servers.p1_sklearn(self.venv, self.sk_dir / f"{model}.joblib", workers, self.logs,
                                  self.args.server_cpus)

    def p2(self, repo: Path | None = None) -> servers.Server:
        return servers.p2_onnxruntime(self.venv, repo or self.repo, self.cores, self.logs,
                                      self.args.server_cpus)

    # ------------------------------------------------------------ runs
    def http(self, key: str, group: str, server: servers.Server, kind: str, protocol: str, path: str,
             body: Path, headers: list, concurrency: int, rows: int, reference: bool = False,
             label: str | None = None) -> Row:
        """Check one request answers 200, warm up, then measure with wrk at `concurrency`."""
        url = server.base + path
        self.samples[key] = check_http(url, body, headers)
        if self.d.warmup_s:
            self._wrk(url, body, headers, concurrency, self.d.warmup_s)
        load = self._wrk(url, body, headers, concurrency, self.d.measure_s)
        return self._add(key, group, label or server.name, kind, protocol, concurrency, rows, load,
                         reference)

    def _wrk(self, url, body, headers, concurrency, seconds) -> loadgen.Load:
        return loadgen.wrk(self.tools["WRK"], url, body, headers, concurrency, seconds, self.cores,
                           self.args.client_cpus)

    def grpc(self, key: str, group: str, server: servers.Server, data: Path, concurrency: int) -> Row:
        def run(seconds):
            return loadgen.ghz(self.tools["GHZ"], server.grpc, data, concurrency, seconds, self.cores,
                               self.args.client_cpus)

        if self.d.warmup_s:
            run(self.d.warmup_s)
        return self._add(key, group, "inferd", "inferd", "KServe v2 gRPC (ghz)", concurrency, 1,
                         run(self.d.measure_s))

    def l1(self, wl: str, group: str, model: str, configs: list[tuple[int, int]]) -> None:
        """L1 rows: ONNX Runtime in-process, for each (batch, threads)."""
        for batch, threads in configs:
            load = loadgen.l1(self.args.l1, self.repo / model / "1" / "model.onnx", batch, threads,
                              self.d.l1_s, self.args.server_cpus)
            self._add(f"{wl}.l1_b{batch}_t{threads}", group, "L1 onnxruntime in-process", "limit",
                      f"C++ API, batch {batch}, {threads} thread{'s' if threads > 1 else ''}",
                      threads, batch, load)

    def constant_rate(self, key: str, server: servers.Server, protocol: str, path: str, body: Path,
                      headers: list, rate: float) -> None:
        r = loadgen.openloop(self.tools["OPENLOOP"], server.base + path, body, headers, rate,
                             self.d.openloop_s, self.args.client_cpus)
        if r["ok"] == 0:
            self.failures.append(f"{key}: no request succeeded at {rate:.0f} req/s")
        self.openloop.append({"key": key, "workload": key.split(".")[0], "server": server.name,
                              "protocol": protocol, **r})

    def _add(self, key, group, server, kind, protocol, concurrency, rows, load: loadgen.Load,
             reference: bool = False) -> Row:
        row = Row(key=key, workload=key.split(".")[0], group=group, server=server, kind=kind,
                  protocol=protocol, concurrency=concurrency, rows=rows, ok=load.ok,
                  errors=load.errors, seconds=load.seconds, p50_ms=load.p50_ms,
                  p90_ms=load.p90_ms, p99_ms=load.p99_ms, tool=load.tool, reference=reference)
        if row.ok == 0:
            self.failures.append(f"{key}: no request succeeded ({row.errors} errors)")
        if load.errors:
            self.notes.append(f"{key}: {load.errors} errors ({load.error_detail or load.tool})")
        self.rows.append(row)
        print(f"  {key:<28} {row.req_per_s:>10,.0f} req/s {row.rows_per_s:>12,.0f} rows/s "
              f"p50 {row.p50_ms:7.2f} p99 {row.p99_ms:7.2f} ms  errors {row.errors}", flush=True)
        return row


def check_http(url: str, body: Path, headers: list) -> bytes:
    """One request must answer 200 before any load is measured: errors are not throughput."""
    req = urllib.request.Request(url, data=body.read_bytes(), method="POST")
    req.add_header("Content-Type", "application/json")
    for h in headers:
        name, value = h.split(":", 1)
        req.add_header(name.strip(), value.strip())
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"POST {url} answered {e.code}: {e.read()[:500]!r}") from None


# ------------------------------------------------------------------ request bodies
def rounded(array: np.ndarray) -> np.ndarray:
    """Four decimals, so JSON stays short and the binary body carries the same values."""
    return np.round(array.astype(np.float64), 4)


def kserve_json(name: str, array: np.ndarray) -> bytes:
    flat = [float(v) for v in rounded(array).ravel()]
    return json.dumps({"inputs": [{"name": name, "datatype": "FP32", "shape": list(array.shape),
                                   "data": flat}]}, separators=(",", ":")).encode()


def kserve_binary(name: str, array: np.ndarray) -> tuple[bytes, int]:
    """The binary tensor extension: a JSON header, then the raw little-endian tensor."""
    blob = rounded(array).astype("<f4").tobytes()
    header = json.dumps({"inputs": [{"name": name, "datatype": "FP32", "shape": list(array.shape),
                                     "parameters": {"binary_data_size": len(blob)}}],
                         "parameters": {"binary_data_output": True}}, separators=(",", ":")).encode()
    return header + blob, len(header)


def features(array: np.ndarray) -> bytes:
    """The seeds' /predict body: one row as a flat list, several as a list of rows."""
    values = rounded(array).tolist()
    return json.dumps({"features": values[0] if array.shape[0] == 1 else values}).encode()


def ghz_data(model: str, name: str, array: np.ndarray) -> bytes:
    raw = rounded(array).astype("<f4").tobytes()
    return json.dumps({"model_name": model, "inputs": [{"name": name, "datatype": "FP32",
                                                        "shape": list(array.shape)}],
                       "raw_input_contents": [base64.b64encode(raw).decode()]}).encode()


def write_bodies(directory: Path) -> dict:
    """Every request body, as files for the load generators; binary ones with their header."""
    directory.mkdir(parents=True, exist_ok=True)
    cancer, _ = examples.breast_cancer()
    iris, _ = examples.iris()
    rng = np.random.default_rng(0)
    w1 = cancer[:1]
    w2_batch = np.resize(iris, (BATCH_ROWS, iris.shape[1]))
    mlp = rng.standard_normal((1, 64)).astype(np.float32)
    image = rng.random((1, 3, 224, 224), dtype=np.float32)
    bodies = {
        "w1_kserve.json": kserve_json("float_input", w1),
        "w1_features.json": features(w1),
        "w1_ghz.json": ghz_data("logreg", "float_input", w1),
        "l2_identity.json": kserve_json("x", w1),
        "w2_kserve_1.json": kserve_json("float_input", iris[:1]),
        "w2_features_1.json": features(iris[:1]),
        "w2_kserve_1000.json": kserve_json("float_input", w2_batch),
        "w2_features_1000.json": features(w2_batch),
        "w3_kserve.json": kserve_json("x", mlp),
        "w4_kserve.json": kserve_json("input", image),
    }
    headers = {}
    for name, array in (("w2_binary_1000.bin", w2_batch), ("w4_binary.bin", image)):
        bodies[name], header_len = kserve_binary("float_input" if "w2" in name else "input", array)
        headers[name] = [f"Inference-Header-Content-Length: {header_len}",
                         "Content-Type: application/octet-stream"]
    paths = {}
    for name, data in bodies.items():
        (directory / name).write_bytes(data)
        paths[name] = directory / name
    return {"paths": paths, "headers": headers}


# --------------------------------------------------------------------- workloads
KSERVE = "KServe v2 JSON"
BINARY = "KServe v2 binary"


def w1(b: Bench, bodies: dict) -> None:
    p, group, conc = bodies["paths"], "single rows, concurrency 64", ROW_CONCURRENCY
    infer = "/v2/models/logreg/infer"
    # P1 first: its peak rate sets the constant rate of the latency comparison,
    # which runs against P1's better configuration.
    p1_peak, configs, rate = {}, [1] if b.quick else [1, 2], 0.0
    for workers in configs:
        with b.p1("logreg", workers) as p1:
            row = b.http(f"W1.p1_{workers}w", group, p1, "peer", "/predict JSON (seeds' service)",
                         "/predict", p["w1_features.json"], [], conc, 1)
            p1_peak[workers] = row.req_per_s
            if workers == configs[-1]:
                best = max(p1_peak, key=p1_peak.get)
                rate = 0.5 * p1_peak[best]
                if best == workers:  # still running: no restart needed
                    p1_constant_rate(b, p1, rate, p)
    if best != configs[-1]:
        with b.p1("logreg", best) as p1:
            p1_constant_rate(b, p1, rate, p)
    with b.inferd() as inferd:
        b.http("W1.inferd_json", group, inferd, "inferd", KSERVE, infer, p["w1_kserve.json"], [],
               conc, 1, reference=True)
        b.http("W1.inferd_predict", group, inferd, "inferd", "/predict JSON (the seeds' body)",
               "/predict", p["w1_features.json"], ["X-Model: logreg"], conc, 1)
        b.grpc("W1.inferd_grpc", group, inferd, p["w1_ghz.json"], conc)
        if rate > 0:
            b.constant_rate("W1.ol_inferd_predict", inferd, "/predict JSON", "/predict",
                            p["w1_features.json"], ["X-Model: logreg"], rate)
            b.constant_rate("W1.ol_inferd_json", inferd, KSERVE, infer, p["w1_kserve.json"], [], rate)
        # L2: the same protocol and body size, through a model that does nothing.
        b.http("W1.l2_identity", group, inferd, "limit", f"{KSERVE}, identity model",
               "/v2/models/identity_fp32/infer", p["l2_identity.json"], [], conc, 1,
               label="L2 inferd, identity model")
    with b.p2() as p2:
        b.http("W1.p2_json", group, p2, "peer", KSERVE, infer, p["w1_kserve.json"], [], conc, 1)
    b.l1("W1", group, "logreg", [(1, b.cores)] if b.quick else
         [(1, 1), (1, b.cores), (L1_BEST_BATCH["W1"], b.cores)])
    # L3 answers with inferd's own answer, so the bytes on the wire match.
    answer = b.samples["W1.inferd_json"].decode()
    with servers.nginx(b.tools["NGINX"], answer, b.cores, b.logs, b.args.server_cpus) as nginx:
        b.http("W1.l3_nginx", group, nginx, "limit", "HTTP/1.1, fixed JSON answer", "/",
               p["w1_kserve.json"], [], conc, 1)
        if rate > 0:
            # The floor of the constant-rate numbers: generator, kernel and wake-ups alone.
            b.constant_rate("W1.ol_l3", nginx, "HTTP/1.1, fixed JSON answer", "/",
                            p["w1_kserve.json"], [], rate)


def p1_constant_rate(b: Bench, p1: servers.Server, rate: float, p: dict) -> None:
    if rate <= 0:
        b.failures.append("W1: P1 served nothing, so no constant-rate comparison")
        return
    b.constant_rate("W1.ol_p1", p1, "/predict JSON", "/predict", p["w1_features.json"], [], rate)


def w1_auth(b: Bench, bodies: dict) -> None:
    """What authentication costs: W1's KServe JSON without credentials, with an API
    key (a key-database lookup per request) and with an HS256 JWT, back to back."""
    p, group, conc = bodies["paths"], "single rows, concurrency 64", ROW_CONCURRENCY
    infer = "/v2/models/logreg/infer"
    auth_dir = b.out / "auth"
    auth_dir.mkdir(parents=True, exist_ok=True)
    db, secret = auth_dir / "keys.db", "bench-secret-0123456789abcdef0123456789"
    db.unlink(missing_ok=True)
    (auth_dir / "hs256.secret").write_text(secret)
    key = subprocess.run([str(b.args.inferd), "keys", "create", "--db", str(db), "--name", "bench",
                          "--roles", "infer"], capture_output=True, text=True,
                         check=True).stdout.strip()
    token = hs256_jwt({"iss": "bench", "aud": "inferd", "sub": "bench", "roles": "infer",
                       "exp": int(time.time()) + 86400}, secret)
    extra = ("--api-keys", "--keys-db", str(db), "--jwt-issuer", "bench", "--jwt-audience",
             "inferd", "--jwt-hs256-secret-file", str(auth_dir / "hs256.secret"))
    body = p["w1_kserve.json"]
    # Both servers up at once and the three measured in turn, several rounds: this
    # machine's speed drifts by more than what is measured, so each ratio is of
    # medians of runs taken side by side.
    with b.inferd() as inferd, servers.inferd(b.args.inferd, b.repo, b.logs, b.args.server_cpus,
                                              name="inferd-auth", extra=extra) as secured:
        runs = {
            "none": (inferd, [], f"{KSERVE}, no auth"),
            "key": (secured, [f"X-API-Key: {key}"], f"{KSERVE}, API key"),
            "jwt": (secured, [f"Authorization: Bearer {token}"], f"{KSERVE}, JWT"),
            # The token's bytes alone, to a server that ignores them: what the header
            # costs on the wire and in the parser, apart from checking it.
            "none_token_bytes": (inferd, [f"Authorization: Bearer {token}"],
                                 f"{KSERVE}, no auth, a JWT-sized header"),
        }
        rates = {name: [] for name in runs}
        for name, (server, headers, protocol) in runs.items():
            row = b.http(f"W1.auth_{name}", group, server, "inferd", protocol, infer, body, headers,
                         conc, 1, reference=name == "none")
            rates[name].append(row.req_per_s)
        for _ in range(0 if b.quick else 4):
            for name, (server, headers, _) in runs.items():
                load = b._wrk(server.base + infer, body, headers, conc, b.d.measure_s)
                rates[name].append(load.ok / load.seconds if load.seconds else 0.0)
    median = {name: float(np.median(values)) for name, values in rates.items()}
    for name, what, base in (("key", "an API key", "none"), ("jwt", "a JWT", "none"),
                             ("jwt", "a JWT, beside the same header unchecked",
                              "none_token_bytes")):
        if median[base] > 0:
            b.notes.append(
                f"W1 with {what}: {median[name] / median[base]:.3f} of the throughput without "
                f"authentication (medians of {len(rates[name])} alternating runs: "
                f"{median[name]:.0f} vs {median[base]:.0f} req/s; target at least 0.95)")


def w1_route(b: Bench, bodies: dict) -> None:
    """What a route costs: W1's KServe JSON to logreg, and to a route that splits the
    same requests 50/50 between two variants of logreg, sticky by X-User-Id (the key
    hashed per request). Both sent the same header, measured in turn for rounds."""
    p, group, conc = bodies["paths"], "single rows, concurrency 64", ROW_CONCURRENCY
    body = p["w1_kserve.json"]
    user = ["X-User-Id: user-4711"]
    with b.inferd() as inferd:
        route = json.dumps({"key": "header:X-User-Id", "variants": [
            {"name": "a", "model": "logreg", "weight": 50},
            {"name": "b", "model": "logreg", "weight": 50}]}).encode()
        put = urllib.request.Request(inferd.base + "/v1/routes/w1route", data=route, method="PUT")
        with urllib.request.urlopen(put, timeout=30) as answer:
            answer.read()
        runs = {
            "model": "/v2/models/logreg/infer",
            "route": "/v2/models/w1route/infer",
        }
        rates = {name: [] for name in runs}
        cpu_us = {name: [] for name in runs}  # the server's CPU time per request
        for name, path in runs.items():
            row = b.http(f"W1.route_{name}", group, inferd, "inferd", f"{KSERVE}, {name}", path,
                         body, user, conc, 1, reference=name == "model")
            rates[name].append(row.req_per_s)
        for _ in range(0 if b.quick else 8):
            for name, path in runs.items():
                cpu = inferd.cpu_seconds()
                load = b._wrk(inferd.base + path, body, user, conc, b.d.measure_s)
                rates[name].append(load.ok / load.seconds if load.seconds else 0.0)
                if load.ok:
                    cpu_us[name].append((inferd.cpu_seconds() - cpu) / load.ok * 1e6)
    median = {name: float(np.median(values)) for name, values in rates.items()}
    if cpu_us["model"] and cpu_us["route"]:
        cpu = {name: float(np.median(values)) for name, values in cpu_us.items()}
        b.notes.append(
            f"W1 through a route, the server's CPU time per request (median of "
            f"{len(cpu_us['route'])} runs each): {cpu['route']:.1f} us vs {cpu['model']:.1f} us "
            f"to the model ({cpu['route'] / cpu['model']:.3f}); this resolves what the shared "
            f"machine's drift hides in the throughput")
    # Each round's two runs are back to back: their ratio cancels most of the
    # machine's drift between rounds.
    pairs = [r / m for r, m in zip(rates["route"], rates["model"]) if m > 0]
    if median["model"] > 0 and pairs:
        b.notes.append(
            f"W1 through a route: {float(np.median(pairs)):.3f} of the throughput to the model "
            f"itself (median of {len(pairs)} back-to-back pairs, from {min(pairs):.3f} to "
            f"{max(pairs):.3f}; medians of the runs {median['route']:.0f} vs "
            f"{median['model']:.0f} req/s; target at least 0.98)")


SHADOW_RATE = 2000  # req/s: well below W1's peak, so what a shadow takes shows in the latency


def w1_shadow(b: Bench, bodies: dict) -> None:
    """What a shadow costs the primary: W1's KServe JSON at a constant rate through a
    route without a shadow, with every request mirrored to a copy of logreg, with a
    tenth mirrored to logreg_late (logreg batched behind a 100 ms queue delay: every
    shadow answer comes 100 ms after the primary's, at the primary's CPU cost), and
    with every request mirrored to logreg_heavy (0.15 s a request on one core; its
    queue fills and the rest is dropped). The same rate each time, in turn for rounds."""
    body = bodies["paths"]["w1_kserve.json"]
    routes = {
        "none": None,
        "copy": {"name": "copy", "model": "logreg", "weight": 0},
        "late": {"name": "late", "model": "logreg_late", "weight": 0},
        "slow": {"name": "slow", "model": "logreg_heavy", "weight": 0},
    }
    samples = {"late": 0.1}
    p99 = {name: [] for name in routes}
    with b.inferd() as inferd:
        for name, shadow in routes.items():
            spec = {"variants": [{"name": "primary", "model": "logreg", "weight": 1}]}
            if shadow:
                spec["variants"].append(shadow)
                spec["shadow"] = {"variant": shadow["name"], "sample": samples.get(name, 1.0)}
            put = urllib.request.Request(inferd.base + f"/v1/routes/w1shadow_{name}",
                                         data=json.dumps(spec).encode(), method="PUT")
            with urllib.request.urlopen(put, timeout=30) as answer:
                answer.read()
        for _ in range(1 if b.quick else 3):
            for name in routes:
                key = f"W1shadow.{name}"
                b.constant_rate(key, inferd, f"{KSERVE} through a route, shadow: {name}",
                                f"/v2/models/w1shadow_{name}/infer", body, [], SHADOW_RATE)
                p99[name].append(b.openloop[-1]["p99_ms"])
        shadows = {}
        for name in ("copy", "late", "slow"):
            with urllib.request.urlopen(inferd.base + f"/v1/routes/w1shadow_{name}",
                                        timeout=30) as answer:
                shadows[name] = json.loads(answer.read())["traffic"]["shadow"]
    def p99_of(name: str) -> str:
        values = p99[name]
        return (f"{float(np.median(values)):.2f} ms ({min(values):.2f}-{max(values):.2f})")

    b.notes.append(
        f"W1 through a route at {SHADOW_RATE} req/s, primary p99 (median of {len(p99['none'])} "
        f"runs each, with their range): {p99_of('none')} without a shadow, {p99_of('copy')} "
        f"with every request mirrored to a copy of the model ({shadows['copy']['compared']} "
        f"compared, {shadows['copy']['dropped']} dropped), {p99_of('late')} with a tenth "
        f"mirrored to a copy that answers up to 100 ms late ({shadows['late']['compared']} "
        f"compared, mean shadow latency {shadows['late'].get('mean_latency_ms') or 0:.0f} ms, "
        f"{shadows['late']['dropped']} dropped), {p99_of('slow')} with every request "
        f"mirrored to a slow model ({shadows['slow']['compared']} compared, "
        f"{shadows['slow']['errors']} timed out in its queue, {shadows['slow']['dropped']} "
        f"dropped by the full shadow queue)")


JOB_ROWS = 1_000_000  # the job size; --quick runs 20,000
JOB_MLP_ROWS = 200_000  # a job whose model, not its parsing, costs the most
JOB_RATE = 1000  # W1 req/s online while the job runs
JOB_TRIALS = 5  # online measurements with and without a job, interleaved


def write_job_input(path: Path, rows: int, cols: int) -> None:
    """Rows of `cols` uniform features as JSONL, deterministic; written once."""
    rng = np.random.default_rng(11)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as f:
        for start in range(0, rows, 10_000):
            block = rng.random((min(10_000, rows - start), cols))
            f.write("".join("[" + ",".join(f"{v:.4f}" for v in row) + "]\n" for row in block))
    tmp.replace(path)


def w5_job(b: Bench, bodies: dict) -> None:
    """A batch job of JOB_ROWS rows for logreg, read from a file under the input
    folder, alone on the server: its rows/s (created to finished, and started to
    finished) against in-process ONNX Runtime at its best batch size. Then W1's
    KServe JSON at a constant JOB_RATE req/s, JOB_TRIALS times without a job and
    JOB_TRIALS times while jobs run (cancelled once measured),
    interleaved, compared by their medians: one run's p99 moves by a fifth from
    run to run on a small machine."""
    rows = 20_000 if b.quick else JOB_ROWS
    inputs = b.out / "jobs-input"
    inputs.mkdir(parents=True, exist_ok=True)
    data = inputs / f"logreg_{rows}.jsonl"
    if not data.exists():
        write_job_input(data, rows, 30)
    mlp_rows = 5_000 if b.quick else JOB_MLP_ROWS
    mlp_data = inputs / f"mlp256_{mlp_rows}.jsonl"
    if not mlp_data.exists():
        write_job_input(mlp_data, mlp_rows, 64)
    state = b.out / "jobs-state"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    body = bodies["paths"]["w1_kserve.json"]
    infer = "/v2/models/logreg/infer"
    extra = ("--jobs-input-dir", str(inputs), "--jobs-dir", str(state / "files"), "--jobs-db",
             str(state / "jobs.db"))
    trials = 1 if b.quick else JOB_TRIALS
    with b.inferd(extra=extra) as inferd:

        def call(path: str, method: str = "GET", payload: dict | None = None) -> dict:
            req = urllib.request.Request(inferd.base + path, method=method,
                                         data=json.dumps(payload).encode() if payload else None)
            with urllib.request.urlopen(req, timeout=60) as answer:
                return json.loads(answer.read())

        def submit(model: str = "logreg", path: Path = data) -> str:
            return call("/v1/jobs", "POST", {"model": model, "input_path": path.name})["id"]

        def wait(job_id: str, states: tuple) -> dict:
            while (record := call(f"/v1/jobs/{job_id}"))["state"] not in states:
                time.sleep(0.05)
            return record

        record = wait(submit(), ("completed", "failed", "cancelled"))
        mlp_record = wait(submit("mlp256_batched", mlp_data), ("completed", "failed", "cancelled"))
        idle, during, ended_early = [], [], 0
        for trial in range(trials):
            # The jobs' files reach the disk now, not in the kernel's
            # writeback during the next measurement without a job.
            os.sync()
            b.constant_rate(f"W5job.online_idle_{trial}", inferd, f"{KSERVE}, no job running",
                            infer, body, [], JOB_RATE)
            idle.append(b.openloop[-1]["p99_ms"])
            # Two jobs of the same rows, sharing the job slots: work for about
            # twice as long as the measurement, cancelled after it.
            jobs = [submit(), submit()]
            wait(jobs[0], ("in_progress", "completed", "failed", "cancelled"))
            b.constant_rate(f"W5job.online_during_job_{trial}", inferd,
                            f"{KSERVE}, a job running", infer, body, [], JOB_RATE)
            during.append(b.openloop[-1]["p99_ms"])
            if all(call(f"/v1/jobs/{j}")["state"] != "in_progress" for j in jobs):
                ended_early += 1
            for j in jobs:
                try:
                    call(f"/v1/jobs/{j}/cancel", "POST")
                except urllib.error.HTTPError as e:
                    if e.code != 400:  # 400: it ended first, nothing to cancel
                        raise
                wait(j, ("completed", "failed", "cancelled"))
    for r, n in ((record, rows), (mlp_record, mlp_rows)):
        if r["state"] != "completed" or r["request_counts"]["completed"] != n:
            b.failures.append(f"W5job: the job {r['id']} for {r['model']} ended {r['state']} "
                              f"with {r['request_counts']}")
            return
    whole = rows / (record["finished_at"] - record["created_at"])
    running = rows / (record["finished_at"] - record["started_at"])
    b.l1("W5job", "in-process ONNX Runtime, logreg", "logreg",
         [(L1_BEST_BATCH["W1"], b.cores), (1024, b.cores)])
    best_l1 = max(r.rows_per_s for r in b.rows if r.key.startswith("W5job.l1_"))
    text_l1 = job_text_ceiling(b, "logreg", data)
    b.notes.append(
        f"W5job: a {rows:,}-row job for logreg, alone, ran at {whole:,.0f} rows/s from "
        f"submission to results ({running:,.0f} rows/s once validated), {whole / best_l1:.3f} "
        f"of in-process ONNX Runtime at its best batch size ({best_l1:,.0f} rows/s; target at "
        f"least 0.8), and {whole / text_l1:.3f} of in-process ONNX Runtime reading the same "
        f"JSONL and writing its results as text ({text_l1:,.0f} rows/s)")
    # The same on a model whose inference costs more than reading its row:
    # what the job path leaves of ONNX Runtime when parsing is not the bound.
    b.l1("W5job", "in-process ONNX Runtime, mlp256", "mlp256_batched",
         [(L1_BEST_BATCH["W3"], b.cores)])
    mlp_l1 = b.rows[-1].rows_per_s
    mlp_whole = mlp_rows / (mlp_record["finished_at"] - mlp_record["created_at"])
    mlp_running = mlp_rows / (mlp_record["finished_at"] - mlp_record["started_at"])
    mlp_text_l1 = job_text_ceiling(b, "mlp256_batched", mlp_data)
    b.notes.append(
        f"W5job: a {mlp_rows:,}-row job for mlp256 (3 x 256, 64 features), alone, ran at "
        f"{mlp_whole:,.0f} rows/s from submission to results ({mlp_running:,.0f} once "
        f"validated), {mlp_whole / mlp_l1:.3f} of in-process ONNX Runtime at batch "
        f"{L1_BEST_BATCH['W3']} ({mlp_l1:,.0f} rows/s), and {mlp_whole / mlp_text_l1:.3f} of it "
        f"reading the same JSONL and writing text ({mlp_text_l1:,.0f} rows/s)")
    idle_p99, during_p99 = float(np.median(idle)), float(np.median(during))
    b.notes.append(
        f"W5job: W1 online at {JOB_RATE} req/s, median p99 of {trials} runs each (range): "
        f"{idle_p99:.2f} ms ({min(idle):.2f}-{max(idle):.2f}) without a job and "
        f"{during_p99:.2f} ms ({min(during):.2f}-{max(during):.2f}) while one ran "
        f"({during_p99 / idle_p99:.2f}x; target under 1.5x"
        f"{f'; {ended_early} job(s) ended before their measurement did' if ended_early else ''})")


def job_text_ceiling(b: Bench, model: str, jsonl: Path) -> float:
    """In-process ONNX Runtime through a job's text: the JSONL read, parsed into
    batches of 1,024, run on the machine's cores and each row written back as text,
    with nothing kept. A job does all that and more (durable chunks, results in input
    order, errors per row), so this is its ceiling from text; the best of 3 passes."""
    best = 0.0
    for _ in range(3):
        r = loadgen.l1_text(b.args.l1, b.repo / model / "1" / "model.onnx", jsonl, 1024, b.cores,
                            b.args.server_cpus)
        best = max(best, r["rows_per_s"])
    print(f"  W5job L1 from text, {model:<16} {best:>12,.0f} rows/s", flush=True)
    return best


def hs256_jwt(claims: dict, secret: str) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def w2(b: Bench, bodies: dict) -> None:
    p, h = bodies["paths"], bodies["headers"]
    single, batch = "single rows, concurrency 64", f"{BATCH_ROWS:,}-row batches, concurrency 16"
    infer = "/v2/models/random_forest/infer"
    with b.inferd() as inferd:
        if not b.quick:
            b.http("W2.single.inferd_json", single, inferd, "inferd", KSERVE, infer,
                   p["w2_kserve_1.json"], [], ROW_CONCURRENCY, 1, reference=True)
        b.http("W2.batch.inferd_json", batch, inferd, "inferd", KSERVE, infer, p["w2_kserve_1000.json"],
               [], BATCH_CONCURRENCY, BATCH_ROWS, reference=True)
        if not b.quick:
            b.http("W2.batch.inferd_binary", batch, inferd, "inferd", BINARY, infer,
                   p["w2_binary_1000.bin"], h["w2_binary_1000.bin"], BATCH_CONCURRENCY, BATCH_ROWS)
    if not b.quick:
        for workers in (1, 2):
            with b.p1("random_forest", workers) as p1:
                b.http(f"W2.single.p1_{workers}w", single, p1, "peer", "/predict JSON (seeds' service)",
                       "/predict", p["w2_features_1.json"], [], ROW_CONCURRENCY, 1)
                b.http(f"W2.batch.p1_{workers}w", batch, p1, "peer", "/predict/rows JSON", "/predict/rows",
                       p["w2_features_1000.json"], [], BATCH_CONCURRENCY, BATCH_ROWS)
        with b.p2() as p2:
            b.http("W2.single.p2_json", single, p2, "peer", KSERVE, infer, p["w2_kserve_1.json"], [],
                   ROW_CONCURRENCY, 1)
            b.http("W2.batch.p2_json", batch, p2, "peer", KSERVE, infer, p["w2_kserve_1000.json"], [],
                   BATCH_CONCURRENCY, BATCH_ROWS)
        b.l1("W2.single", single, "random_forest", [(1, 1), (1, b.cores)])
    b.l1("W2.batch", batch, "random_forest",
         [(BATCH_ROWS, b.cores)] if b.quick else [(BATCH_ROWS, 1), (BATCH_ROWS, b.cores)])


def w3(b: Bench, bodies: dict) -> None:
    """Dynamic batching on and off on mlp_wide (4 x 1,024), the same 2 instances of one
    thread each: at concurrency 64 for rows/s, and at concurrency 1 for what the batcher
    costs a lone request (report.targets checks both)."""
    p, group = bodies["paths"], "single rows, concurrency 64"
    lone = "single rows, concurrency 1"
    with b.inferd() as inferd:
        b.http("W3.inferd_batched", group, inferd, "inferd", f"{KSERVE}, dynamic batching on",
               "/v2/models/mlp_wide_batched/infer", p["w3_kserve.json"], [], ROW_CONCURRENCY, 1,
               reference=True)
        b.http("W3.inferd_unbatched", group, inferd, "inferd", f"{KSERVE}, dynamic batching off",
               "/v2/models/mlp_wide_unbatched/infer", p["w3_kserve.json"], [], ROW_CONCURRENCY, 1)
        if not b.quick:
            b.http("W3.c1_batched", lone, inferd, "inferd", f"{KSERVE}, dynamic batching on",
                   "/v2/models/mlp_wide_batched/infer", p["w3_kserve.json"], [], 1, 1)
            b.http("W3.c1_unbatched", lone, inferd, "inferd", f"{KSERVE}, dynamic batching off",
                   "/v2/models/mlp_wide_unbatched/infer", p["w3_kserve.json"], [], 1, 1)
    if not b.quick:
        with b.p2() as p2:
            b.http("W3.p2_json", group, p2, "peer", KSERVE, "/v2/models/mlp_wide_unbatched/infer",
                   p["w3_kserve.json"], [], ROW_CONCURRENCY, 1)
        b.l1("W3", group, "mlp_wide_batched", [(1, b.cores), (L1_BEST_BATCH["W3"], 1),
                                               (L1_BEST_BATCH["W3"], b.cores)])


def w4(b: Bench, bodies: dict) -> None:
    p, h, group = bodies["paths"], bodies["headers"], "one image per request, concurrency 8"
    infer = "/v2/models/resnet_mini/infer"
    with b.inferd() as inferd:
        b.http("W4.inferd_binary", group, inferd, "inferd", BINARY, infer, p["w4_binary.bin"],
               h["w4_binary.bin"], IMAGE_CONCURRENCY, 1, reference=True)
        if not b.quick:
            b.http("W4.inferd_json", group, inferd, "inferd", KSERVE, infer, p["w4_kserve.json"], [],
                   IMAGE_CONCURRENCY, 1)
    if not b.quick:
        with b.p2() as p2:
            b.http("W4.p2_binary", group, p2, "peer", BINARY, infer, p["w4_binary.bin"],
                   h["w4_binary.bin"], IMAGE_CONCURRENCY, 1)
            b.http("W4.p2_json", group, p2, "peer", KSERVE, infer, p["w4_kserve.json"], [],
                   IMAGE_CONCURRENCY, 1)
    b.l1("W4", group, "resnet_mini", [(1, b.cores)] if b.quick else
         [(1, 1), (1, b.cores), (L1_BEST_BATCH["W4"], b.cores)])


def idle(b: Bench, bodies: dict) -> None:
    """Start each server on the example repository; time to ready, then memory once idle."""
    example_repo = ROOT / "example-models"
    candidates = [("inferd", "example-models (7)", lambda: b.inferd(example_repo))]
    if not b.quick:
        candidates += [
            ("p1_1w", "logreg.joblib", lambda: b.p1("logreg", 1)),
            ("p1_2w", "logreg.joblib", lambda: b.p1("logreg", 2)),
            ("p2", "example-models (7)", lambda: b.p2(example_repo)),
        ]
    for key, models, make in candidates:
        ready, rss, name = [], [], ""
        for _ in range(b.d.idle_trials):
            with make() as server:
                # Let lazy start-up work (thread pools, first allocations) settle first.
                time.sleep(1.0)
                ready.append(server.ready_s)
                rss.append(server.rss_bytes())
                name = server.name
        b.idle.append({"key": key, "server": name, "models": models, "trials": len(ready),
                       "ready_s": report.median(ready), "rss_bytes": report.median(rss),
                       "ready_all_s": ready, "rss_all_bytes": rss})
        print(f"  idle {name:<28} ready {report.median(ready) * 1000:6.0f} ms "
              f"rss {report.median(rss) / report.MB:6.1f} MB", flush=True)


PART_FUNCS = {"W1": w1, "W1auth": w1_auth, "W1route": w1_route, "W1shadow": w1_shadow,
              "W5job": w5_job, "W2": w2,
              "W3": w3, "W4": w4, "idle": idle}


# ------------------------------------------------------------------ setting up
def setup_tools() -> dict:
    """Run bench/setup_bench.sh (idempotent) and read the KEY=VALUE paths it prints."""
    proc = subprocess.run([str(BENCH / "setup_bench.sh")], stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit("run_bench: bench/setup_bench.sh failed; see its messages above")
    return dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)


def build_models(repo: Path, sk_dir: Path) -> None:
    """(Re)write the benchmark models when their generators changed since the last run."""
    sources = [BENCH / "make_bench_models.py", ROOT / "examples" / "make_example_models.py"]
    digest = hashlib.sha256(b"".join(s.read_bytes() for s in sources)).hexdigest()[:16]
    stamp = repo / ".complete"
    if stamp.exists() and stamp.read_text() == digest:
        return
    import make_bench_models

    print("writing the benchmark models", flush=True)
    make_bench_models.build_repository(repo)
    make_bench_models.write_sklearn(sk_dir, repo)
    stamp.write_text(digest)


def tool_versions(tools: dict) -> str:
    def first_line(cmd):
        p = subprocess.run(cmd, capture_output=True, text=True)
        return (p.stdout + p.stderr).strip().splitlines()[0]

    ghz_pin = re.search(r"^require github.com/bojand/ghz (\S+)", (BENCH / "tools" / "go.mod").read_text(),
                        re.M).group(1)
    python = first_line([str(Path(tools["BENCH_VENV"]) / "bin" / "python"), "--version"])
    return "; ".join([
        first_line([tools["WRK"], "-v"]).split(" Copyright")[0],
        first_line([tools["NGINX"], "-v"]).replace("nginx version: ", ""),
        f"ghz {ghz_pin}",
        "openloop (bench/tools/openloop)",
        f"peers: {python}, uvicorn + uvloop + httptools (bench/requirements.txt)",
    ])


def machine() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem_kb = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                  if l.startswith("MemTotal"))
    os_name = next((l.split("=", 1)[1].strip('"') for l in Path("/etc/os-release").read_text().splitlines()
                    if l.startswith("PRETTY_NAME=")), platform.system())
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "memory_gb": mem_kb / 1024 / 1024,
            "os": os_name, "kernel": platform.release(),
            "git_commit": commit + (" (with uncommitted changes)" if dirty else ""),
            "loadavg_before": loadavg()}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def cpu_split(args, cores: int) -> str:
    everything = f"0-{cores - 1}" if cores > 1 else "0"
    srv = args.server_cpus or f"{everything} (not pinned)"
    cli = args.client_cpus or f"{everything} (not pinned)"
    return (f"servers on cores {srv}, load generators on cores {cli}; wrk and ghz {cores} threads; "
            f"inferd with its defaults (one HTTP thread per core; per model one instance per "
            f"core, the cores shared among them for ONNX Runtime's intra-op threads); P1 with 1 and 2 uvicorn workers, P2 with {cores} workers, 1 ORT thread each; "
            f"nginx {cores} workers; L1 1 intra-op thread per calling thread")


# ----------------------------------------------------------------------- main
def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few seconds per workload: proves the suite works")
    ap.add_argument("--out", type=Path, default=BENCH / "out", help="results folder (default bench/out)")
    ap.add_argument("--only", default="", help=f"comma-separated parts to run, of {','.join(PARTS)}")
    ap.add_argument("--inferd", type=Path, default=Path(os.environ.get("INFERD_BIN", ROOT / "build" / "inferd")))
    ap.add_argument("--l1", type=Path, default=ROOT / "build" / "bench" / "inferd_bench_l1",
                    help="the inferd_bench_l1 binary (cmake --build build --target inferd_bench_l1)")
    ap.add_argument("--server-cpus", help="taskset core list for servers and L1 (default: not pinned)")
    ap.add_argument("--client-cpus", help="taskset core list for load generators (default: not pinned)")
    args = ap.parse_args(argv)
    args.parts = [p.strip() for p in args.only.split(",") if p.strip()] or PARTS
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown part(s) {sorted(unknown)}; choose from {PARTS}")
    for binary in (args.inferd, args.l1):
        if not binary.is_file():
            ap.error(f"{binary} does not exist: build it first (make bench does)")
    args.out = args.out.resolve()
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    tools = setup_tools()
    b = Bench(args, tools)
    args.out.mkdir(parents=True, exist_ok=True)
    build_models(b.repo, b.sk_dir)
    bodies = write_bodies(b.bodies)
    info = machine()
    busy = float(info["loadavg_before"].split()[0])
    if busy > 0.5:
        b.notes.append(f"the machine was busy when this run started (load average {busy:.2f}): "
                       "its numbers are not comparable with a run on an idle machine")
    for part in args.parts:
        print(f"{part}: {WORKLOADS.get(part, 'idle memory and start to ready')}", flush=True)
        t0 = time.perf_counter()
        try:
            PART_FUNCS[part](b, bodies)
        except Exception as e:  # one broken part must not hide the others' numbers
            traceback.print_exc()
            b.failures.append(f"{part}: {e}")
        print(f"  ({part} took {time.perf_counter() - t0:.0f} s)", flush=True)
    info["loadavg_after"] = loadavg()
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "elapsed_s": time.perf_counter() - started,
        "machine": info,
        "settings": {
            "command": " ".join(shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]]),
            "quick": args.quick, "parts": args.parts, "inferd": str(args.inferd),
            "inferd_sha256": sha256(args.inferd), "cpu_split": cpu_split(args, b.cores),
            "tools": tool_versions(tools), **asdict(b.d),
        },
        "workloads": {k: v for k, v in WORKLOADS.items() if k in args.parts},
        "rows": [asdict(r) for r in b.rows],
        "openloop": b.openloop,
        "idle": b.idle,
        "notes": b.notes + servers.SLOW_STOPS + [f"FAILED: {f}" for f in b.failures],
    }
    results["targets"] = report.targets(results)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(report.markdown(results))
    print(f"\nwrote {args.out / 'results.md'} and results.json in {results['elapsed_s']:.0f} s")
    for t in results["targets"]:
        print(f"  {t['status']:<13} {t['target']}: {t['measured'] or '-'}")
    if b.failures:
        print("\nrun_bench: failures:\n  " + "\n  ".join(b.failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
