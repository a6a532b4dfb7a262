"""A TorchServe handler that runs an ONNX model with onnxruntime.

TorchServe's documented way to serve a framework it has no handler for is a
custom handler: a class with `initialize(context)`, which loads the model file
the archive names, and `handle(data, context)`, which answers a list of
requests (several when server-side batching is on) with one answer each.
TorchServe turns an `application/json` body into a Python object. It would
write a dict answer as JSON indented by 2 spaces; the handler writes compact
JSON itself and says so in the content type, as a handler may. The body here is
`{"instances": [[...], ...]}`; a classifier's ZipMap output (a list of
{class: probability}) becomes an [N, classes] list, the way inferd answers it.
`BENCH_ORT_THREADS` is ONNX Runtime's thread count in each worker (one:
TorchServe runs a worker per core).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort


class OrtHandler:
    def __init__(self) -> None:
        self.session: ort.InferenceSession | None = None
        self.input_name = ""
        self.output_names: list[str] = []

    def initialize(self, context: Any) -> None:
        model_dir = Path(context.system_properties["model_dir"])
        model_file = model_dir / context.manifest["model"]["serializedFile"]
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(os.environ.get("BENCH_ORT_THREADS", "1"))
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_file), options,
                                            providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]

    def handle(self, data: list[dict], context: Any) -> list[str]:
        answers = []
        for index, request in enumerate(data):
            context.set_response_content_type(index, "application/json")
            answers.append(json.dumps(self._answer(request, context, index),
                                      separators=(",", ":")))
        return answers

    def _answer(self, request: dict, context: Any, index: int) -> dict:
        body = request.get("body") if request.get("body") is not None else request.get("data")
        if not isinstance(body, dict) or not isinstance(body.get("instances"), list):
            context.set_response_status(400, "Bad Request", idx=index)
            return {"error": 'the body must be {"instances": [[...], ...]}'}
        rows = np.asarray(body["instances"], dtype=np.float32)
        answer: dict[str, Any] = {}
        for name, value in zip(self.output_names,
                               self.session.run(None, {self.input_name: rows})):
            if isinstance(value, list):  # ZipMap
                classes = sorted(value[0]) if value else []
                value = [[row[c] for c in classes] for row in value]
            else:
                value = value.tolist()
            answer[name] = value
        return answer
