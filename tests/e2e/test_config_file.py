"""`inferd serve --config FILE`, INFERD_* variables and flags: the same settings
from three places, with flag > env > file > default, and errors that name their line."""
from __future__ import annotations

import os
import subprocess

import requests
from e2e_lib import INFERD_BIN, REPO_ROOT, copy_models


def serve(args, env=None, timeout=60):
    return subprocess.run([str(INFERD_BIN), "serve", *args], check=False, capture_output=True,
                          text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def test_precedence_is_flag_then_env_then_file(tmp_path):
    cfg = tmp_path / "inferd.yaml"
    cfg.write_text(f"model-repository: {tmp_path}\nhttp-port: 9001\ngrpc-port: 9002\n"
                   "rate_limit: 5\njwt:\n  issuer: https://issuer\n  audience: [a, b]\n")
    out = serve(["--config", str(cfg), "--grpc-port", "7", "--print-config"],
                env={"INFERD_HTTP_PORT": "9100", "INFERD_GRPC_PORT": "9200"})
    assert out.returncode == 0, out.stderr
    lines = {line.split(":")[0]: line for line in out.stdout.splitlines()}
    assert lines["http-port"].startswith("http-port: 9100") and "env INFERD_HTTP_PORT" in \
        lines["http-port"]
    assert lines["grpc-port"].startswith("grpc-port: 7") and "# flag" in lines["grpc-port"]
    assert "rate-limit: 5" in lines["rate-limit"] and "inferd.yaml:4" in lines["rate-limit"]
    assert "jwt-audience: [a, b]" in lines["jwt-audience"]
    assert "# default" in lines["log-format"]


def test_unknown_keys_and_bad_values_name_their_line(tmp_path):
    cfg = tmp_path / "inferd.yaml"
    cfg.write_text(f"model-repository: {tmp_path}\nhttp-prot: 9001\n")
    out = serve(["--config", str(cfg)])
    assert out.returncode != 0
    assert "line 2" in out.stderr and "http-prot" in out.stderr and "http-port" in out.stderr
    cfg.write_text(f"model-repository: {tmp_path}\nhttp-port: [1\n")
    out = serve(["--config", str(cfg)])
    assert out.returncode != 0 and "inferd.yaml:" in out.stderr


def test_a_config_file_turns_on_authentication(tmp_path, example_repo, inferd_factory):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    db = tmp_path / "keys.db"
    key = subprocess.run([str(INFERD_BIN), "keys", "create", "--db", str(db), "--name", "t",
                          "--roles", "read"], capture_output=True, text=True,
                         check=True).stdout.strip()
    cfg = tmp_path / "inferd.yaml"
    cfg.write_text(f"api-keys: true\nkeys-db: {db}\nprotect-metrics: true\n")
    srv = inferd_factory(repo, ["--config", str(cfg)])
    assert requests.get(srv.url("/v2/models/logreg"), timeout=10).status_code == 401
    assert requests.get(srv.url("/metrics"), timeout=10).status_code == 401
    ok = requests.get(srv.url("/v2/models/logreg"), headers={"X-API-Key": key}, timeout=10)
    assert ok.status_code == 200


def test_the_example_file_loads(tmp_path):
    out = serve(["--config", str(REPO_ROOT / "inferd.example.yaml"), "--model-repository",
                 str(tmp_path), "--print-config"])
    assert out.returncode == 0, out.stderr
