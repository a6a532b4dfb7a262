"""The model registry through the real binary: MLflow-shaped REST calls and
their errors, stages and aliases that move what serves under constant HTTP
and gRPC load without a failed request, uploads, the `inferd registry` CLI,
and the database locked, corrupt, or cut off by kill -9 mid-transition."""

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import requests
import tritonclient.grpc as grpcclient
from e2e_lib import INFERD_BIN, copy_models, wait_until
from lifecycle_lib import LOGREG_INPUT, ConstantLoad, copy_version

REG = "/v1/registry"
DB_NAME = ".inferd-registry.db"


@pytest.fixture
def three_versions(tmp_path, example_repo):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg", "mlp_fp32"])
    copy_version(repo / "logreg", 1, 2)
    copy_version(repo / "logreg", 1, 3)
    return repo


def call(server, method, route, body=None, prefix=REG, **params):
    return requests.request(method, server.url(prefix + route),
                            data=None if body is None else json.dumps(body),
                            params=params or None, timeout=60)


def ok(resp):
    assert resp.status_code == 200, resp.text
    return resp.json()


def mlflow_error(resp, status, code):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error_code"] == code and body["message"], body
    return body["message"]


def register_all(server, repo, model="logreg", versions=(1, 2, 3)):
    for v in versions:
        mv = ok(call(server, "POST", "/model-versions/create",
                     {"name": model, "source": str(repo / model / str(v))}))["model_version"]
        assert mv["version"] == str(v)


def stage(server, version, stage_name, archive=False, model="logreg"):
    return ok(call(server, "POST", "/model-versions/transition-stage",
                   {"name": model, "version": str(version), "stage": stage_name,
                    "archive_existing_versions": archive}))["model_version"]


def answer_version(server, model="logreg", version=""):
    v = f"/versions/{version}" if version else ""
    r = requests.post(server.url(f"/v2/models/{model}{v}/infer"),
                      data=json.dumps({"inputs": [LOGREG_INPUT]}), timeout=30)
    return r.json()["model_version"] if r.status_code == 200 else f"{r.status_code} {r.text}"


def grpc_version(server, model, version=""):
    client = grpcclient.InferenceServerClient(server.grpc_target)
    inp = grpcclient.InferInput("float_input", [1, 30], "FP32")
    inp.set_data_from_numpy(np.full((1, 30), 0.5, dtype=np.float32))
    try:
        return client.infer(model, [inp], model_version=version).get_response().model_version
    finally:
        client.close()


def test_registry_calls_answer_in_mlflow_shapes_and_refuse_bad_input(three_versions,
                                                                    inferd_factory):
    server = inferd_factory(three_versions)
    created = ok(call(server, "POST", "/registered-models/create",
                      {"name": "logreg", "description": "credit risk",
                       "tags": [{"key": "team", "value": "risk"}]}))["registered_model"]
    assert created["name"] == "logreg" and created["tags"] == [{"key": "team", "value": "risk"}]
    register_all(server, three_versions)
    mv = ok(call(server, "GET", "/model-versions/get", name="logreg", version="2"))
    mv = mv["model_version"]
    digest = hashlib.sha256((three_versions / "logreg/2/model.onnx").read_bytes()).hexdigest()
    assert mv["checksum"] == "sha256:" + digest
    assert mv["current_stage"] == "None" and mv["status"] == "READY"
    assert isinstance(mv["creation_timestamp"], int)

    ok(call(server, "POST", "/model-versions/set-tag",
            {"name": "logreg", "version": "2", "key": "commit", "value": "abc123"}))
    ok(call(server, "POST", "/model-versions/set-metric",
            {"name": "logreg", "version": "2", "key": "auc", "value": 0.91}))
    ok(call(server, "PATCH", "/model-versions/update",
            {"name": "logreg", "version": 2, "description": "retrained"}))
    # The same API under MLflow's own prefix.
    mv = ok(call(server, "GET", "/model-versions/get", prefix="/api/2.0/mlflow",
                 name="logreg", version="2"))["model_version"]
    assert mv["tags"] == [{"key": "commit", "value": "abc123"}]
    assert mv["metrics"] == [{"key": "auc", "value": 0.91}]
    assert mv["description"] == "retrained"

    found = ok(call(server, "GET", "/registered-models/search", filter="name LIKE 'log%'"))
    assert [m["name"] for m in found["registered_models"]] == ["logreg"]
    found = ok(call(server, "GET", "/model-versions/search", filter="name='logreg'"))
    assert [v["version"] for v in found["model_versions"]] == ["1", "2", "3"]

    for method, route, body, status, code in [
        ("POST", "/registered-models/create", {"name": "logreg"}, 400, "RESOURCE_ALREADY_EXISTS"),
        ("POST", "/registered-models/create", {"name": "../etc"}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/create", {}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/create", {"name": 7}, 400, "INVALID_PARAMETER_VALUE"),
        ("GET", "/registered-models/get?name=nope", None, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("GET", "/registered-models/get?name=%FF", None, 400, "INVALID_PARAMETER_VALUE"),
        ("GET", "/model-versions/get?name=logreg&version=9", None, 404,
         "RESOURCE_DOES_NOT_EXIST"),
        ("GET", "/model-versions/get?name=logreg&version=x", None, 400,
         "INVALID_PARAMETER_VALUE"),
        ("POST", "/model-versions/transition-stage",
         {"name": "logreg", "version": "1", "stage": "Prod"}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/model-versions/transition-stage",
         {"name": "logreg", "version": "1", "stage": "Archived",
          "archive_existing_versions": True}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/model-versions/transition-stage",
         {"name": "logreg", "version": "9", "stage": "Staging"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("POST", "/registered-models/alias",
         {"name": "logreg", "alias": "latest", "version": "1"}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/alias",
         {"name": "logreg", "alias": "v3", "version": "1"}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/alias",
         {"name": "logreg", "alias": "Production", "version": "1"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/alias",
         {"name": "logreg", "alias": "a b", "version": "1"}, 400, "INVALID_PARAMETER_VALUE"),
        ("DELETE", "/registered-models/alias", {"name": "logreg", "alias": "none"}, 404,
         "RESOURCE_DOES_NOT_EXIST"),
        ("POST", "/model-versions/create", {"name": "logreg", "source": "relative/path"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("POST", "/model-versions/create", {"name": "logreg", "source": "/no/such/file"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("POST", "/model-versions/create",
         {"name": "logreg", "source": "/tmp", "tags": "x"}, 400, "INVALID_PARAMETER_VALUE"),
        ("GET", "/registered-models/search?filter=name%3D'a'%20OR%20name%3D'b'", None, 400,
         "INVALID_PARAMETER_VALUE"),
    ]:
        r = requests.request(method, server.url(REG + route),
                             data=None if body is None else json.dumps(body), timeout=30)
        mlflow_error(r, status, code)
    for raw in [b"{", b"[1]", b"{\"name\": \"x\"", b"[" * 100000, b"\xff\xfe",
                b"{\"name\": \"a\xffb\"}"]:
        r = requests.post(server.url(REG + "/registered-models/create"), data=raw, timeout=30)
        mlflow_error(r, 400, "INVALID_PARAMETER_VALUE")
    r = requests.put(server.url(REG + "/registered-models/create"), data="{}", timeout=30)
    assert r.status_code == 405
    assert answer_version(server) == "3"  # nothing staged: the version policy decides


def test_stages_and_aliases_move_what_serves_under_load_without_a_failed_request(
        three_versions, inferd_factory):
    server = inferd_factory(three_versions)
    register_all(server, three_versions)
    with ConstantLoad(server) as load:
        load.wait_for_version("3")  # the repository's policy: latest
        assert stage(server, 1, "Production")["serving_state"] == "READY"
        # Applied before the call returns: the next request already gets it.
        assert answer_version(server) == "1"
        load.wait_for_version("1")
        with ConstantLoad(server, version="production", http_threads=1, grpc_threads=1) as prod:
            stage(server, 2, "Staging")
            assert answer_version(server, version="Staging") == "2"
            promoted = stage(server, 2, "Production", archive=True)
            assert promoted["current_stage"] == "Production"
            assert answer_version(server) == "2"
            assert answer_version(server, version="PRODUCTION") == "2"
            old = ok(call(server, "GET", "/model-versions/get", name="logreg", version="1"))
            assert old["model_version"]["current_stage"] == "Archived"
            prod.wait_for_version("2")
            load.wait_for_version("2")
            ok(call(server, "POST", "/registered-models/alias",
                    {"name": "logreg", "alias": "champion", "version": "3"}))
            assert answer_version(server) == "2"  # Production stays the default
            assert answer_version(server, "logreg@champion") == "3"
            assert answer_version(server, version="@champion") == "3"
            assert grpc_version(server, "logreg@champion") == "3"
            assert grpc_version(server, "logreg/Production") == "2"
            assert grpc_version(server, "models:/logreg/Production") == "2"
            assert grpc_version(server, "logreg", "champion") == "3"
            tf = requests.get(server.url("/v1/models/logreg/labels/Production"), timeout=10)
            assert tf.json()["model_version_status"][0]["version"] == "2"
        # Demote everything: the alias alone keeps version 3 serving.
        stage(server, 2, "Archived")
        assert answer_version(server) == "3"
        load.wait_for_version("3")
        ok(call(server, "DELETE", "/registered-models/alias", {"name": "logreg",
                                                                 "alias": "champion"}))
        # Nothing staged: the repository's version policy is back (latest).
        assert answer_version(server) == "3"
        index = requests.post(server.url("/v2/repository/index"), timeout=10).json()
        assert sorted(e["version"] for e in index if e["name"] == "logreg") == ["3"]
    assert load.count() > 100 and prod.count() > 20
    assert load.failures() == [], load.failures()[:5]
    assert prod.failures() == [], prod.failures()[:5]
    assert {p for p, _, _ in load.answers} == {"http", "grpc"}


def test_stages_survive_a_restart_and_load_in_explicit_mode(three_versions, inferd_factory):
    server = inferd_factory(three_versions)
    register_all(server, three_versions)
    stage(server, 1, "Production")
    stage(server, 2, "Staging")
    assert server.stop() == 0
    # Explicit mode without --load-model: the registry's staged versions load.
    again = inferd_factory(three_versions, ["--model-control-mode=explicit"])
    assert answer_version(again) == "1"
    assert answer_version(again, version="staging") == "2"
    assert "404" in answer_version(again, "mlp_fp32")  # not asked for: not loaded
    index = requests.post(again.url("/v2/repository/index"), json={"ready": True},
                          timeout=10).json()
    assert sorted((e["name"], e["version"]) for e in index) == [("logreg", "1"), ("logreg", "2")]


def padded_onnx(onnx: bytes, size: int) -> bytes:
    """The same model grown to about `size` bytes by an unknown protobuf field
    (number 99), which ONNX Runtime skips."""
    pad = size - len(onnx)
    length, n = b"", pad
    while True:
        byte = n & 0x7F
        n >>= 7
        length += bytes([byte | (0x80 if n else 0)])
        if not n:
            break
    return onnx + b"\x9a\x06" + length + b"\0" * pad


def upload(server, model, data, config=None, **params):
    if config is None:
        return requests.post(server.url(f"{REG}/models/{model}/versions"), data=data,
                             params=params or None,
                             headers={"Content-Type": "application/octet-stream"}, timeout=60)
    return requests.post(server.url(f"{REG}/models/{model}/versions"), params=params or None,
                         files={"model": ("model.onnx", data), "config": ("config.pbtxt", config)},
                         timeout=60)


def test_uploads_are_written_whole_checksummed_and_loaded_per_policy(three_versions,
                                                                     inferd_factory, tmp_path):
    server = inferd_factory(three_versions, ["--max-upload-bytes", "2000000"])
    onnx = (three_versions / "logreg/1/model.onnx").read_bytes()
    with ConstantLoad(server) as load:
        mv = ok(upload(server, "logreg", onnx, description="uploaded"))["model_version"]
        assert mv["version"] == "4" and mv["description"] == "uploaded"
        assert mv["checksum"] == "sha256:" + hashlib.sha256(onnx).hexdigest()
        assert mv["serving_state"] == "READY"
        assert (three_versions / "logreg/4/model.onnx").read_bytes() == onnx
        assert answer_version(server) == "4"  # latest policy: it took over
        # A file that is not ONNX is refused before it reaches the repository.
        mlflow_error(upload(server, "logreg", b"not an onnx model"), 400,
                     "INVALID_PARAMETER_VALUE")
        mlflow_error(upload(server, "logreg", b"{}"), 400, "INVALID_PARAMETER_VALUE")
        # One that looks like ONNX but does not load never replaces the serving version.
        broken = b"\x08\x07" + b"\x3a\x04junk"  # ir_version 7, a graph of junk bytes
        bad = ok(upload(server, "logreg", broken))["model_version"]
        assert bad["version"] == "5" and bad["serving_state"] == "UNAVAILABLE"
        assert bad["serving_reason"]
        assert answer_version(server) == "4"
    assert load.failures() == [], load.failures()[:5]

    # A new model, with its config, as multipart.
    mv = ok(upload(server, "fresh", onnx, config='max_batch_size: 4\n'))["model_version"]
    assert mv["version"] == "1" and mv["serving_state"] == "READY"
    assert (three_versions / "fresh/config.pbtxt").read_text() == "max_batch_size: 4\n"
    assert answer_version(server, "fresh") == "1"

    too_big = upload(server, "logreg", b"x" * 2000001)
    assert too_big.status_code == 413, too_big.text
    mlflow_error(upload(server, "logreg", b""), 400, "INVALID_PARAMETER_VALUE")
    mlflow_error(upload(server, "logreg", onnx, config="max_batch_size: {"), 400,
                 "INVALID_PARAMETER_VALUE")
    mlflow_error(upload(server, ".hidden", onnx), 400, "INVALID_PARAMETER_VALUE")
    r = requests.post(server.url(f"{REG}/models/logreg/versions"), files={"other": ("x", b"1")},
                      timeout=30)
    mlflow_error(r, 400, "INVALID_PARAMETER_VALUE")
    leftovers = [p.name for p in (three_versions / "logreg").iterdir() if p.name.startswith(".")]
    assert leftovers == [] and sorted(p.name for p in (three_versions / "logreg").iterdir()) == [
        "1", "2", "3", "4", "5"]

    # A config cannot change under versions that serve.
    mlflow_error(upload(server, "fresh", onnx, config="max_batch_size: 2\n"), 400,
                 "INVALID_PARAMETER_VALUE")
    assert (three_versions / "fresh/config.pbtxt").read_text() == "max_batch_size: 4\n"

    # Registering a file from the server's disk copies it in as the next version.
    src = tmp_path / "candidate.onnx"
    src.write_bytes(onnx)
    mv = ok(call(server, "POST", "/model-versions/create",
                 {"name": "logreg", "source": f"file://{src}"}))["model_version"]
    assert mv["version"] == "6" and (three_versions / "logreg/6/model.onnx").exists()


def run_cli(*args):
    return subprocess.run([str(INFERD_BIN), "registry", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_uploads_stages_aliases_and_lists(three_versions, inferd_factory, tmp_path):
    server = inferd_factory(three_versions)
    url = ["--url", server.base_url]
    out = run_cli(*url, "register", "logreg", str(three_versions / "logreg/1"))
    assert out.returncode == 0, out.stderr
    out = run_cli(*url, "upload", "logreg", str(three_versions / "logreg/1/model.onnx"),
                  "--description", "from the CLI")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1].split()[:3] == ["logreg", "4", "None"]
    out = run_cli(*url, "stage", "logreg", "4", "production", "--archive-existing")
    assert out.returncode == 0 and "Production" in out.stdout, out.stderr
    out = run_cli(*url, "alias", "logreg", "champion", "1")
    assert out.returncode == 0 and "logreg@champion -> version 1" in out.stdout, out.stderr
    assert answer_version(server) == "4" and answer_version(server, "logreg@champion") == "1"
    out = run_cli(*url, "list", "logreg")
    rows = [line.split() for line in out.stdout.splitlines()[1:]]
    assert [r[:5] for r in rows] == [["logreg", "1", "None", "@champion", "READY"],
                                     ["logreg", "4", "Production", "-", "READY"]]
    config = tmp_path / "config.pbtxt"
    config.write_text("max_batch_size: 8\n")
    out = run_cli(*url, "upload", "other", str(three_versions / "logreg/1/model.onnx"),
                  "--config", str(config))
    assert out.returncode == 0, out.stderr
    assert answer_version(server, "other") == "1"
    out = run_cli(*url, "alias", "logreg", "champion", "--remove")
    assert out.returncode == 0, out.stderr
    out = run_cli(*url, "delete", "logreg", "4")
    assert out.returncode == 0, out.stderr
    assert answer_version(server) == "4"  # files stay; the version policy serves the latest
    for args, text in [(("stage", "logreg", "1", "Live"), "invalid stage"),
                       (("alias", "logreg", "latest", "1"), "reserved"),
                       (("delete", "nope"), "not found")]:
        out = run_cli(*url, *args)
        assert out.returncode == 1 and out.stderr.startswith("inferd registry: "), out
        assert text in out.stderr, out.stderr


def test_a_locked_database_answers_503_and_nothing_else_is_disturbed(three_versions,
                                                                     inferd_factory):
    server = inferd_factory(three_versions)
    register_all(server, three_versions)
    stage(server, 1, "Production")
    holder = sqlite3.connect(three_versions / DB_NAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    try:
        r = call(server, "POST", "/model-versions/transition-stage",
                 {"name": "logreg", "version": "2", "stage": "Production"})
        assert "locked" in mlflow_error(r, 503, "TEMPORARILY_UNAVAILABLE")
        # Reads and inference go on.
        assert ok(call(server, "GET", "/registered-models/get", name="logreg"))
        assert answer_version(server) == "1"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    stage(server, 2, "Production", archive=True)
    assert answer_version(server) == "2"


def test_a_corrupt_database_is_reported_and_the_models_keep_serving(three_versions,
                                                                    inferd_factory):
    (three_versions / DB_NAME).write_bytes(b"this is not a database " * 500)
    server = inferd_factory(three_versions)
    assert answer_version(server) == "3"  # the version policy serves
    r = call(server, "GET", "/registered-models/search")
    assert "corrupt" in mlflow_error(r, 503, "TEMPORARILY_UNAVAILABLE")
    r = call(server, "POST", "/registered-models/create", {"name": "logreg"})
    mlflow_error(r, 503, "TEMPORARILY_UNAVAILABLE")
    assert "the model registry is unavailable" in server.stderr()
    # Restoring the file (here: removing it) brings the registry back, no restart.
    (three_versions / DB_NAME).unlink()
    ok(call(server, "POST", "/registered-models/create", {"name": "logreg"}))
    assert answer_version(server) == "3"


def production_versions(db):
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return [v for (v,) in con.execute(
            "SELECT version FROM model_versions WHERE model='logreg' AND stage='Production'")]
    finally:
        con.close()


def test_kill_9_during_stage_transitions_leaves_a_consistent_registry(three_versions,
                                                                      inferd_factory):
    server = inferd_factory(three_versions)
    register_all(server, three_versions)
    stage(server, 1, "Production")
    stop = threading.Event()

    def flip():
        session = requests.Session()
        v = 1
        while not stop.is_set():
            v = 3 - v
            try:
                session.post(server.url(REG + "/model-versions/transition-stage"),
                             data=json.dumps({"name": "logreg", "version": str(v),
                                              "stage": "Production",
                                              "archive_existing_versions": True}), timeout=30)
            except requests.RequestException:
                return  # the server is gone

    flipper = threading.Thread(target=flip, daemon=True)
    flipper.start()
    time.sleep(random.uniform(0.5, 1.5))
    server.send_signal(signal.SIGKILL)
    server.proc.wait()
    server.stopped_rc = 0  # killed on purpose
    stop.set()
    flipper.join(timeout=30)

    production = production_versions(three_versions / DB_NAME)
    assert len(production) == 1, production  # the archive and the move were one transaction
    again = inferd_factory(three_versions)
    assert answer_version(again) == str(production[0])
    assert answer_version(again, version="Production") == str(production[0])
    latest = ok(call(again, "GET", "/registered-models/get-latest-versions", name="logreg",
                     stages="Production"))
    assert [v["version"] for v in latest["model_versions"]] == [str(production[0])]


class ClientNamespace:
    """A network namespace joined to this one by a veth pair, so a client runs
    from a real non-loopback address: 169.254.77.2 there, and the server is
    reached at 169.254.77.1 here (link-local addresses of our own two ends,
    nothing beyond this machine). The namespace belongs to a process made with
    `unshare --net`, entered with `nsenter -n`: unlike `ip netns exec`, neither
    touches mounts, so this works in a chroot too. Needs root, iproute2
    (scripts/setup.sh) and util-linux."""

    SERVER, CLIENT = "169.254.77.1", "169.254.77.2"

    def __init__(self):
        tag = f"{os.getpid() % 100000}"
        self.host_end, self.ns_end = f"infs{tag}", f"infc{tag}"
        self.holder = None

    def __enter__(self):
        try:
            self.holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "3600"])
            own = os.readlink("/proc/self/ns/net")
            wait_until(lambda: os.readlink(f"/proc/{self.holder.pid}/ns/net") != own, 10,
                       what="the client's network namespace")  # fmt: skip
            pid = str(self.holder.pid)
            inside = ["nsenter", "-t", pid, "-n"]
            for step in [
                ["ip", "link", "add", self.host_end, "type", "veth", "peer", "name", self.ns_end],
                ["ip", "link", "set", self.ns_end, "netns", pid],
                ["ip", "addr", "add", f"{self.SERVER}/30", "dev", self.host_end],
                ["ip", "link", "set", self.host_end, "up"],
                inside + ["ip", "addr", "add", f"{self.CLIENT}/30", "dev", self.ns_end],
                inside + ["ip", "link", "set", self.ns_end, "up"],
                inside + ["ip", "link", "set", "lo", "up"],
            ]:
                subprocess.run(step, check=True, capture_output=True, timeout=30)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "link", "del", self.host_end], capture_output=True, timeout=30,
                       check=False)  # fmt: skip
        if self.holder is not None:
            self.holder.kill()
            self.holder.wait(timeout=30)

    def post(self, url: str, body: bytes, method: str = "POST") -> tuple[int, str]:
        """Sends a request from inside the namespace; (status, body)."""
        program = (
            "import sys, urllib.request, urllib.error\n"
            "data = sys.stdin.buffer.read() or None\n"
            "req = urllib.request.Request(sys.argv[1], data=data, method=sys.argv[2],"
            " headers={'Content-Type': 'application/json'})\n"
            "try:\n    r = urllib.request.urlopen(req, timeout=60); print(r.status); print(r.read().decode())\n"
            "except urllib.error.HTTPError as e:\n    print(e.code); print(e.read().decode())\n")
        out = subprocess.run(["nsenter", "-t", str(self.holder.pid), "-n", sys.executable, "-c",
                              program, url, method],
                             input=body, capture_output=True, timeout=120, check=False)  # fmt: skip
        assert out.returncode == 0, f"the client in the namespace failed: {out.stderr.decode()[-2000:]}"
        status, _, text = out.stdout.decode().partition("\n")
        return int(status), text


def test_registry_changes_need_a_loopback_client_by_default(three_versions, inferd_factory):
    server = inferd_factory(three_versions, ["--max-body-bytes", "100000",
                                             "--http-address", "0.0.0.0"])  # fmt: skip
    with ClientNamespace() as client:
        remote = f"http://{client.SERVER}:{server.port}"
        status, text = client.post(remote + REG + "/registered-models/create",
                                   json.dumps({"name": "logreg"}).encode())  # fmt: skip
        assert status == 403 and json.loads(text)["error_code"] == "PERMISSION_DENIED", text
        status, text = client.post(f"{remote}{REG}/models/logreg/versions", b"x")
        assert status == 403 and json.loads(text)["error_code"] == "PERMISSION_DENIED", text
        # An upload-sized body changes nothing: they are refused on their headers,
        # before the body (past their --max-body-bytes) is read.
        onnx = (three_versions / "logreg/1/model.onnx").read_bytes()
        big = padded_onnx(onnx, 200_000)
        status, text = client.post(f"{remote}{REG}/models/logreg/versions", big)
        assert status == 403 and json.loads(text)["error_code"] == "PERMISSION_DENIED", text
        assert ok(upload(server, "logreg", big))["model_version"]["serving_state"] == "READY"
        status, text = client.post(remote + REG + "/registered-models/search", b"", "GET")
        assert status == 200, text  # reads stay open to every client
    ok(call(server, "POST", "/registered-models/create", {"name": "other"}))  # loopback


def test_two_servers_share_one_registry_under_concurrent_writers(three_versions,
                                                                 inferd_factory):
    watcher = inferd_factory(three_versions, ["--model-control-mode=poll",
                                              "--repository-poll-secs=0.2"])
    other = inferd_factory(three_versions)
    register_all(other, three_versions)
    stage(other, 2, "Production")
    # The polling server applies what another process wrote, within a poll or two.
    wait_until(lambda: answer_version(watcher) == "2", 30, what="the watcher follows")
    assert answer_version(watcher, version="Production") == "2"

    errors = []

    def flip(server, versions):
        session = requests.Session()
        for i in range(15):
            v = versions[i % len(versions)]
            r = session.post(server.url(REG + "/model-versions/transition-stage"),
                             data=json.dumps({"name": "logreg", "version": str(v),
                                              "stage": "Production",
                                              "archive_existing_versions": True}), timeout=60)
            if r.status_code not in (200, 503):  # 503: the other writer held the lock too long
                errors.append(r.text)

    writers = [threading.Thread(target=flip, args=(watcher, [1, 2])),
               threading.Thread(target=flip, args=(other, [3, 1]))]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=300)
    assert errors == []
    production = production_versions(three_versions / DB_NAME)
    assert len(production) == 1, production
    wait_until(lambda: answer_version(watcher) == str(production[0]), 30,
               what="the watcher serves the final Production version")


def test_mlflows_own_client_drives_the_registry(three_versions, inferd_factory):
    """MlflowClient, pointed at inferd as its registry URI, registers, promotes,
    aliases, searches and tags; what it does is what serves."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    server = inferd_factory(three_versions)
    client = MlflowClient(tracking_uri=server.base_url, registry_uri=server.base_url)
    client.create_registered_model("logreg", tags={"team": "risk"}, description="credit risk")
    for v in (1, 2):
        mv = client.create_model_version("logreg", source=str(three_versions / "logreg" / str(v)))
        assert mv.version == str(v) and mv.status == "READY"
    with pytest.warns(FutureWarning):  # stages are deprecated in MLflow 3, still served
        client.transition_model_version_stage("logreg", "2", "Production",
                                              archive_existing_versions=True)
    assert answer_version(server) == "2"
    client.set_registered_model_alias("logreg", "champion", "1")
    assert client.get_model_version_by_alias("logreg", "champion").version == "1"
    assert answer_version(server, "logreg@champion") == "1"
    with pytest.warns(FutureWarning):
        latest = client.get_latest_versions("logreg", stages=["Production"])
    assert [v.version for v in latest] == ["2"]
    assert [m.name for m in client.search_registered_models(filter_string="name LIKE 'log%'")] \
        == ["logreg"]
    assert sorted(v.version for v in client.search_model_versions("name='logreg'")) == ["1", "2"]
    client.set_model_version_tag("logreg", "1", "validated", "yes")
    client.update_model_version("logreg", "1", description="baseline")
    mv = client.get_model_version("logreg", "1")
    assert mv.tags == {"validated": "yes"} and mv.description == "baseline"
    assert mv.aliases == ["champion"]
    client.delete_registered_model_alias("logreg", "champion")
    assert answer_version(server, "logreg@champion").startswith("404")
    with pytest.raises(MlflowException, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model("nope")
    with pytest.raises(MlflowException, match="RESOURCE_ALREADY_EXISTS"):
        client.create_registered_model("logreg")


def test_uploads_may_exceed_the_body_limit_up_to_the_upload_limit(three_versions,
                                                                  inferd_factory):
    server = inferd_factory(three_versions, ["--max-body-bytes", "100000",
                                             "--max-upload-bytes", "1000000"])
    onnx = (three_versions / "logreg/1/model.onnx").read_bytes()
    mv = ok(upload(server, "logreg", padded_onnx(onnx, 500_000)))["model_version"]
    assert mv["serving_state"] == "READY" and answer_version(server) == "4"
    r = upload(server, "logreg", padded_onnx(onnx, 1_000_500))
    assert r.status_code == 413 and "1000000" in r.text, r.text
    # Any other route keeps --max-body-bytes.
    r = requests.post(server.url("/v2/models/logreg/infer"), data=b" " * 200_000, timeout=30)
    assert r.status_code == 413, r.text
    assert answer_version(server) == "4"


def test_a_production_version_that_fails_to_load_never_takes_the_default_traffic(
        three_versions, inferd_factory):
    server = inferd_factory(three_versions)
    register_all(server, three_versions)
    stage(server, 1, "Production")
    stage(server, 2, "Staging")
    broken = ok(upload(server, "logreg", b"\x08\x07\x3a\x04junk"))["model_version"]
    with ConstantLoad(server) as load:
        load.wait_for_version("1")
        failed = stage(server, broken["version"], "Production", archive=True)
        assert failed["serving_state"] == "UNAVAILABLE"
        # Version 1 keeps the default traffic and the Production label; not Staging's 2.
        assert answer_version(server) == "1"
        assert answer_version(server, version="Production") == "1"
        assert answer_version(server, version="Staging") == "2"
        status = ok(call(server, "GET", "/model-versions/get", name="logreg", version="1"))
        assert "kept serving" in status["model_version"]["serving_reason"]
        stage(server, 3, "Production", archive=True)  # a version that loads
        assert answer_version(server) == "3"
        load.wait_for_version("3")
    assert load.failures() == [], load.failures()[:5]


def test_a_database_locked_at_start_is_still_applied(three_versions, inferd_factory):
    server = inferd_factory(three_versions)
    register_all(server, three_versions)
    stage(server, 1, "Production")
    assert server.stop() == 0
    holder = sqlite3.connect(three_versions / DB_NAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        again = inferd_factory(three_versions, ["--repository-poll-secs", "0.2"])
        assert answer_version(again) == "1"  # read while another writer holds the lock
        r = call(again, "POST", "/model-versions/transition-stage",
                 {"name": "logreg", "version": "2", "stage": "Production"})
        mlflow_error(r, 503, "TEMPORARILY_UNAVAILABLE")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # Another process's change reaches a server in none mode within a poll interval.
    writer = sqlite3.connect(three_versions / DB_NAME, isolation_level=None)
    writer.execute("UPDATE model_versions SET stage='Archived' WHERE model='logreg' AND version=1")
    writer.execute("UPDATE model_versions SET stage='Production' WHERE model='logreg' AND version=2")
    writer.close()
    wait_until(lambda: answer_version(again) == "2", 30, what="the external change applied")
