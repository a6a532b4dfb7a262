"""TensorFlow/Keras models with tf2onnx, batch dimension dynamic."""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import ONNX_OPSET, Converted, normalize_opsets, rename_tensor


def is_keras(model: Any) -> bool:
    return any(
        c.__module__.split(".")[0] in ("keras", "tensorflow", "tf_keras")
        for c in type(model).__mro__
    )


def convert_keras(
    model: Any, features: Any | None, input_shape: list[int] | None = None
) -> Converted:
    """One float input "input" of the model's shape (batch dynamic)."""
    import tensorflow as tf
    import tf2onnx

    if features is not None:
        shape = list(np.asarray(features[:1]).shape[1:])
    elif input_shape:
        shape = list(input_shape[1:])
    else:
        shape = [int(d) for d in model.inputs[0].shape[1:]]
    signature = (tf.TensorSpec([None, *shape], tf.float32, name="input"),)
    # Through a tf.function, not tf2onnx.convert.from_keras: that reads
    # Keras 2's graph internals and fails on Keras 3 models.
    function = tf.function(lambda x: model(x, training=False), input_signature=signature)
    onnx_model, _ = tf2onnx.convert.from_function(
        function, input_signature=signature, opset=ONNX_OPSET
    )
    # tf2onnx names tensors after TensorFlow's ("Identity:0"): use the names
    # the PyTorch exporter gets, input -> output (output_0, output_1, ...).
    rename_tensor(onnx_model, onnx_model.graph.input[0].name, "input")
    outputs = list(onnx_model.graph.output)
    for i, out in enumerate(outputs):
        rename_tensor(onnx_model, out.name, "output" if len(outputs) == 1 else f"output_{i}")
    names = [o.name for o in onnx_model.graph.output]

    def reference(x: Any) -> list[tuple[str, np.ndarray]]:
        out = model(np.asarray(x, dtype=np.float32), training=False)
        items = out if isinstance(out, (tuple, list)) else [out]
        return [(name, np.asarray(t)) for name, t in zip(names, items, strict=False)]

    def feeds(x: Any) -> dict[str, np.ndarray]:
        return {onnx_model.graph.input[0].name: np.asarray(x, dtype=np.float32)}

    return Converted(normalize_opsets(onnx_model), "tensorflow", reference, feeds)
