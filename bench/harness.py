"""The benchmark's harness: what one run measured (Row), the durations, and
Bench, which starts servers, runs the load generators and keeps every row.

Owned by run_bench.py's main; the workloads (run_bench.py, feature_workloads.py)
add to one Bench, one at a time (nothing here is thread-safe).
"""
from __future__ import annotations

import contextlib
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import loadgen
import servers

ROW_CONCURRENCY = 64  # W1, W2 single rows, W3: many small clients
BATCH_CONCURRENCY = 16  # W2 1,000-row batches
IMAGE_CONCURRENCY = 8  # W4: a 25 ms model saturates 2 cores with a few clients
# A pause before each measured run: the requests the last run (or warm-up) left in
# flight when wrk stopped are still being answered (TorchServe queues them, W4's
# take 100 ms and more each), and that work belongs to no run.
DRAIN_S = 1.0
BATCH_ROWS = 1000
L1_BEST_BATCH = {"W1": 64, "W3": 256, "W4": 4}  # batch sizes tried besides 1 (and W2's 1,000)

KSERVE = "KServe v2 JSON"
BINARY = "KServe v2 binary"


@dataclass(frozen=True, kw_only=True)
class InstalledPeer:
    """A peer that setup_bench.sh installs in a venv of its own, in full runs only."""

    name: str
    key: str  # its idle entry's key, and in its rows' keys
    venv_key: str  # setup_bench.sh's KEY=path for its venv
    skipped: str  # why quick mode leaves it out
    skip_env: str  # what tells setup_bench.sh to leave it out
    make: Callable  # servers.<key>(venv, models, workers, log_dir, cpus)
    one_model: bool = False  # serves one model a server


@dataclass(frozen=True, kw_only=True)
class JsonPeer(InstalledPeer):
    """A model server of its own API and JSON body, serving the workloads' ONNX files.
    Its rows are keyed `<workload>.<key>_json` and its bodies are the files
    `<tag>_<key>.json` (bodies.py)."""

    protocol: str
    path: Callable[[str], str]  # the URL path that serves a model


# MLServer speaks KServe v2, so its rows use inferd's bodies (run_bench.py).
MLSERVER = InstalledPeer(
    name="MLServer", key="mlserver", venv_key="MLSERVER_VENV",
    skipped="MLServer is left out of quick mode: its venv (about 600 MB, fastapi pinned below "
            "the other peers') is installed and run by the full `make bench` only",
    skip_env="BENCH_SKIP_MLSERVER", make=servers.mlserver)
BENTOML = JsonPeer(
    name="BentoML", key="bentoml", venv_key="BENTOML_VENV",
    skipped="BentoML is left out of quick mode: its venv (about 260 MB) is installed and run by "
            "the full `make bench` only",
    skip_env="BENCH_SKIP_BENTOML", make=servers.bentoml,
    protocol="BentoML JSON {model, instances}, ONNX Runtime", path=lambda model: "/predict")
TORCHSERVE = JsonPeer(
    name="TorchServe", key="torchserve", venv_key="TORCHSERVE_VENV",
    skipped="TorchServe is left out of quick mode: its venv (about 5.3 GB: its worker imports "
            "torch, whose PyPI wheels bring CUDA) and Java are installed and run by the full "
            "`make bench` only",
    skip_env="BENCH_SKIP_TORCHSERVE", make=servers.torchserve,
    protocol="TorchServe JSON {instances}, ONNX Runtime handler",
    path=lambda model: f"/predictions/{model}")
MLFLOW = JsonPeer(
    name="MLflow", key="mlflow", venv_key="MLFLOW_VENV",
    skipped="MLflow is left out of quick mode: its venv (about 1 GB) is installed and run by the "
            "full `make bench` only",
    skip_env="BENCH_SKIP_MLFLOW", make=servers.mlflow, one_model=True,
    protocol="MLflow /invocations {instances}, mlflow.onnx", path=lambda model: "/invocations")
RAYSERVE = JsonPeer(
    name="Ray Serve", key="rayserve", venv_key="RAYSERVE_VENV",
    skipped="Ray Serve is left out of quick mode: its venv (about 560 MB) is installed and run "
            "by the full `make bench` only",
    skip_env="BENCH_SKIP_RAYSERVE", make=servers.rayserve,
    protocol="Ray Serve JSON {instances}, ONNX Runtime deployment", path=lambda model: f"/{model}")
# The peers with an API of their own, in the order they run.
JSON_PEERS = (BENTOML, TORCHSERVE, MLFLOW, RAYSERVE)
INSTALLED_PEERS = (MLSERVER, *JSON_PEERS)


@dataclass
class Durations:
    warmup_s: int
    measure_s: int
    openloop_s: int
    l1_s: float
    idle_trials: int
    trials: int  # measured runs per closed-loop and L1 cell; the row is their median


FULL = Durations(warmup_s=2, measure_s=10, openloop_s=10, l1_s=5, idle_trials=3, trials=3)
QUICK = Durations(warmup_s=0, measure_s=2, openloop_s=2, l1_s=1, idle_trials=1, trials=1)


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
    # The server's CPU time (user + system, every process of it) over the
    # measured run, per answered request; None where no server ran (L1).
    cpu_us_per_req: float | None = None
    # req/s and errors of every measured run of the cell, in run order; the row's
    # figures are those of the median run, its errors all runs' added up.
    trial_req_per_s: list = field(default_factory=list)
    trial_errors: list = field(default_factory=list)
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

    def onnx(self, model: str) -> Path:
        """A benchmark model's ONNX file (version 1)."""
        return self.repo / model / "1" / "model.onnx"

    def peer(self, peer: InstalledPeer, models: dict):
        """`peer` serving `models` ({name: model file}) with one worker per core, or
        None (the reason in the notes once) where setup left it out."""
        venv = self.tools.get(peer.venv_key)
        if not venv:
            if not any(n.startswith(f"{peer.name} not run") for n in self.notes):
                reason = peer.skipped if self.quick else "setup_bench.sh did not install it"
                print(f"    {peer.name} not run: {reason}", flush=True)
                self.notes.append(f"{peer.name} not run: {reason}")
            return contextlib.nullcontext(None)
        return peer.make(Path(venv), models, self.cores, self.logs, self.args.server_cpus)

    def json_peer_rows(self, model: str, runs: list[tuple], bodies: dict) -> None:
        """Every JSON peer serving `model`, one after the other: for each run
        (key, group, body tag, concurrency, rows per request) one row."""
        for peer in JSON_PEERS:
            with self.peer(peer, {model: self.onnx(model)}) as server:
                if server:
                    for key, group, tag, concurrency, rows in runs:
                        self.http(f"{key}.{peer.key}_json", group, server, "peer", peer.protocol,
                                  peer.path(model), bodies[f"{tag}_{peer.key}.json"], [],
                                  concurrency, rows)

    # ------------------------------------------------------------ runs
    def http(self, key: str, group: str, server: servers.Server, kind: str, protocol: str, path: str,
             body: Path, headers: list, concurrency: int, rows: int, reference: bool = False,
             label: str | None = None, trials: int | None = None) -> Row:
        """Check one request answers 200, warm up, then measure with wrk at `concurrency`,
        `trials` times (default: the mode's) back to back; the row is the median run."""
        url = server.base + path
        self.samples[key] = check_http(url, body, headers)
        if self.d.warmup_s:
            self._wrk(url, body, headers, concurrency, self.d.warmup_s)
        runs = [self.measured_wrk(server, path, body, headers, concurrency)
                for _ in range(trials or self.d.trials)]
        return self._add(key, group, label or server.name, kind, protocol, concurrency, rows, runs,
                         reference)

    def measured_wrk(self, server: servers.Server, path: str, body: Path, headers: list,
                     concurrency: int) -> tuple[loadgen.Load, float | None]:
        """One measured wrk run on `server`, and the server's CPU µs per answered request."""
        return self._measured(server, lambda: self._wrk(server.base + path, body, headers,
                                                        concurrency, self.d.measure_s))

    def _measured(self, server: servers.Server, run) -> tuple[loadgen.Load, float | None]:
        """`run()`'s Load once the requests the last run left in flight are done, and the
        server's CPU µs per request it answered."""
        time.sleep(DRAIN_S)
        cpu = server.cpu_seconds()
        load = run()
        return load, cpu_per_request(server.cpu_seconds() - cpu, load)

    def _wrk(self, url, body, headers, concurrency, seconds) -> loadgen.Load:
        return loadgen.wrk(self.tools["WRK"], url, body, headers, concurrency, seconds, self.cores,
                           self.args.client_cpus)

    def grpc(self, key: str, group: str, server: servers.Server, data: Path, concurrency: int) -> Row:
        def run(seconds):
            return loadgen.ghz(self.tools["GHZ"], server.grpc, data, concurrency, seconds, self.cores,
                               self.args.client_cpus)

        if self.d.warmup_s:
            run(self.d.warmup_s)
        runs = [self._measured(server, lambda: run(self.d.measure_s)) for _ in range(self.d.trials)]
        return self._add(key, group, "inferd", "inferd", "KServe v2 gRPC (ghz)", concurrency, 1, runs)

    def l1(self, wl: str, group: str, model: str, configs: list[tuple[int, int]]) -> None:
        """L1 rows: ONNX Runtime in-process, for each (batch, threads)."""
        for batch, threads in configs:
            runs = [(loadgen.l1(self.args.l1, self.onnx(model), batch, threads, self.d.l1_s,
                                self.args.server_cpus), None) for _ in range(self.d.trials)]
            self._add(f"{wl}.l1_b{batch}_t{threads}", group, "L1 onnxruntime in-process", "limit",
                      f"C++ API, batch {batch}, {threads} thread{'s' if threads > 1 else ''}",
                      threads, batch, runs)

    def constant_rate(self, key: str, server: servers.Server, protocol: str, path: str, body: Path,
                      headers: list, rate: float) -> None:
        r = loadgen.openloop(self.tools["OPENLOOP"], server.base + path, body, headers, rate,
                             self.d.openloop_s, self.args.client_cpus)
        if r["ok"] == 0:
            self.failures.append(f"{key}: no request succeeded at {rate:.0f} req/s")
        self.openloop.append({"key": key, "workload": key.split(".")[0], "server": server.name,
                              "protocol": protocol, **r})

    def _add(self, key, group, server, kind, protocol, concurrency, rows, runs: list,
             reference: bool = False) -> Row:
        """One row from the runs of a cell ([(Load, CPU µs per request or None)]): the
        figures of the run with the median req/s (the upper middle of an even count),
        every run's req/s and errors beside them, and the errors of all runs added up."""
        load, cpu_us = sorted(runs, key=lambda run: run[0].per_s)[len(runs) // 2]
        row = Row(key=key, workload=key.split(".")[0], group=group, server=server, kind=kind,
                  protocol=protocol, concurrency=concurrency, rows=rows, ok=load.ok,
                  errors=sum(run[0].errors for run in runs), seconds=load.seconds,
                  p50_ms=load.p50_ms, p90_ms=load.p90_ms, p99_ms=load.p99_ms, tool=load.tool,
                  reference=reference, cpu_us_per_req=cpu_us,
                  trial_req_per_s=[run[0].per_s for run in runs],
                  trial_errors=[run[0].errors for run in runs])
        for i, (run, _) in enumerate(runs):
            # Any run without a single answer fails the benchmark, not only the median one.
            if run.ok == 0:
                self.failures.append(f"{key}: no request succeeded in run {i + 1} of {len(runs)} "
                                     f"({run.errors} errors)")
            if run.errors:
                self.notes.append(f"{key}: {run.errors} errors in run {i + 1} of {len(runs)} "
                                  f"({run.error_detail or run.tool})")
        self.rows.append(row)
        spread = (f"  ({min(row.trial_req_per_s):,.0f}-{max(row.trial_req_per_s):,.0f} in "
                  f"{len(row.trial_req_per_s)} runs)" if len(row.trial_req_per_s) > 1 else "")
        print(f"  {key:<28} {row.req_per_s:>10,.0f} req/s {row.rows_per_s:>12,.0f} rows/s "
              f"p50 {row.p50_ms:7.2f} p99 {row.p99_ms:7.2f} ms  errors {row.errors}{spread}",
              flush=True)
        return row


def cpu_per_request(cpu_seconds: float, load: loadgen.Load) -> float | None:
    """A server's CPU seconds over a run, in µs per request it answered."""
    return cpu_seconds / load.ok * 1e6 if load.ok else None


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

