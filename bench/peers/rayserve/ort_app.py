"""A Ray Serve application that runs ONNX models with onnxruntime.

Ray Serve has no model format of its own: its documentation serves a model as a
`@serve.deployment` class that loads it in `__init__` and answers HTTP in
`async def __call__(self, request)` (a Starlette request; a returned dict goes
back as JSON). One deployment holds every model, as the other peers' services
do; `POST /<model> {"instances": [...]}` runs one (`GET /<model>` says it is
there). launch.py deploys it with
one replica per core, and each session runs `BENCH_ORT_THREADS` intra-op
threads; answers are peers/ort_answer.py's.
"""
from __future__ import annotations

import json
import os
from typing import Any

import onnxruntime as ort
from ort_answer import run_rows
from ray import serve
from starlette.requests import Request
from starlette.responses import JSONResponse


@serve.deployment
class OrtModels:
    def __init__(self) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(os.environ.get("BENCH_ORT_THREADS", "1"))
        options.inter_op_num_threads = 1
        models: dict[str, str] = json.loads(os.environ.get("BENCH_MODELS", "{}"))
        self.sessions = {name: ort.InferenceSession(path, options,
                                                    providers=["CPUExecutionProvider"])
                         for name, path in models.items()}

    async def __call__(self, request: Request) -> Any:
        name = request.url.path.strip("/")
        session = self.sessions.get(name)
        if session is None:
            return JSONResponse({"error": f"no model at {request.url.path}"}, status_code=404)
        if request.method == "GET":  # launch.py's readiness check, through the ingress
            return {"model": name}
        body = await request.json()
        return run_rows(session, body["instances"])
