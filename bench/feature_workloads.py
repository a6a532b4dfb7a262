"""The workloads that measure a feature's cost rather than a model's speed:
authentication (W1auth), routes (W1route), shadows (W1shadow) and batch jobs
(W5job), each against W1's logistic regression."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

import loadgen
import servers
from harness import KSERVE, L1_BEST_BATCH, ROW_CONCURRENCY, Bench


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
            # One run each here: the rounds below alternate the servers instead.
            row = b.http(f"W1.auth_{name}", group, server, "inferd", protocol, infer, body, headers,
                         conc, 1, reference=name == "none", trials=1)
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
                         body, user, conc, 1, reference=name == "model", trials=1)
            rates[name].append(row.req_per_s)
        for _ in range(0 if b.quick else 8):
            for name, path in runs.items():
                load, per_request = b.measured_wrk(inferd, path, body, user, conc)
                rates[name].append(load.per_s)
                if per_request is not None:
                    cpu_us[name].append(per_request)
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
JOB_COUNT_DURING = 4  # jobs submitted for each measurement during jobs
# --jobs-online-share for W5job's paced runs: the share at which W1's p99
# met its target on 2 cores when measured (bench/RESULTS.md, W5job).
JOB_PACED_SHARE = 0.1


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
    JOB_TRIALS times while jobs run (cancelled once measured), with the jobs at
    full speed (the default) and again paced (--jobs-online-share JOB_PACED_SHARE):
    the median p99 of each, and the job's rows/s while it shared the server."""
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
    trials = 1 if b.quick else JOB_TRIALS

    def server(flags: tuple = ()) -> servers.Server:
        shutil.rmtree(state, ignore_errors=True)
        state.mkdir(parents=True)
        return b.inferd(extra=("--jobs-input-dir", str(inputs), "--jobs-dir", str(state / "files"),
                               "--jobs-db", str(state / "jobs.db"), *flags))

    with server() as inferd:
        jobs = JobClient(inferd.base)
        record = jobs.wait(jobs.submit("logreg", data), FINAL)
        mlp_record = jobs.wait(jobs.submit("mlp256_batched", mlp_data), FINAL)
        online = online_during_jobs(b, inferd, jobs, data, bodies, trials, "")
    paced_flags = ("--jobs-online-share", str(JOB_PACED_SHARE))
    with server(paced_flags) as inferd:
        paced = online_during_jobs(b, inferd, JobClient(inferd.base), data, bodies,
                                   trials, f"{' '.join(paced_flags)}, ")
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
    for name, m in (("jobs at full speed (the default)", online),
                    (f"jobs paced, {' '.join(paced_flags)}", paced)):
        early = (f"; {m['ended_early']} job(s) ended before their measurement did"
                 if m["ended_early"] else "")
        b.notes.append(
            f"W5job: W1 online at {JOB_RATE} req/s, {name}: median p99 of {trials} runs each "
            f"(range) {m['idle_p99']:.2f} ms ({m['idle_range']}) without a job and "
            f"{m['during_p99']:.2f} ms ({m['during_range']}) while one ran "
            f"({m['during_p99'] / m['idle_p99']:.2f}x; target under 1.5x); the jobs meanwhile "
            f"answered a median {m['job_rows_per_s']:,.0f} rows/s{early}")


FINAL = ("completed", "failed", "cancelled")


class JobClient:
    """The few calls of inferd's job API that W5job makes."""

    def __init__(self, base: str):
        self.base = base

    def call(self, path: str, method: str = "GET", payload: dict | None = None) -> dict:
        req = urllib.request.Request(self.base + path, method=method,
                                     data=json.dumps(payload).encode() if payload else None)
        with urllib.request.urlopen(req, timeout=60) as answer:
            return json.loads(answer.read())

    def submit(self, model: str, path: Path) -> str:
        return self.call("/v1/jobs", "POST", {"model": model, "input_path": path.name})["id"]

    def wait(self, job_id: str, states: tuple) -> dict:
        while (record := self.call(f"/v1/jobs/{job_id}"))["state"] not in states:
            time.sleep(0.05)
        return record

    def completed(self, job_ids: list) -> int:
        return sum(self.call(f"/v1/jobs/{j}")["request_counts"]["completed"] for j in job_ids)

    def cancel(self, job_id: str) -> None:
        try:
            self.call(f"/v1/jobs/{job_id}/cancel", "POST")
        except urllib.error.HTTPError as e:
            if e.code != 400:  # 400: it ended first, nothing to cancel
                raise
        self.wait(job_id, FINAL)


def online_during_jobs(b: Bench, inferd: servers.Server, jobs: JobClient, data: Path,
                       bodies: dict, trials: int, label: str) -> dict:
    """W1 at JOB_RATE req/s without a job and while jobs run, `trials` times in turn."""
    body = bodies["paths"]["w1_kserve.json"]
    infer = "/v2/models/logreg/infer"
    tag = "paced_" if label else ""
    idle, during, job_rates, ended_early = [], [], [], 0
    for trial in range(trials):
        # The jobs' files reach the disk now, not in the kernel's
        # writeback during the next measurement without a job.
        os.sync()
        b.constant_rate(f"W5job.{tag}online_idle_{trial}", inferd, f"{KSERVE}, {label}no job running",
                        infer, body, [], JOB_RATE)
        idle.append(b.openloop[-1]["p99_ms"])
        # Jobs of the same rows, one after the other in the job slots: work
        # for longer than the measurement at full speed, cancelled after it.
        ids = [jobs.submit("logreg", data) for _ in range(JOB_COUNT_DURING)]
        jobs.wait(ids[0], ("in_progress", *FINAL))
        before, t0 = jobs.completed(ids), time.perf_counter()
        b.constant_rate(f"W5job.{tag}online_during_job_{trial}", inferd,
                        f"{KSERVE}, {label}a job running", infer, body, [], JOB_RATE)
        job_rates.append((jobs.completed(ids) - before) / (time.perf_counter() - t0))
        during.append(b.openloop[-1]["p99_ms"])
        if all(jobs.call(f"/v1/jobs/{j}")["state"] in FINAL for j in ids):
            ended_early += 1
        for j in ids:
            jobs.cancel(j)
    return {"idle_p99": float(np.median(idle)), "during_p99": float(np.median(during)),
            "idle_range": f"{min(idle):.2f}-{max(idle):.2f}",
            "during_range": f"{min(during):.2f}-{max(during):.2f}",
            "job_rows_per_s": float(np.median(job_rates)), "ended_early": ended_early}


def job_text_ceiling(b: Bench, model: str, jsonl: Path) -> float:
    """In-process ONNX Runtime through a job's text: the JSONL read, parsed into
    batches of 1,024, run on the machine's cores and each row written back as text,
    with nothing kept. A job does all that and more (durable chunks, results in input
    order, errors per row), so this is its ceiling from text; the best of 3 passes."""
    best = 0.0
    for _ in range(3):
        r = loadgen.l1_text(b.args.l1, b.onnx(model), jsonl, 1024, b.cores,
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
