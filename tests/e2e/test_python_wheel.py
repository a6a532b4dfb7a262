"""The wheel `make` builds, installed with pip into a fresh virtual
environment (numpy and httpx from the registry, nothing else): the client
works against the real server, `python -m inferd` answers, and a command
whose framework is missing says which extra to install."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

WHEELS = sorted((Path(__file__).resolve().parents[2] / "build" / "python" / "dist")
                .glob("inferd-*.whl"))


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory) -> Path:
    if not WHEELS:
        pytest.fail("no wheel in build/python/dist: run make python-wheel")
    venv = tmp_path_factory.mktemp("wheel") / "venv"
    # Not this process's PYTHONPATH (the tests import the toolkit from there):
    # pip would take the package as installed already.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                    str(WHEELS[-1])], check=True, timeout=600, env=env)
    return venv


def run(venv: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "python"), *args], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin"})


def test_only_numpy_and_httpx_come_with_it(fresh_venv):
    listed = run(fresh_venv, "-m", "pip", "list", "--format=freeze").stdout.lower()
    names = {line.split("==")[0] for line in listed.splitlines()}
    assert {"inferd", "numpy", "httpx"} <= names
    assert not names & {"onnx", "onnxruntime", "scikit-learn", "grpcio", "pandas", "torch"}


def test_client_from_the_installed_wheel(fresh_venv, server):
    script = textwrap.dedent(f"""
        import numpy as np, inferd
        c = inferd.Client("{server.base_url}")
        assert c.is_ready()
        x = np.random.default_rng(0).random((3, 30))
        print(c.predict("logreg", x, outputs=["output_label"]).tolist())
    """)
    done = run(fresh_venv, "-c", script)
    assert done.returncode == 0, done.stderr
    assert len(eval(done.stdout)) == 3


def test_commands_say_which_extra_is_missing(fresh_venv, tmp_path):
    helped = run(fresh_venv, "-m", "inferd", "--help")
    assert helped.returncode == 0 and "convert" in helped.stdout
    model = tmp_path / "m.joblib"
    model.write_bytes(b"x")
    done = run(fresh_venv, "-m", "inferd", "convert", str(model), "--output", "m.onnx")
    assert done.returncode == 1
    assert "pip install 'inferd[sklearn]'" in done.stderr, done.stderr
