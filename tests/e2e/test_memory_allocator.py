"""The malloc inferd runs on. The release build links jemalloc (glibc's
allocator cost a quarter of the server's CPU on large batches); the start line
says which allocator served a malloc, as the allocator itself counts it. The
sanitizer build keeps ASan's."""
from __future__ import annotations

import json
from pathlib import Path

from e2e_lib import UNDER_SANITIZER


def start_line(stderr: str) -> dict:
    for line in stderr.splitlines():
        if line.startswith("{") and json.loads(line).get("msg") == "starting":
            return json.loads(line)
    raise AssertionError(f"no start line in {stderr[:2000]}")


def test_the_start_line_names_the_allocator_that_serves_malloc(example_repo, inferd_factory):
    srv = inferd_factory(example_repo)  # logs in JSON
    allocator = start_line(srv.stderr())["memory_allocator"]
    mapped = Path(f"/proc/{srv.proc.pid}/maps").read_text()
    if UNDER_SANITIZER:
        assert allocator == "system", allocator
        assert "libjemalloc" not in mapped
    else:
        assert allocator.startswith("jemalloc 5."), allocator
        assert "libjemalloc" in mapped
