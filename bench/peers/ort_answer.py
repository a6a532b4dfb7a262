"""One ONNX Runtime call answered the way the benchmark's JSON peers answer it:
{output name: nested lists}, a classifier's ZipMap output (a list of
{class: probability}) as an [N, classes] list, the way inferd answers it.

Shared by the peers whose services are plain Python (BentoML's service, Ray
Serve's deployment); needs only numpy and onnxruntime, which every peer venv has.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import onnxruntime as ort


def run_rows(session: ort.InferenceSession, instances: Any) -> dict[str, Any]:
    """`instances` (an array or nested lists) as the session's one FP32 input."""
    feed = {session.get_inputs()[0].name: np.asarray(instances, dtype=np.float32)}
    answer: dict[str, Any] = {}
    for meta, value in zip(session.get_outputs(), session.run(None, feed)):
        if isinstance(value, list):  # ZipMap
            classes = sorted(value[0]) if value else []
            value = [[row[c] for c in classes] for row in value]
        else:
            value = value.tolist()
        answer[meta.name] = value
    return answer
