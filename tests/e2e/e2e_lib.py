"""Helpers for inferd's end-to-end tests: run the real binary, speak KServe v2
over HTTP (JSON and the binary tensor extension), and compute reference outputs
with the python onnxruntime package."""
from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import ml_dtypes
import numpy as np
import requests

assert sys.byteorder == "little", "the wire format is little-endian; so is numpy's native order here"

# Loopback traffic must never be sent to a proxy named in the environment.
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(filter(None, ["127.0.0.1", "localhost", os.environ.get(_var, "")]))

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "examples"))
import make_example_models as mem  # noqa: E402

INFERD_BIN = Path(os.environ.get("INFERD_BIN", str(REPO_ROOT / "build" / "inferd")))
STARTUP_TIMEOUT_S = float(os.environ.get("INFERD_STARTUP_TIMEOUT", "30"))
STOP_TIMEOUT_S = float(os.environ.get("INFERD_STOP_TIMEOUT", "30"))
# Every wait_until deadline is multiplied by this: the sanitizer build runs
# several times slower (make asan-test sets 3). Deadlines bound waits for
# things that must happen; they measure nothing.
TIME_SCALE = float(os.environ.get("INFERD_TIME_SCALE", "1"))
# Set for the ASan+UBSan build, whose allocator keeps freed memory in
# quarantine: memory measurements mean nothing there.
UNDER_SANITIZER = os.environ.get("INFERD_SANITIZER", "") not in ("", "0")

NP_DTYPES = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
    "BF16": np.dtype(ml_dtypes.bfloat16),
    "BYTES": np.dtype(object),
}


# ------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout_s: float, interval_s: float = 0.1, what: str = "condition"):
    timeout_s *= TIME_SCALE
    deadline = time.monotonic() + timeout_s
    last_exc = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception as e:  # noqa: BLE001 - keep polling, report the last one
            last_exc = e
        time.sleep(interval_s)
    raise TimeoutError(f"timed out after {timeout_s}s waiting for {what} (last error: {last_exc})")


class InferdServer:
    """One inferd process on a free loopback port; logs go to files in log_dir."""

    def __init__(self, repo, log_dir, extra_args=(), name="inferd"):
        self.repo = Path(repo)
        self.log_dir = Path(log_dir)
        self.extra_args = list(extra_args)
        self.name = name
        self.proc = None
        self.port = None
        self.stopped_rc = None

    # -- lifecycle
    def start(self, wait_for: str | None = "ready", timeout_s: float = STARTUP_TIMEOUT_S):
        """Start; wait_for is "ready" (/v2/health/ready 200), "live" or None."""
        if not INFERD_BIN.exists():
            raise FileNotFoundError(
                f"inferd binary not found at {INFERD_BIN}; build it or set INFERD_BIN"
            )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # extra_args may name the plain ports themselves (-1 turns one off);
        # then wait_for must be None, or the plain HTTP port must be on.
        own_http = "--http-port" not in self.extra_args
        own_grpc = "--grpc-port" not in self.extra_args
        for attempt in range(3):
            self.port = free_port()
            self.stdout_path = self.log_dir / f"{self.name}-{self.port}.stdout"
            self.stderr_path = self.log_dir / f"{self.name}-{self.port}.stderr"
            cmd = [
                str(INFERD_BIN), "serve",
                "--model-repository", str(self.repo),
                *(["--http-port", str(self.port)] if own_http else []),
                *(["--grpc-port", "0"] if own_grpc else []),
                "--log-format", "json",
                *self.extra_args,
            ]  # fmt: skip
            with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            try:
                if wait_for is not None:
                    self.wait_http(f"/v2/health/{wait_for}", timeout_s)
                return self
            except RuntimeError:
                in_use = "in use" in self.stderr().lower()
                if attempt < 2 and in_use:
                    continue  # lost the free-port race; try another port
                raise
        return self

    def wait_http(self, path: str, timeout_s: float = STARTUP_TIMEOUT_S):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"inferd exited with {self.proc.returncode} while waiting for {path}\n"
                    f"{self.describe()}"
                )
            try:
                if requests.get(self.url(path), timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{path} not 200 within {timeout_s}s\n{self.describe()}")

    def send_signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM, wait; SIGKILL after timeout (returns -9 then). Idempotent."""
        if self.stopped_rc is not None:
            return self.stopped_rc
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = -9
        self.stopped_rc = rc
        return rc

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- access
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def serving(self) -> dict:
        """The JSON "serving" log line: the ports the server bound (http_port,
        grpc_port, https_port, grpcs_port, metrics_port; -1 for one that is off)."""
        # HTTP may answer a moment before the line is written (ASan is slow).
        deadline = time.monotonic() + STARTUP_TIMEOUT_S * TIME_SCALE
        while True:
            for line in self.stderr().splitlines():
                if '"msg":"serving"' in line:
                    return json.loads(line)
            if time.monotonic() > deadline or (self.proc and self.proc.poll() is not None):
                raise RuntimeError(f"no serving line in the log\n{self.describe()}")
            time.sleep(0.05)

    @property
    def grpc_port(self) -> int:
        """The gRPC port the server picked (it starts with --grpc-port 0)."""
        return int(self.serving()["grpc_port"])

    @property
    def https_port(self) -> int:
        """The HTTPS port (--https-port); -1 when off."""
        return int(self.serving()["https_port"])

    @property
    def grpcs_port(self) -> int:
        """The gRPC-over-TLS port (--grpcs-port); -1 when off."""
        return int(self.serving()["grpcs_port"])

    @property
    def https_base_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def grpcs_target(self) -> str:
        return f"127.0.0.1:{self.grpcs_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def describe(self, tail: int = 4000) -> str:
        return f"cmd: {self.proc.args if self.proc else None}\n--- stderr (tail) ---\n{self.stderr()[-tail:]}"


def copy_models(src_repo, dst_repo, names) -> Path:
    """A repository holding `names`, copied from src_repo or built if absent there."""
    import shutil

    dst_repo = Path(dst_repo)
    for name in names:
        src = Path(src_repo) / name
        if src.is_dir():
            shutil.copytree(src, dst_repo / name, dirs_exist_ok=True)
        else:
            mem.build_model(dst_repo, name)
    return dst_repo


# --------------------------------------------------------------- metrics
def scrape_metrics(url: str) -> dict:
    """Every sample of a /metrics page, read by Prometheus' own parser
    (prometheus_client), which also checks the text format:
    {(name, frozenset(labels.items())): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def metric_value(samples: dict, name: str, **labels):
    """The first sample named `name` whose labels include `labels` (None when absent)."""
    for (sample_name, sample_labels), value in samples.items():
        found = dict(sample_labels)
        if sample_name == name and all(found.get(k) == str(v) for k, v in labels.items()):
            return value
    return None


# ------------------------------------------------------------- reference
class OrtReference:
    """Runs a model file with python onnxruntime; ZipMap outputs become [N, C]
    float32 arrays in the ZipMap's label order (the server's contract)."""

    def __init__(self, path):
        import onnxruntime as ort

        self.path = Path(path)
        self.sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.class_labels = zipmap_labels(path)
        self.output_names = [o.name for o in self.sess.get_outputs()]

    def run(self, feeds: dict) -> dict:
        outs = self.sess.run(None, feeds)
        result = {}
        for name, value in zip(self.output_names, outs):
            if name in self.class_labels:
                labels = self.class_labels[name]
                value = np.array([[row[l] for l in labels] for row in value], dtype=np.float32)
            result[name] = np.asarray(value)
        return result


def zipmap_labels(path) -> dict:
    """{graph output name: [class labels in ZipMap order]} for ZipMap outputs."""
    import onnx

    model = onnx.load(str(path))
    out = {}
    for node in model.graph.node:
        if node.op_type != "ZipMap":
            continue
        for a in node.attribute:
            if a.name == "classlabels_int64s":
                out[node.output[0]] = list(a.ints)
            elif a.name == "classlabels_strings":
                out[node.output[0]] = [s.decode() for s in a.strings]
    return out


# ------------------------------------------------------------- wire codec
def flatten(data) -> list:
    if isinstance(data, list):
        flat = []
        for d in data:
            flat.extend(flatten(d))
        return flat
    return [data]


def json_data(arr: np.ndarray, datatype: str) -> list:
    """Flat JSON `data` for a tensor (BYTES elements must be str or UTF-8 bytes)."""
    flat = arr.reshape(-1)
    if datatype == "BYTES":
        return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in flat]
    if datatype == "BOOL":
        return [bool(v) for v in flat]
    if datatype in ("FP16", "FP32", "FP64", "BF16"):
        return [float(v) for v in flat]
    return [int(v) for v in flat]


def json_tensor(name: str, arr: np.ndarray, datatype: str) -> dict:
    return {"name": name, "shape": list(arr.shape), "datatype": datatype,
            "data": json_data(arr, datatype)}  # fmt: skip


def to_blob(arr: np.ndarray, datatype: str) -> bytes:
    """Binary tensor extension encoding: little-endian, row-major, BYTES length-prefixed."""
    if datatype == "BYTES":
        parts = []
        for v in arr.reshape(-1):
            b = v if isinstance(v, bytes) else str(v).encode("utf-8")
            parts.append(struct.pack("<I", len(b)) + b)
        return b"".join(parts)
    return np.ascontiguousarray(arr, dtype=NP_DTYPES[datatype]).tobytes()


def from_blob(blob: bytes, datatype: str, shape) -> np.ndarray:
    if datatype == "BYTES":
        vals, off = [], 0
        while off < len(blob):
            (n,) = struct.unpack_from("<I", blob, off)
            vals.append(bytes(blob[off + 4 : off + 4 + n]))
            off += 4 + n
        assert off == len(blob), "BYTES blob does not end on an element boundary"
        return np.array(vals, dtype=object).reshape(shape)
    return np.frombuffer(blob, dtype=NP_DTYPES[datatype]).reshape(shape)


def from_json(data, datatype: str, shape) -> np.ndarray:
    flat = flatten(data)
    if datatype == "BYTES":
        return np.array(flat, dtype=object).reshape(shape)
    if datatype in ("FP16", "BF16"):
        return np.array(flat, dtype=np.float64).astype(NP_DTYPES[datatype]).reshape(shape)
    return np.array(flat, dtype=NP_DTYPES[datatype]).reshape(shape)


def binary_body(header: dict, blobs) -> tuple[bytes, dict]:
    """(body, headers) for a request with binary tensors appended to the JSON header."""
    head = json.dumps(header).encode()
    return head + b"".join(blobs), {"Inference-Header-Content-Length": str(len(head))}


def parse_infer_response(resp: requests.Response) -> tuple[dict, dict]:
    """(JSON header, {output name: numpy array}); accepts JSON and binary responses."""
    body = resp.content
    hl = resp.headers.get("Inference-Header-Content-Length")
    if hl is not None:
        n = int(hl)
        header, rest = json.loads(body[:n]), body[n:]
    else:
        header, rest = json.loads(body), b""
    outputs, off = {}, 0
    for o in header.get("outputs", []):
        size = (o.get("parameters") or {}).get("binary_data_size")
        if size is not None:
            outputs[o["name"]] = from_blob(rest[off : off + size], o["datatype"], o["shape"])
            off += size
        else:
            outputs[o["name"]] = from_json(o["data"], o["datatype"], o["shape"])
    assert off == len(rest), f"{len(rest) - off} unclaimed bytes after the binary outputs"
    return header, outputs


def infer_url(base_url: str, model: str, version: str | None = None) -> str:
    v = f"/versions/{version}" if version else ""
    return f"{base_url}/v2/models/{model}{v}/infer"


def infer_json(base_url, model, inputs: dict, datatypes: dict | None = None, session=None,
               outputs=None, version=None, **extra) -> requests.Response:  # fmt: skip
    """POST a plain-JSON infer request; inputs is {name: numpy array}."""
    datatypes = datatypes or {}
    body = {"inputs": [json_tensor(n, a, datatypes.get(n) or np_to_datatype(a))
                       for n, a in inputs.items()]}  # fmt: skip
    if outputs is not None:
        body["outputs"] = outputs
    body.update(extra)
    http = session or requests
    return http.post(infer_url(base_url, model, version), json=body, timeout=60)


def np_to_datatype(arr: np.ndarray) -> str:
    for name, dt in NP_DTYPES.items():
        if arr.dtype == dt:
            return name
    raise TypeError(f"no KServe datatype for {arr.dtype}")


def assert_error(resp: requests.Response, statuses) -> str:
    """The response is an error with one of `statuses` and body {"error": non-empty str}."""
    if isinstance(statuses, int):
        statuses = (statuses,)
    assert resp.status_code in statuses, (
        f"expected HTTP {statuses}, got {resp.status_code}: {resp.content[:500]!r}"
    )
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {resp.content[:500]!r}") from None
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], (
        f"error body must be {{\"error\": non-empty str}}, got {body!r}"
    )
    return body["error"]


def as_str_array(arr: np.ndarray) -> np.ndarray:
    """BYTES outputs come back as bytes (binary) or str (JSON); compare as str."""
    return np.array([v.decode() if isinstance(v, bytes) else v for v in arr.reshape(-1)],
                    dtype=object).reshape(arr.shape)  # fmt: skip


def run_toolkit(*args, check: bool = True, timeout_s: float = 900) -> subprocess.CompletedProcess:
    """`inferd <command> ...` as a user runs it: the server binary, which hands
    the Python toolkit's commands (convert, verify, quantize, push) to this
    interpreter. check raises with both outputs unless it exits 0."""
    env = dict(os.environ, INFERD_PYTHON=sys.executable, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([str(INFERD_BIN), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout_s)
    if check and done.returncode != 0:
        raise AssertionError(f"inferd {args[0]} exited {done.returncode}\n{done.stdout}\n"
                             f"{done.stderr}")
    return done
