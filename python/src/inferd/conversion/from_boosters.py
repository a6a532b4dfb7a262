"""XGBoost and LightGBM (their scikit-learn estimators) with onnxmltools."""

from __future__ import annotations

import copy
from typing import Any

from .common import BOOSTER_OPSET, Converted, normalize_opsets, predictions_of, single_input_feeds


def framework_of(model: Any) -> str | None:
    modules = {c.__module__.split(".")[0] for c in type(model).__mro__}
    if "xgboost" in modules:
        return "xgboost"
    if "lightgbm" in modules:
        return "lightgbm"
    return None


def convert_booster(model: Any, features: Any | None) -> Converted:
    """One float input "input" of every feature; classifiers answer label and
    probabilities as tensors (no ZipMap)."""
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType
    from sklearn.base import is_classifier

    framework = framework_of(model) or "booster"
    n = features.shape[1] if features is not None else getattr(model, "n_features_in_", None)
    if n is None:
        raise ValueError(
            f"the {framework} model does not say how many features it takes: pass a sample"
        )
    initial = [("input", FloatTensorType([None, int(n)]))]
    if framework == "xgboost":
        # onnxmltools reads features as f0, f1, ...: a model trained on a
        # DataFrame names them by column, so convert a copy without names.
        source = copy.deepcopy(model)
        source.get_booster().feature_names = None
        onnx_model = onnxmltools.convert_xgboost(
            source, initial_types=initial, target_opset=BOOSTER_OPSET
        )
    else:
        onnx_model = onnxmltools.convert_lightgbm(
            model, initial_types=initial, target_opset=BOOSTER_OPSET, zipmap=False
        )
    classifier = is_classifier(model)

    def reference(x: Any) -> Any:
        # The original sees the sample as it was trained (DataFrame or array).
        return predictions_of(model, x, classifier)

    return Converted(
        normalize_opsets(onnx_model), framework, reference, single_input_feeds("input")
    )
