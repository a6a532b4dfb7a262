"""scikit-learn estimators and pipelines (ColumnTransformer with string
columns included) with skl2onnx."""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import (
    ML_OPSET,
    ONNX_OPSET,
    Converted,
    column_feeds,
    normalize_opsets,
    predictions_of,
    single_input_feeds,
)


def is_sklearn(model: Any) -> bool:
    return any(c.__module__.startswith("sklearn.") for c in type(model).__mro__)


def _has_column_transformer(model: Any) -> bool:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if isinstance(model, ColumnTransformer):
        return True
    if isinstance(model, Pipeline):
        return any(_has_column_transformer(step) for _, step in model.steps)
    return False


def _kind(column: Any) -> str:
    """integer, number (floats and bools) or string, for numpy and pandas'
    extension dtypes (category, string, Int64, boolean) alike."""
    import pandas as pd

    types = pd.api.types
    if types.is_bool_dtype(column):
        return "number"
    if types.is_integer_dtype(column):
        return "integer"
    if types.is_numeric_dtype(column):
        return "number"
    return "string"


def convert_sklearn(model: Any, features: Any | None) -> Converted:
    """Convert; the sample's columns (or n_features_in_) give the inputs: one
    float input of every column, or, for pipelines with a ColumnTransformer or
    non-numeric columns, one [N, 1] input per column."""
    from skl2onnx import convert_sklearn as to_onnx
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType
    from sklearn.base import is_classifier

    per_column = (
        features is not None
        and hasattr(features, "columns")
        and (
            _has_column_transformer(model)
            or any(_kind(features[c]) == "string" for c in features.columns)
        )
    )
    if per_column:
        initial: list[tuple[str, Any]] = []
        columns: list[tuple[str, Any]] = []
        assert features is not None
        for name in features.columns:
            kind = _kind(features[name])
            if kind == "integer":
                initial.append((str(name), Int64TensorType([None, 1])))
                columns.append((str(name), np.int64))
            elif kind == "number":
                initial.append((str(name), FloatTensorType([None, 1])))
                columns.append((str(name), np.float32))
            else:
                initial.append((str(name), StringTensorType([None, 1])))
                columns.append((str(name), str))
        feeds = column_feeds(columns)
    else:
        n = features.shape[1] if features is not None else getattr(model, "n_features_in_", None)
        if n is None:
            raise ValueError("the estimator does not say how many features it takes: pass a sample")
        initial = [("input", FloatTensorType([None, int(n)]))]
        feeds = single_input_feeds("input")
    classifier = is_classifier(model)
    options = {id(model): {"zipmap": False}} if classifier else None
    onnx_model = to_onnx(
        model,
        initial_types=initial,
        options=options,
        target_opset={"": ONNX_OPSET, "ai.onnx.ml": ML_OPSET},
    )
    return Converted(
        normalize_opsets(onnx_model),
        "scikit-learn",
        lambda x: predictions_of(model, x, classifier),
        feeds,
    )
