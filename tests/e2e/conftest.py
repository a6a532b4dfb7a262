"""Fixtures for inferd's end-to-end tests.

Environment:
  INFERD_BIN              server binary (default: <repo>/build/inferd)
  INFERD_EXAMPLE_REPO     use this model repository instead of building one
  INFERD_STARTUP_TIMEOUT  seconds to wait for /v2/health/ready (default 30)
  INFERD_STOP_TIMEOUT     seconds to wait for exit after SIGTERM (default 30)
  INFERD_SOAK_SECONDS     duration of the concurrency soak (default 20)
  INFERD_TIME_SCALE       multiplies every wait_until deadline (make asan-test: 3)
  INFERD_SANITIZER        set for the ASan+UBSan binary: memory measurements are skipped
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from e2e_lib import InferdServer, OrtReference, mem


@pytest.fixture(scope="session")
def example_repo(tmp_path_factory) -> Path:
    """The example model repository (built once per session unless given)."""
    given = os.environ.get("INFERD_EXAMPLE_REPO")
    if given:
        return Path(given)
    return mem.build_repository(tmp_path_factory.mktemp("example_repo"))


@pytest.fixture(scope="session")
def server(example_repo, tmp_path_factory):
    """The shared server over the example repository; must exit 0 on SIGTERM."""
    srv = InferdServer(example_repo, tmp_path_factory.mktemp("inferd_logs"), name="main")
    try:
        srv.start(wait_for="ready")
    except BaseException:
        if srv.proc is not None:
            srv.stop(timeout_s=5)
        raise
    yield srv
    died = not srv.alive()
    rc = srv.stop()
    if died or rc != 0:
        sys.stderr.write(srv.describe(tail=20000) + "\n")
    assert not died, f"inferd died during the test session (rc={rc})\n{srv.describe()}"
    assert rc == 0, f"inferd exited {rc} after SIGTERM\n{srv.describe()}"


@pytest.fixture(scope="session")
def base_url(server) -> str:
    return server.base_url


@pytest.fixture(autouse=True)
def _main_server_survives(request):
    """After every test that used the shared server, it must still be running,
    so a crash is blamed on the test that caused it."""
    yield
    if "server" in request.fixturenames:
        srv = request.getfixturevalue("server")
        assert srv.alive(), f"inferd died during this test\n{srv.describe()}"


@pytest.fixture
def inferd_factory(tmp_path):
    """start(repo, extra_args=(), wait_for="ready"|"live"|None) -> InferdServer.

    Every server started here is stopped with SIGTERM at teardown and must exit 0
    (a test may stop one itself first; stop() is idempotent)."""
    started = []

    def start(repo, extra_args=(), wait_for="ready"):
        srv = InferdServer(repo, tmp_path / "logs", extra_args, name=f"extra{len(started)}")
        try:
            srv.start(wait_for=wait_for)
        except BaseException:
            if srv.proc is not None:
                srv.stop(timeout_s=5)
            raise
        started.append(srv)
        return srv

    yield start
    problems = []
    for srv in started:
        rc = srv.stop()
        if rc != 0:
            problems.append(f"{srv.name} exited {rc}\n{srv.describe()}")
    assert not problems, "\n\n".join(problems)


@pytest.fixture(scope="session")
def ort_ref(example_repo):
    """ort_ref(model_name) -> OrtReference for the repository's version 1."""
    cache = {}

    def get(name: str) -> OrtReference:
        if name not in cache:
            cache[name] = OrtReference(mem.model_path(example_repo, name))
        return cache[name]

    return get
