"""What every converter produces, and the ONNX settings the server loads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# The opsets and IR version that the server's ONNX Runtime and every converter
# here support: opset 17 (ai.onnx.ml 3), IR 8. onnxmltools writes tree
# ensembles at opset 15.
ONNX_OPSET = 17
ML_OPSET = 3
IR_VERSION = 8
BOOSTER_OPSET = 15

# (name, array) pairs: the original model's outputs, in the converted model's
# output order.
Outputs = list[tuple[str, np.ndarray]]


@dataclass
class Converted:
    """A converted model and how to get the same outputs from the original.

    reference(features) runs the original model on sample features;
    feeds(features) makes the converted model's inputs from the same rows."""

    onnx: Any  # onnx.ModelProto
    framework: str
    reference: Callable[[Any], Outputs]
    feeds: Callable[[Any], dict[str, np.ndarray]]


def normalize_opsets(model: Any) -> Any:
    """One opset entry per domain (the highest) and the IR version the server
    reads; some converters import the default domain twice."""
    from onnx import helper

    versions: dict[str, int] = {}
    for op in model.opset_import:
        versions[op.domain] = max(op.version, versions.get(op.domain, 0))
    del model.opset_import[:]
    for domain, version in sorted(versions.items()):
        model.opset_import.append(helper.make_opsetid(domain, version))
    model.ir_version = IR_VERSION
    model.producer_name = "inferd-convert"
    return model


def single_input_feeds(
    name: str, dtype: Any = np.float32
) -> Callable[[Any], dict[str, np.ndarray]]:
    """Feeds for a model with one 2-D input that takes every column."""

    def feeds(features: Any) -> dict[str, np.ndarray]:
        values = features.to_numpy() if hasattr(features, "to_numpy") else np.asarray(features)
        return {name: values.astype(dtype)}

    return feeds


def column_feeds(columns: list[tuple[str, Any]]) -> Callable[[Any], dict[str, np.ndarray]]:
    """Feeds for a model with one [N, 1] input per DataFrame column."""

    def feeds(features: Any) -> dict[str, np.ndarray]:
        out = {}
        for name, dtype in columns:
            column = features[name].to_numpy(dtype=object if dtype is str else None)
            if dtype is str:
                out[name] = column.astype(str).astype(object).reshape(-1, 1)
            else:
                out[name] = column.astype(dtype).reshape(-1, 1)
        return out

    return feeds


def predictions_of(estimator: Any, features: Any, classifier: bool) -> Outputs:
    """A scikit-learn-style estimator's outputs as its ONNX form orders them:
    label then probabilities (or decision scores) for classifiers, the
    prediction for regressors, the transform for transformers."""
    if classifier:
        label = np.asarray(estimator.predict(features))
        if hasattr(estimator, "predict_proba"):
            try:
                return [
                    ("label", label),
                    (
                        "probabilities",
                        np.asarray(estimator.predict_proba(features), dtype=np.float64),
                    ),
                ]
            except AttributeError:  # SVC(probability=False) has the method but refuses
                pass
        return [("label", label), ("scores", np.asarray(estimator.decision_function(features)))]
    if hasattr(estimator, "predict"):
        out = np.asarray(estimator.predict(features), dtype=np.float64)
        return [("variable", out.reshape(len(out), -1))]
    return [("variable", np.asarray(estimator.transform(features), dtype=np.float64))]


def rename_tensor(model: Any, old: str, new: str) -> None:
    """Rename a graph input or output (and every use of it) in place."""
    if old == new:
        return
    graph = model.graph
    for value in [*graph.input, *graph.output, *graph.value_info]:
        if value.name == old:
            value.name = new
    for node in graph.node:
        node.input[:] = [new if n == old else n for n in node.input]
        node.output[:] = [new if n == old else n for n in node.output]
