"""A BentoML service that runs ONNX models with onnxruntime.

BentoML 1.4 has no ONNX runner of its own any more; its documentation's way to
serve any framework is a `@bentoml.service` class that loads the model in
`__init__` and answers through `@bentoml.api` methods with typed parameters,
which BentoML validates and converts (here a numpy array from a JSON list).
`BENCH_MODELS` maps model names to ONNX files, `BENCH_WORKERS` is the number of
worker processes (one per core) and each session runs one ONNX Runtime thread.
Answers are peers/ort_answer.py's (servers.bentoml() puts peers/ on PYTHONPATH).
"""
from __future__ import annotations

import json
import os
from typing import Any

import bentoml
import numpy as np
import onnxruntime as ort
from ort_answer import run_rows

MODELS: dict[str, str] = json.loads(os.environ.get("BENCH_MODELS", "{}"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))
THREADS = int(os.environ.get("BENCH_ORT_THREADS", "1"))


# Access logs off, as for every server in the benchmark.
@bentoml.service(workers=WORKERS, traffic={"timeout": 60}, logging={"access": {"enabled": False}})
class OrtService:
    def __init__(self) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = THREADS
        options.inter_op_num_threads = 1
        self.sessions = {name: ort.InferenceSession(path, options,
                                                    providers=["CPUExecutionProvider"])
                         for name, path in MODELS.items()}

    @bentoml.api
    def predict(self, model: str, instances: np.ndarray) -> dict[str, Any]:
        session = self.sessions.get(model)
        if session is None:
            raise bentoml.exceptions.NotFound(f"no model '{model}'")
        return run_rows(session, instances)
