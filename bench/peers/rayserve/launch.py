"""Starts Ray Serve for the benchmark: a local Ray instance, Serve with its HTTP
proxy on the given port, and the deployment in ort_app.py with one replica per
core; prints READY_LINE once Serve says the application is RUNNING, then serves
until it is stopped.

`serve run CONFIG` would do the same from a config file, but it starts Serve
without the config's `logging_config`, which then reaches the replicas only: the
proxy, which every request passes through, would still write an access log line
per request. serve.start() takes the global logging config, so here access logs
are off everywhere, as for every server in the benchmark.

Usage: python launch.py PORT REPLICAS   (BENCH_MODELS, BENCH_ORT_THREADS as ort_app.py)
"""
from __future__ import annotations

import sys
import time

import ray
from ort_app import OrtModels
from ray import serve

READY_LINE = "bench-rayserve: application RUNNING"


def main(port: int, replicas: int) -> None:
    # A new local instance, whatever RAY_ADDRESS says; Serve's own namespace, as
    # `serve run` uses.
    ray.init(address="local", namespace="serve")
    quiet = {"enable_access_log": False}
    serve.start(proxy_location="HeadOnly", http_options={"host": "127.0.0.1", "port": port},
                logging_config=quiet)
    # Returns once every replica is up and the application is RUNNING.
    serve.run(OrtModels.options(num_replicas=replicas).bind(), name="bench", route_prefix="/",
              logging_config=quiet)
    print(READY_LINE, flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
