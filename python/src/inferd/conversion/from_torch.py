"""PyTorch modules (and TorchScript) with torch.onnx.export, batch dimension
dynamic."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from .common import ONNX_OPSET, Converted, normalize_opsets


def is_torch(model: Any) -> bool:
    return any(c.__module__.startswith("torch.") for c in type(model).__mro__)


def convert_torch(
    model: Any, features: Any | None, input_shape: list[int] | None = None
) -> Converted:
    """Trace the module with one sample row (or zeros of input_shape, batch
    first) and export it as input "input" -> "output" (output_0, output_1, ...
    for several)."""
    import torch

    if features is not None:
        example = np.asarray(
            features[:1] if not hasattr(features, "to_numpy") else features.to_numpy()[:1],
            dtype=np.float32,
        )
    elif input_shape:
        example = np.zeros([1, *input_shape[1:]], dtype=np.float32)
    else:
        raise ValueError("a PyTorch model needs a sample or --input-shape to be traced")
    model.eval()
    with torch.no_grad():
        probe = model(torch.from_numpy(example))
    n_out = len(probe) if isinstance(probe, (tuple, list)) else 1
    outputs = ["output"] if n_out == 1 else [f"output_{i}" for i in range(n_out)]
    buffer = io.BytesIO()
    axes = {name: {0: "batch"} for name in ["input", *outputs]}
    torch.onnx.export(
        model,
        (torch.from_numpy(example),),
        buffer,
        input_names=["input"],
        output_names=outputs,
        dynamic_axes=axes,
        opset_version=ONNX_OPSET,
        dynamo=False,
    )
    import onnx

    onnx_model = onnx.load_from_string(buffer.getvalue())

    def reference(x: Any) -> list[tuple[str, np.ndarray]]:
        values = np.asarray(x.to_numpy() if hasattr(x, "to_numpy") else x, dtype=np.float32)
        with torch.no_grad():
            out = model(torch.from_numpy(values))
        items = out if isinstance(out, (tuple, list)) else [out]
        return [(name, t.detach().cpu().numpy()) for name, t in zip(outputs, items, strict=False)]

    def feeds(x: Any) -> dict[str, np.ndarray]:
        return {
            "input": np.asarray(x.to_numpy() if hasattr(x, "to_numpy") else x, dtype=np.float32)
        }

    return Converted(normalize_opsets(onnx_model), "pytorch", reference, feeds)
