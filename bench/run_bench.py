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
  scale  W1 against 1-1,024 connections, W2 against 1-4,096 rows per request,
         ready time and memory against 1-500 models (bench/scale_workloads.py)
--quick runs a few short runs of each part, to prove the suite works; its
numbers are not measurements. Neither mode asserts on timings: the exit status
is 1 only when something failed to run (a server that does not start, a load
generator that fails, a run with no successful request).
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

import report
import servers
from bodies import write_bodies
from feature_workloads import w1_auth, w1_route, w1_shadow, w5_job
from harness import (
    BATCH_CONCURRENCY,
    BATCH_ROWS,
    BINARY,
    IMAGE_CONCURRENCY,
    INSTALLED_PEERS,
    KSERVE,
    L1_BEST_BATCH,
    MLSERVER,
    ROW_CONCURRENCY,
    Bench,
)
from scale_workloads import scale

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

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
    "scale": "how costs grow: W1 against connections, W2 against rows per request, and "
             "start to ready and idle memory against the number of models",
}
PARTS = [*WORKLOADS, "idle"]


# --------------------------------------------------------------------- workloads



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
    mlserver_models = {"logreg": b.onnx("logreg"), "logreg_sklearn": b.sk_dir / "logreg.joblib"}
    with b.peer(MLSERVER, mlserver_models) as ml:
        if ml:
            b.http("W1.mlserver_json", group, ml, "peer", f"{KSERVE}, ONNX Runtime", infer,
                   p["w1_kserve.json"], [], conc, 1)
            b.http("W1.mlserver_sklearn", group, ml, "peer", f"{KSERVE}, mlserver-sklearn",
                   "/v2/models/logreg_sklearn/infer", p["w1_kserve.json"], [], conc, 1)
    b.json_peer_rows("logreg", [("W1", group, "w1", conc, 1)], p)
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
        with b.peer(MLSERVER, {"random_forest": b.onnx("random_forest")}) as ml:
            if ml:
                b.http("W2.single.mlserver_json", single, ml, "peer", f"{KSERVE}, ONNX Runtime",
                       infer, p["w2_kserve_1.json"], [], ROW_CONCURRENCY, 1)
                b.http("W2.batch.mlserver_json", batch, ml, "peer", f"{KSERVE}, ONNX Runtime",
                       infer, p["w2_kserve_1000.json"], [], BATCH_CONCURRENCY, BATCH_ROWS)
        b.json_peer_rows("random_forest", [("W2.single", single, "w2_1", ROW_CONCURRENCY, 1),
                                           ("W2.batch", batch, "w2_1000", BATCH_CONCURRENCY,
                                            BATCH_ROWS)], p)
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
        # MLServer's adaptive batching is off by default, as its docs ship it.
        with b.peer(MLSERVER, {"mlp_wide_unbatched": b.onnx("mlp_wide_unbatched")}) as ml:
            if ml:
                b.http("W3.mlserver_json", group, ml, "peer", f"{KSERVE}, ONNX Runtime",
                       "/v2/models/mlp_wide_unbatched/infer", p["w3_kserve.json"], [],
                       ROW_CONCURRENCY, 1)
        # BentoML's adaptive batching is opt-in (@bentoml.api(batchable=True)) and so is
        # TorchServe's (a model's batch_size, 1 by default) and Ray Serve's (@serve.batch);
        # MLflow has none: off, as shipped.
        b.json_peer_rows("mlp_wide_unbatched", [("W3", group, "w3", ROW_CONCURRENCY, 1)], p)
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
        # JSON only: MLServer does not take the binary tensor extension.
        with b.peer(MLSERVER, {"resnet_mini": b.onnx("resnet_mini")}) as ml:
            if ml:
                b.http("W4.mlserver_json", group, ml, "peer", f"{KSERVE}, ONNX Runtime", infer,
                       p["w4_kserve.json"], [], IMAGE_CONCURRENCY, 1)
        b.json_peer_rows("resnet_mini", [("W4", group, "w4", IMAGE_CONCURRENCY, 1)], p)
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
        onnx = {d.name: d / "1" / "model.onnx" for d in sorted(example_repo.iterdir())
                if (d / "1" / "model.onnx").is_file()}
        for peer in INSTALLED_PEERS:
            if b.tools.get(peer.venv_key):
                # A server of one model gets logreg.
                served = {"logreg": onnx["logreg"]} if peer.one_model else onnx
                label = ("logreg (serves one model)" if peer.one_model
                         else f"example-models ({len(onnx)})")
                candidates.append((peer.key, label,
                                   lambda peer=peer, served=served: b.peer(peer, served)))
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
              "W3": w3, "W4": w4, "idle": idle, "scale": scale}


# ------------------------------------------------------------------ setting up
def setup_tools(quick: bool) -> dict:
    """Run bench/setup_bench.sh (idempotent) and read the KEY=VALUE paths it prints.
    Quick mode leaves the installed peers out (InstalledPeer.skipped says why)."""
    skips = {peer.skip_env: peer.skipped for peer in INSTALLED_PEERS}
    env = {**os.environ, **(skips if quick else {})}
    proc = subprocess.run([str(BENCH / "setup_bench.sh")], stdout=subprocess.PIPE, text=True,
                          env=env)
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


def settle(quiet: float = 0.5, limit_s: float = 180.0) -> None:
    """Wait (at most limit_s) for the 1-minute load average to fall under `quiet`: a
    full run right after a build would otherwise measure its first servers on a busy
    machine. The load at the start is recorded either way."""
    t0 = time.perf_counter()
    while float(loadavg().split()[0]) >= quiet and time.perf_counter() - t0 < limit_s:
        time.sleep(5)
    print(f"load average {loadavg()} after {time.perf_counter() - t0:.0f} s of waiting for a "
          f"quiet machine (under {quiet}, at most {limit_s:.0f} s)", flush=True)


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
            f"core, the cores shared among them for ONNX Runtime's intra-op threads); P1 with 1 "
            f"and 2 uvicorn workers; P2, MLServer, BentoML and MLflow with {cores} workers, "
            f"Ray Serve with {cores} replicas, "
            f"TorchServe with {cores} workers a model, 1 ORT thread each; nginx {cores} workers; "
            f"L1 1 intra-op thread per calling thread")


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
    tools = setup_tools(args.quick)
    b = Bench(args, tools)
    args.out.mkdir(parents=True, exist_ok=True)
    build_models(b.repo, b.sk_dir)
    bodies = write_bodies(b.bodies)
    if not args.quick:
        settle()
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
