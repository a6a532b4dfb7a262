"""Starts Ray Serve for the benchmark: a local Ray instance, Serve with its ingress
on the given port, and the deployment in ort_app.py with one replica per core;
prints READY_LINE once a request for a model passes through the ingress to a
replica, then serves until it is stopped.

`serve run CONFIG` would do the same from a config file, but it starts Serve
without the config's `logging_config`, which then reaches the replicas only: the
proxy would still write an access log line per request. serve.start() takes the
global logging config. (With HAProxy as the ingress, servers.rayserve() sets it
up, HAProxy still sends a syslog datagram per request to 127.0.0.1:514: Ray's
template for its config writes that `log` line whatever the settings.)

Readiness is polled here every 10 ms: serve.run() would wait for the application
to be RUNNING, but it checks once a second, and HAProxy learns of the replicas
a little after the controller says RUNNING.

Usage: python launch.py PORT REPLICAS   (BENCH_MODELS, BENCH_ORT_THREADS as ort_app.py)
"""
from __future__ import annotations

import json
import os
import sys
import time

import ray
from ort_app import OrtModels
from ray import serve

from servers import http_status  # bench/servers.py, on PYTHONPATH

READY_LINE = "bench-rayserve: application RUNNING"
POLL_S = 0.01


def main(port: int, replicas: int) -> None:
    # A new local instance, whatever RAY_ADDRESS says; Serve's own namespace, as
    # `serve run` uses.
    ray.init(address="local", namespace="serve")
    quiet = {"enable_access_log": False}
    serve.start(proxy_location="HeadOnly", http_options={"host": "127.0.0.1", "port": port},
                logging_config=quiet)
    # Deploys without waiting (serve.run would check once a second).
    serve._run(OrtModels.options(num_replicas=replicas).bind(), _blocking=False, name="bench",
               route_prefix="/", logging_config=quiet)
    model = next(iter(json.loads(os.environ.get("BENCH_MODELS", "{}"))), "")
    url = f"http://127.0.0.1:{port}/{model}"
    checked = time.monotonic()
    while http_status(url, timeout=1.0) != 200:
        if time.monotonic() - checked > 1.0:
            checked = time.monotonic()
            if serve.status().applications["bench"].status == "DEPLOY_FAILED":
                sys.exit("bench-rayserve: the application failed to deploy")
        time.sleep(POLL_S)
    print(READY_LINE, flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
