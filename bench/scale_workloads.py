"""How inferd's costs grow (issue 16's scaling curves), as tables:
- W1 (KServe JSON) against the number of keep-alive connections, 1 to 1,024,
  with nginx (L3) at each count for the floor;
- W2's random forest against rows per request, 1 to 4,096, JSON and binary,
  with in-process ONNX Runtime (L1) at the same batch on the same cores;
- start to ready and idle memory against the number of models in the
  repository, 1 to 500 copies of W1's logistic regression.
report.targets checks 1,024 connections (no errors and p99 under 4x 64's, as
issue 16 sets it; and at least 70% of the best count's req/s with p99 within 3x
p50) and 500 models (ready under 5 s, each adding at most its file and 1 MB)."""
from __future__ import annotations

import resource
import shutil
import time

import numpy as np

import report
import servers
from bodies import examples, kserve_binary, kserve_json
from harness import BATCH_CONCURRENCY, BINARY, KSERVE, Bench

CONNECTIONS = [1, 4, 16, 64, 256, 1024]
QUICK_CONNECTIONS = [4, 1024]
BATCH_SIZES = [1, 16, 256, 1024, 4096]
QUICK_BATCH_SIZES = [1, 4096]
MODEL_COUNTS = [1, 10, 100, 500]
QUICK_MODEL_COUNTS = [1, 10]


def scale(b: Bench, bodies: dict) -> None:
    raise_open_files_limit(b)
    connections(b, bodies)
    rows_per_request(b)
    models(b)


def raise_open_files_limit(b: Bench) -> None:
    """wrk with 1,024 connections needs more descriptors than the usual soft 1,024
    (inferd raises its own at start); the hard limit is as far as it may go."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192 if hard == resource.RLIM_INFINITY else min(8192, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < 2 * max(CONNECTIONS) + 256:
        b.notes.append(f"scale: the open files limit here ({want}) may be too low for "
                       f"{max(CONNECTIONS):,} connections")


def connections(b: Bench, bodies: dict) -> None:
    p, infer = bodies["paths"], "/v2/models/logreg/infer"
    group = "W1 (KServe JSON) against keep-alive connections"
    counts = QUICK_CONNECTIONS if b.quick else CONNECTIONS
    with b.inferd() as inferd:
        for n in counts:
            b.http(f"scale.conn_{n}", group, inferd, "inferd", KSERVE, infer, p["w1_kserve.json"],
                   [], n, 1, reference=n == 64)
    answer = b.samples[f"scale.conn_{counts[0]}"].decode()
    with servers.nginx(b.tools["NGINX"], answer, b.cores, b.logs, b.args.server_cpus) as nginx:
        for n in counts:
            b.http(f"scale.conn_l3_{n}", group, nginx, "limit", "HTTP/1.1, fixed JSON answer", "/",
                   p["w1_kserve.json"], [], n, 1, label="L3 nginx")


def rows_per_request(b: Bench) -> None:
    """One table per batch size: inferd JSON and binary, and L1 at that batch."""
    iris, _ = examples.iris()  # the data set the forest was trained on
    infer = "/v2/models/random_forest/infer"
    sizes = QUICK_BATCH_SIZES if b.quick else BATCH_SIZES
    folder = b.bodies / "scale"
    folder.mkdir(parents=True, exist_ok=True)
    with b.inferd() as inferd:
        for n in sizes:
            rows = np.resize(iris, (n, iris.shape[1]))
            json_body, binary_body = folder / f"w2_kserve_{n}.json", folder / f"w2_binary_{n}.bin"
            json_body.write_bytes(kserve_json("float_input", rows))
            data, header_len = kserve_binary("float_input", rows)
            binary_body.write_bytes(data)
            headers = [f"Inference-Header-Content-Length: {header_len}",
                       "Content-Type: application/octet-stream"]
            group = f"W2, {n:,} row{'s' if n > 1 else ''} per request, concurrency {BATCH_CONCURRENCY}"
            b.http(f"scale.rows_{n}_json", group, inferd, "inferd", KSERVE, infer, json_body, [],
                   BATCH_CONCURRENCY, n)
            b.http(f"scale.rows_{n}_binary", group, inferd, "inferd", BINARY, infer, binary_body,
                   headers, BATCH_CONCURRENCY, n, reference=True)
    for n in sizes:
        group = f"W2, {n:,} row{'s' if n > 1 else ''} per request, concurrency {BATCH_CONCURRENCY}"
        b.l1(f"scale.rows_{n}", group, "random_forest", [(n, b.cores)])


def models(b: Bench) -> None:
    """Repositories of N copies of logreg: start to ready, then RSS once idle."""
    source = b.repo / "logreg" / "1" / "model.onnx"
    size = source.stat().st_size
    for n in QUICK_MODEL_COUNTS if b.quick else MODEL_COUNTS:
        repo = b.out / "scale-models" / str(n)
        shutil.rmtree(repo, ignore_errors=True)
        for i in range(n):
            version = repo / f"logreg_{i:03d}" / "1"
            version.mkdir(parents=True)
            shutil.copyfile(source, version / "model.onnx")
        ready, rss = [], []
        for _ in range(b.d.idle_trials):
            with b.inferd(repo) as server:
                time.sleep(1.0)  # lazy start-up work settles first
                ready.append(server.ready_s)
                rss.append(server.rss_bytes())
        b.idle.append({"key": f"models_{n}", "server": "inferd",
                       "models": f"{n} × logreg ({size / 1024:.0f} KB each)", "trials": len(ready),
                       "ready_s": report.median(ready), "rss_bytes": report.median(rss),
                       "ready_all_s": ready, "rss_all_bytes": rss, "model_bytes": size})
        print(f"  models {n:>4}  ready {report.median(ready) * 1000:6.0f} ms "
              f"rss {report.median(rss) / report.MB:6.1f} MB", flush=True)
        shutil.rmtree(repo, ignore_errors=True)
