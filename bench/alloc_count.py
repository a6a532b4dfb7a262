#!/usr/bin/env python3
"""Heap allocations per request on inferd's hot path, counted with heaptrack.

Runs the server under heaptrack twice, answering N and 3N sequential W1
requests (KServe JSON, one logreg row) over one keep-alive connection, and
reports (allocations of the second run - the first) / 2N: start-up and
shutdown cancel out. The breakdown names the innermost inferd function of each
allocation's stack ("ORT:" where the allocation happened inside ONNX Runtime).

With --route the requests go to a route that splits logreg 50/50 between two
variants, sticky by X-User-Id (W1route's), so the difference of the two runs'
figures is what routing allocates.

Usage: bench/alloc_count.py [--requests N] [--binary build/inferd] [--route]
Needs: apt-get install heaptrack; `make build examples`; the test venv.
"""
import argparse
import collections
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BODY = json.dumps({"inputs": [{"name": "float_input", "datatype": "FP32", "shape": [1, 30],
                               "data": [0.5] * 30}]}).encode()


def wait_ready(port, proc):
    for _ in range(300):
        if proc.poll() is not None:
            sys.exit(f"inferd exited early: {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit("inferd did not become ready")


ROUTE = json.dumps({"key": "header:X-User-Id", "variants": [
    {"name": "a", "model": "logreg", "weight": 50},
    {"name": "b", "model": "logreg", "weight": 50}]}).encode()


def send(port, count, route, put_route=True):
    import http.client
    if put_route:
        put = urllib.request.Request(f"http://127.0.0.1:{port}/v1/routes/w1route", data=ROUTE,
                                     method="PUT")
        with urllib.request.urlopen(put, timeout=60) as answer:
            answer.read()
    conn = http.client.HTTPConnection("127.0.0.1", port)
    path = "/v2/models/w1route/infer" if route else "/v2/models/logreg/infer"
    for _ in range(count):
        conn.request("POST", path, BODY,
                     {"Content-Type": "application/json", "X-User-Id": "user-4711"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            sys.exit(f"request failed: {response.status}")
    conn.close()


def record(binary, count, workdir, port, route):
    out = os.path.join(workdir, f"run{count}")
    proc = subprocess.Popen(
        ["heaptrack", "-o", out, binary, "serve", "--model-repository",
         os.path.join(ROOT, "example-models"), "--http-port", str(port), "--grpc-port", "0",
         "--instances", "1", "--routes-db", os.path.join(workdir, f"routes{count}.db")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port, proc)
    send(port, count, route)
    # SIGTERM goes to inferd itself, so heaptrack writes its data to the end.
    subprocess.run(["pkill", "-TERM", "-x", os.path.basename(binary)], check=False)
    proc.wait(timeout=60)
    return glob.glob(out + "*")[0]


def by_site(data):
    text = subprocess.run(
        ["heaptrack_print", data, "--print-flamegraph", "/dev/stdout", "--flamegraph-cost-type",
         "allocations", "-p", "0", "-a", "0", "-T", "0", "-l", "0"],
        capture_output=True, text=True, check=True).stdout
    sites = collections.Counter()
    for line in text.splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        frames = stack.split(";")
        in_ort = any("libonnxruntime" in f or "Ort::" in f for f in frames)
        ours = [f for f in frames if "inferd::" in f]
        key = ours[-1][:100] if ours else "(HTTP library and I/O threads)"
        sites[("ORT: " if in_ort else "") + key] += int(n)
    return sites


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "inferd"))
    parser.add_argument("--port", type=int, default=18610)
    parser.add_argument("--route", action="store_true",
                        help="send the requests to a route over logreg (W1route's)")
    args = parser.parse_args()
    for tool in ("heaptrack", "heaptrack_print"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install heaptrack")
    with tempfile.TemporaryDirectory() as workdir:
        n = args.requests
        small = by_site(record(args.binary, n, workdir, args.port, args.route))
        large = by_site(record(args.binary, 3 * n, workdir, args.port, args.route))
    delta = {k: (large[k] - small[k]) / (2 * n) for k in set(small) | set(large)}
    total = sum(delta.values())
    ort = sum(v for k, v in delta.items() if k.startswith("ORT: "))
    print(f"allocations per request: {total:.1f} "
          f"(inside ONNX Runtime {ort:.1f}, inferd and its libraries {total - ort:.1f})")
    for key, value in sorted(delta.items(), key=lambda kv: -kv[1]):
        if value >= 0.5:
            print(f"{value:7.1f}  {key}")


if __name__ == "__main__":
    main()
