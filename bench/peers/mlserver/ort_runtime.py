"""An MLServer runtime that runs an ONNX model with onnxruntime.

MLServer publishes no ONNX runtime (there is no mlserver-onnx on PyPI), and its
documentation's answer for any other framework is a custom runtime: an MLModel
subclass named in model-settings.json's "implementation". This is that runtime,
so MLServer serves the same ONNX files as inferd and P2. A classifier's ZipMap
output (a list of {class: probability}) becomes an [N, classes] FP32 tensor, the
way inferd answers it, since MLServer's codecs only encode tensors.
"""
from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse
from mlserver.utils import get_model_uri


class OrtModel(MLModel):
    async def load(self) -> bool:
        options = ort.SessionOptions()
        # One thread a worker: MLServer's parallel workers are one per core.
        options.intra_op_num_threads = int(os.environ.get("BENCH_ORT_THREADS", "1"))
        options.inter_op_num_threads = 1
        path = await get_model_uri(self._settings)
        self._session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self._output_names = [o.name for o in self._session.get_outputs()]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = {i.name: NumpyCodec.decode_input(i) for i in payload.inputs}
        values = self._session.run(None, feeds)
        outputs = []
        for name, value in zip(self._output_names, values):
            if isinstance(value, list):  # ZipMap
                classes = sorted(value[0]) if value else []
                value = np.array([[row[c] for c in classes] for row in value], np.float32)
            outputs.append(NumpyCodec.encode_output(name, value))
        return InferenceResponse(model_name=self.name, model_version=self.version,
                                 outputs=outputs)
