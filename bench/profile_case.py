"""Profiles of the benchmark's misses: inferd (or L1) under one workload's load while
`perf record -e cpu-clock` samples it (this VM has no hardware counters) and
`perf stat` counts its context switches. Each case writes, under OUT/<case>/:

  summary.json   the load's req/s and p99, the server's CPU µs per request,
                 context switches per request, and the model's batch statistics
  by_dso.txt     share of the sampled CPU time per library
  by_symbol.txt  the hottest functions

Usage (after `make build examples` and one `make bench-quick`, which writes the
benchmark models into bench/out/models; the bodies are written here, as
run_bench.py writes them):

  $VENV/bin/python bench/profile_case.py [--seconds 8] w3_batched w3_unbatched ...

Cases: w1_http, w1_grpc (W1 over HTTP JSON and gRPC, 64 clients), w3_batched,
w3_unbatched (W3, 64 clients), w4_binary (W4 binary, 8 clients), w4_l1 (L1 on the
CNN, batch 1, one thread per core), conn_1024 (W1 at 1,024 keep-alive
connections; w1_http is the same at 64). The CPU time per request includes what
perf's sampling (999 Hz) costs the server. Timing is only reported, never
asserted. Needs `perf` (Debian: linux-perf).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import loadgen
import servers

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


@dataclass(frozen=True)
class Case:
    model: str
    body: str  # one of bodies.write_bodies' files
    concurrency: int
    tool: str = "wrk"  # wrk | ghz | l1


CASES = {
    "w1_http": Case("logreg", "w1_kserve.json", 64),
    "w1_grpc": Case("logreg", "w1_ghz.json", 64, tool="ghz"),
    "w3_batched": Case("mlp_wide_batched", "w3_kserve.json", 64),
    "w3_unbatched": Case("mlp_wide_unbatched", "w3_kserve.json", 64),
    "w4_binary": Case("resnet_mini", "w4_binary.bin", 8),
    "w4_l1": Case("resnet_mini", "", 1, tool="l1"),
    "conn_1024": Case("logreg", "w1_kserve.json", 1024),
}


def perf_report(data: Path, sort: str, lines: int) -> str:
    out = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort", sort,
                          "--stdio"], capture_output=True, text=True).stdout
    kept = [line for line in out.splitlines() if line.strip() and not line.startswith("#")]
    return "\n".join(kept[:lines]) + "\n"


def context_switches(stat_file: Path) -> int:
    """The context-switches count of a `perf stat -x,` file."""
    for line in stat_file.read_text().splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2].startswith("context-switches") and fields[0].isdigit():
            return int(fields[0])
    return -1


def sample(pid: int, seconds: float, out: Path) -> int:
    """perf record and perf stat on `pid` for `seconds`; the context switches counted."""
    stat = out / "perf_stat.txt"
    with open(out / "perf.log", "w") as log:
        record = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", "-p",
                                   str(pid), "-o", str(out / "perf.data"), "--", "sleep",
                                   str(seconds)], stdout=subprocess.DEVNULL, stderr=log)
        try:
            counted = subprocess.run(["perf", "stat", "-x,", "-e", "context-switches,cpu-migrations",
                                      "-p", str(pid), "-o", str(stat), "--", "sleep", str(seconds)],
                                     stdout=subprocess.DEVNULL, stderr=log)
        finally:
            recorded = record.wait(timeout=seconds + 60)
    if recorded != 0 or counted.returncode != 0 or not (out / "perf.data").exists():
        sys.exit(f"profile_case: perf failed (see {out / 'perf.log'})")
    return context_switches(stat)


def batch_stats(base: str, model: str) -> dict:
    """The model's KServe statistics: inference count and executions (batches)."""
    with urllib.request.urlopen(f"{base}/v2/models/{model}/stats", timeout=5) as r:
        stats = json.loads(r.read())["model_stats"][0]
    return {"inference_count": stats.get("inference_count"),
            "execution_count": stats.get("execution_count")}


def run_case(name: str, case: Case, tools: dict, bodies: dict, args) -> dict:
    out = args.out / name
    out.mkdir(parents=True, exist_ok=True)
    models = args.repo
    cores = len(os.sched_getaffinity(0))
    if case.tool == "l1":
        proc = subprocess.Popen([str(args.l1), "--model", str(models / case.model / "1" / "model.onnx"),
                                 "--batch", "1", "--threads", str(cores), "--seconds",
                                 str(args.seconds + 3)], stdout=subprocess.PIPE, text=True)
        time.sleep(1.5)
        switches = sample(proc.pid, args.seconds, out)
        answer = json.loads(proc.communicate()[0])
        summary = {"per_s": answer["inferences"] / answer["seconds"],
                   "p99_ms": answer["p99_us"] / 1e3, "switches_per_inference":
                   switches / (answer["inferences"] * args.seconds / answer["seconds"])}
    else:
        body = bodies["paths"][case.body]
        headers = bodies["headers"].get(case.body, [])
        server = servers.inferd(args.inferd, models, out, None)
        with server:
            path = f"/v2/models/{case.model}/infer"

            def load(seconds: float) -> loadgen.Load:
                if case.tool == "ghz":
                    return loadgen.ghz(tools["GHZ"], server.grpc, body, case.concurrency, seconds,
                                       cores, None)
                return loadgen.wrk(tools["WRK"], server.base + path, body, headers,
                                   case.concurrency, seconds, cores, None)

            load(2)  # warm-up
            before = batch_stats(server.base, case.model)
            result: dict = {}

            def measure() -> None:
                try:
                    result["load"] = load(args.seconds + 3)
                except Exception as e:  # noqa: BLE001 - raised again below, in this thread
                    result["error"] = e

            runner = threading.Thread(target=measure)
            cpu = server.cpu_seconds()
            runner.start()
            time.sleep(1.5)
            switches = sample(server.proc.pid, args.seconds, out)
            runner.join()
            if "error" in result:
                raise result["error"]
            used = server.cpu_seconds() - cpu
            after = batch_stats(server.base, case.model)
        measured: loadgen.Load = result["load"]
        in_window = measured.per_s * args.seconds
        inferences = after["inference_count"] - before["inference_count"]
        executions = after["execution_count"] - before["execution_count"]
        summary = {"per_s": measured.per_s, "p99_ms": measured.p99_ms, "errors": measured.errors,
                   "cpu_us_per_req": used * 1e6 / max(1, measured.ok),
                   "switches_per_req": switches / max(1.0, in_window),
                   "rows_per_execution": inferences / max(1, executions)}
    (out / "by_dso.txt").write_text(perf_report(out / "perf.data", "dso", 25))
    (out / "by_symbol.txt").write_text(perf_report(out / "perf.data", "dso,sym", 60))
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="+", choices=sorted(CASES))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--out", type=Path, default=BENCH / "out" / "profiles")
    parser.add_argument("--repo", type=Path, default=BENCH / "out" / "models",
                        help="the model repository (a copy with another config, to compare)")
    parser.add_argument("--inferd", type=Path, default=ROOT / "build" / "inferd")
    parser.add_argument("--l1", type=Path, default=ROOT / "build" / "bench" / "inferd_bench_l1")
    args = parser.parse_args(argv)
    if shutil.which("perf") is None:
        sys.exit("profile_case: perf is missing (Debian: apt-get install linux-perf)")
    import run_bench  # its setup, with the installed peers left out
    tools = run_bench.setup_tools(quick=True)
    bodies = run_bench.write_bodies(args.out / "bodies")
    for name in args.cases:
        summary = run_case(name, CASES[name], tools, bodies, args)
        print(name, json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
