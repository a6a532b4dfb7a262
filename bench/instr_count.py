#!/usr/bin/env python3
"""User-space instructions per request on inferd's hot path, counted with callgrind.

A figure the shared machine's noise cannot move: the server runs under
valgrind's callgrind, answers warm-up requests, its counters are zeroed, it
answers N sequential W1 requests (KServe JSON, one logreg row) over one
keep-alive connection, and the counters are dumped: instructions / N. With
--compare-route the same is done for a route over logreg (W1route's, sticky by
X-User-Id) and the two are compared: what routing costs a request, apart from
the kernel's share (sockets), which routing does not change.

Usage: bench/instr_count.py [--requests N] [--binary build/inferd] [--compare-route]
Needs: apt-get install valgrind; `make build examples`.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

from alloc_count import ROOT, send, wait_ready


def count(binary: str, requests: int, route: bool, port: int) -> float:
    with tempfile.TemporaryDirectory() as workdir:
        out = os.path.join(workdir, "callgrind.%p")
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "serve",
             "--model-repository", os.path.join(ROOT, "example-models"), "--http-port",
             str(port), "--grpc-port", "0", "--instances", "1", "--routes-db",
             os.path.join(workdir, "routes.db")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(port, proc)
            send(port, 200, route)  # warm-up: first-use allocations and caches
            subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True,
                           capture_output=True)
            send(port, requests, route, put_route=False)
            subprocess.run(["callgrind_control", "--dump", str(proc.pid)], check=True,
                           capture_output=True)
        finally:
            proc.terminate()
            proc.wait(timeout=120)
        dumps = [p for p in glob.glob(os.path.join(workdir, "callgrind.*")) if p.endswith(".1")]
        if not dumps:
            sys.exit("callgrind wrote no dump")
        with open(dumps[0]) as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1]) / requests
    sys.exit("callgrind's dump has no totals")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "inferd"))
    parser.add_argument("--port", type=int, default=18630)
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--compare-route", action="store_true",
                        help="also count a route over logreg, and give the ratio")
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_control"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install valgrind")
    kinds = ["model", "route"] if args.compare_route else ["model"]
    figures: dict[str, list[float]] = {kind: [] for kind in kinds}
    started = time.monotonic()
    for _ in range(args.trials):
        for kind in kinds:
            figures[kind].append(count(args.binary, args.requests, kind == "route", args.port))
    for kind in kinds:
        values = ", ".join(f"{v:,.0f}" for v in figures[kind])
        print(f"{kind}: {min(figures[kind]):,.0f} instructions per request ({values})")
    if args.compare_route:
        model, route = min(figures["model"]), min(figures["route"])
        print(f"route over model: +{route - model:,.0f} instructions per request "
              f"({route / model:.3f}; the lowest of {args.trials} trials each)")
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
