"""Helpers for the lifecycle tests: constant load from HTTP and gRPC clients,
repository edits the way deploy tools make them, and log-based waits."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import requests
import tritonclient.grpc as grpcclient

from e2e_lib import wait_until

LOGREG_INPUT = {"name": "float_input", "datatype": "FP32", "shape": [1, 30], "data": [0.5] * 30}


class ConstantLoad:
    """Client threads (HTTP and gRPC) sending logreg requests back to back.
    Every answer is recorded as (protocol, ok, version or error)."""

    def __init__(self, server, model="logreg", version="", http_threads=3, grpc_threads=2):
        self.server = server
        self.model = model
        self.version = version
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.answers: list[tuple[str, bool, str]] = []
        self.threads = [threading.Thread(target=self._http, daemon=True)
                        for _ in range(http_threads)]
        self.threads += [threading.Thread(target=self._grpc, daemon=True)
                         for _ in range(grpc_threads)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        wait_until(lambda: len(self.answers) >= 10, 30, what="the load started")
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=30)

    def _record(self, protocol, ok, detail):
        with self.lock:
            self.answers.append((protocol, ok, detail))

    def _http(self):
        session = requests.Session()
        v = f"/versions/{self.version}" if self.version else ""
        url = f"{self.server.base_url}/v2/models/{self.model}{v}/infer"
        body = json.dumps({"inputs": [LOGREG_INPUT]})
        while not self.stop_event.is_set():
            try:
                r = session.post(url, data=body, timeout=30)
                if r.status_code == 200:
                    self._record("http", True, r.json()["model_version"])
                else:
                    self._record("http", False, f"{r.status_code} {r.text}")
            except requests.RequestException as e:
                self._record("http", False, repr(e))

    def _grpc(self):
        client = grpcclient.InferenceServerClient(self.server.grpc_target)
        data = np.full((1, 30), 0.5, dtype=np.float32)
        while not self.stop_event.is_set():
            inp = grpcclient.InferInput("float_input", [1, 30], "FP32")
            inp.set_data_from_numpy(data)
            try:
                result = client.infer(self.model, [inp], model_version=self.version)
                self._record("grpc", True, result.get_response().model_version)
            except Exception as e:  # noqa: BLE001  (any failure is a finding)
                self._record("grpc", False, repr(e))
        client.close()

    def count(self):
        with self.lock:
            return len(self.answers)

    def failures(self):
        with self.lock:
            return [a for a in self.answers if not a[1]]

    def versions_since(self, start):
        with self.lock:
            return [a[2] for a in self.answers[start:] if a[1]]

    def wait_for_version(self, version: str, timeout_s=60):
        """Waits until every answer in a window of fresh ones reports `version`."""
        def settled():
            mark = self.count()
            wait_until(lambda: self.count() >= mark + 20, 30, what="fresh answers")
            seen = self.versions_since(mark)
            return seen and all(v == version for v in seen)
        wait_until(settled, timeout_s, interval_s=0.2, what=f"answers from version {version}")


def copy_version(model_dir: Path, src_version: int, dst_version: int):
    """Adds a version the way a deploy tool should: written under a temporary
    name, then renamed into place."""
    tmp = model_dir / f".{dst_version}.tmp"
    shutil.copytree(model_dir / str(src_version), tmp)
    os.rename(tmp, model_dir / str(dst_version))


def touch_model(model_dir: Path, version: int, bump_s: float):
    """Changes a version's file time (as a re-copy of the same file would)."""
    path = model_dir / str(version) / "model.onnx"
    st = path.stat()
    os.utime(path, (st.st_atime + bump_s, st.st_mtime + bump_s))


def count_log(server, message: str, **fields) -> int:
    """Lines of the server's JSON log with this message and these fields."""
    n = 0
    for line in server.stderr().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("msg") == message and all(str(entry.get(k)) == str(v)
                                               for k, v in fields.items()):
            n += 1
    return n


def index(server) -> list[dict]:
    r = requests.post(server.url("/v2/repository/index"), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def index_state(server, model, version) -> dict | None:
    for e in index(server):
        if e["name"] == model and e.get("version") == str(version):
            return e
    return None


def wait_state(server, model, version, state, timeout_s=60):
    wait_until(lambda: (index_state(server, model, version) or {}).get("state") == state,
               timeout_s, interval_s=0.1, what=f"{model} v{version} {state}")
    return index_state(server, model, version)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")
