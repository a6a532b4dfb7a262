"""Concurrency soak: 64 client threads, each on its own keep-alive connection,
send logreg requests for INFERD_SOAK_SECONDS (default 20). Every answer must be
200 and carry exactly the reference result for its own rows (no mix-ups
between concurrent requests). No timing is asserted."""
import os
import threading

import numpy as np
import requests

from e2e_lib import infer_json, mem, parse_infer_response

THREADS = 64
SOAK_SECONDS = float(os.environ.get("INFERD_SOAK_SECONDS", "20"))


def test_soak_logreg(server, ort_ref):
    X, _ = mem.breast_cancer()
    ref = ort_ref("logreg").run({"float_input": X})
    labels, probs = ref["output_label"], ref["output_probability"]

    stop = threading.Event()
    lock = threading.Lock()
    counts = {"ok": 0}
    errors = []

    def worker(tid: int):
        rng = np.random.default_rng(tid)
        ok = 0
        with requests.Session() as s:
            while not stop.is_set():
                n = int(rng.integers(1, 9))
                rows = rng.choice(len(X), n, replace=False)
                try:
                    r = infer_json(server.base_url, "logreg", {"float_input": X[rows]},
                                   session=s, id=f"t{tid}-{ok}")  # fmt: skip
                    if r.status_code != 200:
                        raise AssertionError(f"HTTP {r.status_code}: {r.content[:200]!r}")
                    header, got = parse_infer_response(r)
                    if header.get("id") != f"t{tid}-{ok}":
                        raise AssertionError(f"id {header.get('id')!r} != t{tid}-{ok}")
                    if not np.array_equal(got["output_label"], labels[rows]):
                        raise AssertionError(f"labels {got['output_label']} != {labels[rows]}")
                    if not np.allclose(got["output_probability"], probs[rows], rtol=1e-5, atol=1e-6):
                        raise AssertionError("probabilities differ from the reference")
                    ok += 1
                except Exception as e:  # noqa: BLE001 - every failure counts
                    with lock:
                        errors.append(f"thread {tid}: {type(e).__name__}: {e}")
                    if len(errors) > 50:
                        stop.set()
        with lock:
            counts["ok"] += ok

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    stop.wait(SOAK_SECONDS)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "client threads hung"

    assert not errors, f"{len(errors)} errors, first ones:\n" + "\n".join(errors[:10])
    assert counts["ok"] > 0
    assert server.alive(), server.describe()
    print(f"soak: {counts['ok']} requests in {SOAK_SECONDS}s over {THREADS} threads")
    # The server still answers a fresh client.
    assert requests.get(server.url("/v2/health/ready"), timeout=10).status_code == 200
