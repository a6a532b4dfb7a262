"""`inferd convert`: a trained model to ONNX that the server loads, checked
against the original on sample rows.

    from inferd import convert
    result = convert(pipeline, sample=X, repo="models", name="churn")
    print(result.comparison.table())
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..compare import Comparison, compare_outputs
from ..errors import InferdError
from ..progress import Progress
from .common import Converted


class ConversionMismatch(InferdError):
    """The converted model's outputs differ from the original's beyond the
    tolerance; .comparison says where."""

    def __init__(self, comparison: Comparison) -> None:
        super().__init__(0, "the converted model differs from the original:\n" + comparison.table())
        self.comparison = comparison


@dataclass
class Conversion:
    """The ONNX model, the framework it came from, the check on the sample (None
    without one) and, once written, its path in the repository."""

    onnx: Any  # onnx.ModelProto
    framework: str
    comparison: Comparison | None
    path: Path | None = None


def convert_model(
    model: Any, features: Any | None = None, input_shape: list[int] | None = None
) -> Converted:
    """The converter for the model's framework."""
    from .from_boosters import framework_of
    from .from_keras import is_keras
    from .from_sklearn import is_sklearn
    from .from_torch import is_torch

    if framework_of(model):
        from .from_boosters import convert_booster

        return convert_booster(model, features)
    if is_sklearn(model):
        from .from_sklearn import convert_sklearn

        return convert_sklearn(model, features)
    if is_torch(model):
        from .from_torch import convert_torch

        return convert_torch(model, features, input_shape)
    if is_keras(model):
        from .from_keras import convert_keras

        return convert_keras(model, features, input_shape)
    raise InferdError(
        0,
        f"cannot convert a {type(model).__module__}.{type(model).__name__}: "
        "expected scikit-learn, XGBoost, LightGBM, PyTorch or Keras",
    )


def reference_outputs(model: Any, features: Any) -> list[tuple[str, np.ndarray]]:
    """The original model's outputs on sample rows, in the order its ONNX form
    answers them, without converting it (for verify)."""
    from .common import predictions_of
    from .from_boosters import framework_of
    from .from_keras import is_keras
    from .from_sklearn import is_sklearn
    from .from_torch import is_torch

    if framework_of(model) or is_sklearn(model):
        from sklearn.base import is_classifier

        return predictions_of(model, features, is_classifier(model))
    values = np.asarray(
        features.to_numpy() if hasattr(features, "to_numpy") else features, dtype=np.float32
    )
    if is_torch(model):
        import torch

        model.eval()
        with torch.no_grad():
            out = model(torch.from_numpy(values))
        items = out if isinstance(out, (tuple, list)) else [out]
        return [
            (_output_name(i, len(items)), t.detach().cpu().numpy()) for i, t in enumerate(items)
        ]
    if is_keras(model):
        out = model(values, training=False)
        items = out if isinstance(out, (tuple, list)) else [out]
        return [(_output_name(i, len(items)), np.asarray(t)) for i, t in enumerate(items)]
    raise InferdError(0, f"cannot run a {type(model).__module__}.{type(model).__name__}")


def _output_name(i: int, count: int) -> str:
    """The exporters' names: output, or output_0, output_1, ... for several."""
    return "output" if count == 1 else f"output_{i}"


def run_onnx(onnx_model: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Run a model in-process with ONNX Runtime, as the server would."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(
        onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return [np.asarray(o) for o in session.run(None, feeds)]


def convert(
    model: Any,
    *,
    sample: Any = None,
    repo: str | Path | None = None,
    name: str | None = None,
    version: int | None = None,
    input_shape: list[int] | None = None,
    atol: float = 1e-4,
    rtol: float = 1e-4,
    min_agreement: float = 1.0,
    check: bool = True,
    progress: bool = False,
) -> Conversion:
    """Convert a model to ONNX. With sample rows (array or DataFrame), run the
    original and the converted model on them and raise ConversionMismatch when
    an output differs beyond atol + rtol x |original| (or labels agree on fewer
    than min_agreement of the rows). With repo and name, write
    <repo>/<name>/<version>/model.onnx (version: one past the highest there).
    progress draws the steps on a terminal."""
    bar = Progress("convert", enabled=progress, rate=False)
    steps = 4 if sample is not None and check else 1
    try:
        bar.update(0, steps, "converting")
        converted = convert_model(model, sample, input_shape)
        bar.update(1, steps, "converted")
        comparison = None
        if sample is not None and check:
            comparison = check_conversion(
                converted, sample, atol=atol, rtol=rtol, min_agreement=min_agreement, bar=bar
            )
            if not comparison.passed:
                raise ConversionMismatch(comparison)
    finally:
        bar.close()
    result = Conversion(converted.onnx, converted.framework, comparison)
    if repo is not None:
        if not name:
            raise ValueError("writing into a repository needs a model name")
        result.path = write_version(Path(repo), name, converted.onnx.SerializeToString(), version)
    return result


def check_conversion(
    converted: Converted,
    sample: Any,
    *,
    atol: float = 1e-4,
    rtol: float = 1e-4,
    min_agreement: float = 1.0,
    bar: Progress | None = None,
) -> Comparison:
    """Run the original and the converted model on the sample rows and compare
    their outputs in order."""
    if bar:
        bar.update(1, 4, "running the original")
    reference = converted.reference(sample)
    if bar:
        bar.update(2, 4, "running the ONNX model")
    got = run_onnx(converted.onnx, converted.feeds(sample))
    if bar:
        bar.update(3, 4, "comparing")
    comparison = compare_outputs(reference, got, atol=atol, rtol=rtol, min_agreement=min_agreement)
    if bar:
        bar.update(4, 4, "checked")
    return comparison


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def next_version(model_dir: Path) -> int:
    versions = (
        [int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit()]
        if model_dir.is_dir()
        else []
    )
    return max(versions, default=0) + 1


def write_version(
    repo: Path, name: str, data: bytes, version: int | None, config: str | None = None
) -> Path:
    """Write <repo>/<name>/<version>/model.onnx atomically: the version folder
    is written beside and renamed into place, so a server polling the
    repository never sees half a file, and a rename onto a folder that holds
    anything fails, so two writers never replace each other's model (without
    an explicit version the later one takes the next number). config, when
    given, is written after the version, as config.pbtxt."""
    if not _NAME.match(name):
        raise ValueError(f"model name '{name}' must be letters, digits, '_', '.' or '-'")
    model_dir = repo / name
    model_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=model_dir))
    try:
        # mkdtemp makes 0700; the server may run as another user.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
        (staging / "model.onnx").write_bytes(data)
        with open(staging / "model.onnx", "rb") as f:
            os.fsync(f.fileno())
        for _ in range(100):
            number = version if version is not None else next_version(model_dir)
            target = model_dir / str(number)
            try:
                os.rename(staging, target)  # onto an empty folder at most
                break
            except OSError as e:
                if not target.is_dir() or e.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                if version is not None:
                    raise InferdError(
                        0, f"{target} exists and is not empty: choose another --version"
                    ) from None
        else:
            raise InferdError(0, f"no free version number under {model_dir}")
    finally:
        if staging.exists():
            for leftover in staging.iterdir():
                leftover.unlink()
            staging.rmdir()
    if config is not None:
        _atomic_write(model_dir / "config.pbtxt", config.encode())
    return target / "model.onnx"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


__all__ = [
    "Conversion",
    "ConversionMismatch",
    "Converted",
    "check_conversion",
    "convert",
    "convert_model",
    "reference_outputs",
    "run_onnx",
    "write_version",
]
