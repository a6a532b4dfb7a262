"""Load generators and the in-process limit: each run gives one `Load`.

  wrk       closed-loop HTTP/1.1 at fixed concurrency (bench/lua/post.lua)
  ghz       closed-loop gRPC at fixed concurrency
  openloop  constant-rate HTTP (bench/tools/openloop), for latency at a given rate
  l1        ONNX Runtime in-process (bench/l1_ort_inprocess.cc)
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from servers import pinned

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
POST_LUA = BENCH / "lua" / "post.lua"
# A slow peer must show up as latency, not as wrk's default 2 s timeouts.
TIMEOUT = "30s"
# ghz ends a -z run by closing its connections under the requests still in
# flight; those come back as these errors and are the generator's, not the server's.
GHZ_SHUTDOWN_ERRORS = ("transport is closing", "the client connection is closing")


class LoadError(RuntimeError):
    pass


@dataclass
class Load:
    """What one run measured. Latencies in milliseconds."""

    ok: int
    errors: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    tool: str
    error_detail: str = ""  # what the errors were, where the tool says

    @property
    def per_s(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


def _run(cmd: list, what: str, timeout: float) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise LoadError(f"{what} failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
                        f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return proc.stdout


def wrk(wrk_bin: str, url: str, body: Path, headers: list, concurrency: int, seconds: float,
        threads: int, cpus: str | None) -> Load:
    cmd = pinned([wrk_bin, "-t", str(min(threads, concurrency)), "-c", str(concurrency),
                  "-d", f"{max(1, round(seconds))}s", "--timeout", TIMEOUT, "-s", str(POST_LUA), url,
                  "--", str(body), *headers], cpus)
    out = _run(cmd, "wrk", seconds + 60)
    line = next((l for l in out.splitlines() if l.startswith("BENCH_JSON ")), None)
    if line is None:
        raise LoadError(f"wrk printed no result line:\n{out[-2000:]}")
    r = json.loads(line[len("BENCH_JSON "):])
    errors = sum(r[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_status",
                                "errors_timeout"))
    detail = ", ".join(f"{r[k]} {k[len('errors_'):]}" for k in ("errors_connect", "errors_read",
                       "errors_write", "errors_status", "errors_timeout") if r[k])
    return Load(ok=r["requests"] - r["errors_status"], errors=errors, error_detail=detail,
                seconds=r["duration_us"] / 1e6, p50_ms=r["p50_us"] / 1e3, p90_ms=r["p90_us"] / 1e3,
                p99_ms=r["p99_us"] / 1e3, tool="wrk")


def ghz(ghz_bin: str, target: str, data_file: Path, concurrency: int, seconds: float,
        connections: int, cpus: str | None) -> Load:
    proto = ROOT / "proto"
    cmd = pinned([ghz_bin, "--insecure", "--proto", str(proto / "grpc_service.proto"),
                  "--import-paths", str(proto), "--call", "inference.GRPCInferenceService.ModelInfer",
                  "--data-file", str(data_file), "-c", str(concurrency),
                  "--connections", str(connections), "-z", f"{seconds}s", "-O", "json", target], cpus)
    r = json.loads(_run(cmd, "ghz", seconds + 60))
    ok = r.get("statusCodeDistribution", {}).get("OK", 0)
    shutdown = sum(n for msg, n in (r.get("errorDistribution") or {}).items() if _is_shutdown(msg))
    pct = {d["percentage"]: d["latency"] / 1e6 for d in r.get("latencyDistribution") or []}
    detail = "; ".join(f"{n}× {msg}" for msg, n in (r.get("errorDistribution") or {}).items()
                       if not _is_shutdown(msg))
    return Load(ok=ok, errors=r["count"] - ok - shutdown, seconds=r["total"] / 1e9,
                p50_ms=pct.get(50, 0.0), p90_ms=pct.get(90, 0.0), p99_ms=pct.get(99, 0.0), tool="ghz",
                error_detail=detail)


def _is_shutdown(message: str) -> bool:
    return any(m in message for m in GHZ_SHUTDOWN_ERRORS)


def openloop(openloop_bin: str, url: str, body: Path, headers: list, rate: float, seconds: float,
             cpus: str | None) -> dict:
    cmd = [openloop_bin, "-url", url, "-body", str(body), "-rate", f"{rate:.1f}",
           "-duration", f"{seconds}s"]
    for h in headers:
        cmd += ["-header", h]
    return json.loads(_run(pinned(cmd, cpus), "openloop", seconds + 120))


def l1(l1_bin: Path, model: Path, batch: int, threads: int, seconds: float,
       cpus: str | None) -> Load:
    cmd = pinned([str(l1_bin), "--model", str(model), "--batch", str(batch), "--threads",
                  str(threads), "--seconds", str(seconds)], cpus)
    r = json.loads(_run(cmd, "inferd_bench_l1", seconds + 120))
    return Load(ok=r["inferences"], errors=0, seconds=r["seconds"], p50_ms=r["p50_us"] / 1e3,
                p90_ms=r["p90_us"] / 1e3, p99_ms=r["p99_us"] / 1e3, tool="inferd_bench_l1")


def l1_text(l1_bin: Path, model: Path, jsonl: Path, batch: int, threads: int,
            cpus: str | None) -> dict:
    """L1 from text: the JSONL file's rows parsed, run and written back as text
    in-process, once through the file; its JSON answer (rows, seconds, rows_per_s)."""
    cmd = pinned([str(l1_bin), "--model", str(model), "--batch", str(batch), "--threads",
                  str(threads), "--jsonl", str(jsonl)], cpus)
    return json.loads(_run(cmd, "inferd_bench_l1 --jsonl", 600))
