"""`inferd quantize`: dynamic or static int8 quantization with ONNX Runtime's
tools, and what it costs: accuracy/F1 (classifiers) or RMSE/MAE (regressors)
on labelled rows, output agreement otherwise, in-process latency and file
size, before and after."""

from __future__ import annotations

import contextlib
import logging
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InferdError
from .progress import Progress


@dataclass
class QuantizationReport:
    """Measurements of the float and the quantized model on the same rows.

    metrics: name -> (float model, quantized model); drop: the loss that
    max_accuracy_drop is compared with (accuracy points for classifiers,
    relative RMSE increase for regressors, 1 - agreement without labels)."""

    mode: str
    metrics: dict[str, tuple[float, float]] = field(default_factory=dict)
    drop: float = 0.0
    drop_name: str = ""
    latency_ms: dict[str, tuple[float, float]] = field(default_factory=dict)
    size_bytes: tuple[int, int] = (0, 0)
    written: Path | None = None
    notes: list[str] = field(default_factory=list)
    measured_from: int = 0  # the first sample row measured (static: past calibration)

    def table(self) -> str:
        lines = [f"{'':<24} {'float32':>12} {self.mode + ' int8':>14} {'change':>10}"]
        for name, (a, b) in self.metrics.items():
            lines.append(f"{name:<24} {a:>12.4f} {b:>14.4f} {b - a:>+10.4f}")
        for name, (a, b) in self.latency_ms.items():
            lines.append(f"{name:<24} {a:>12.3f} {b:>14.3f} {_ratio(b, a):>10}")
        a, b = self.size_bytes
        lines.append(
            f"{'file size (KiB)':<24} {a / 1024:>12.1f} {b / 1024:>14.1f} {_ratio(b, a):>10}"
        )
        lines.append(f"{self.drop_name}: {self.drop:.4f}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _ratio(b: float, a: float) -> str:
    return f"x{b / a:.2f}" if a > 0 else "-"


def _session(model_bytes: bytes) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def _feeds(session: Any, rows: np.ndarray) -> dict[str, np.ndarray]:
    if len(session.get_inputs()) != 1:
        raise InferdError(0, "quantize takes models with one input")
    return {session.get_inputs()[0].name: rows.astype(np.float32)}


def _predictions(session: Any, rows: np.ndarray, batch: int = 1024) -> list[np.ndarray]:
    parts = [
        session.run(None, _feeds(session, rows[i : i + batch])) for i in range(0, len(rows), batch)
    ]
    return [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]


def _latency_ms(session: Any, rows: np.ndarray, repeats: int) -> float:
    feeds = _feeds(session, rows)
    session.run(None, feeds)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _label_output(outputs: list[np.ndarray]) -> np.ndarray | None:
    """Predicted labels: an integer/string output, or the argmax of a 2-D score
    output (logits, probabilities) with more than one column."""
    for out in outputs:
        if out.dtype.kind in "iuUSO":
            return out.reshape(-1)
    first = outputs[0]
    if first.ndim == 2 and first.shape[1] > 1:
        return np.argmax(first, axis=1)
    return None


def _f1_macro(truth: np.ndarray, pred: np.ndarray) -> float:
    """Macro F1 over every label seen in the truth or the predictions (as
    scikit-learn's f1_score(average="macro") counts them)."""
    scores = []
    for label in np.union1d(truth, pred):
        tp = float(np.sum((pred == label) & (truth == label)))
        fp = float(np.sum((pred == label) & (truth != label)))
        fn = float(np.sum((pred != label) & (truth == label)))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return float(np.mean(scores))


def _classlike(truth: np.ndarray) -> bool:
    """Labels name classes: integers, strings, bools, or floats that are all
    whole numbers (a CSV column of 0.0/1.0)."""
    if truth.dtype.kind in "iuUSOb":
        return True
    return truth.dtype.kind == "f" and bool(
        np.all(np.isfinite(truth)) and np.all(truth == np.round(truth))
    )


def _as_classes(values: np.ndarray) -> np.ndarray:
    """Labels in one comparable form: whole floats as integers, then strings
    when either side is text."""
    if values.dtype.kind == "f":
        values = values.astype(np.int64)
    if values.dtype.kind in "SO":
        return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in values])
    return values


def _sigmoid_labels(output: np.ndarray) -> np.ndarray | None:
    """0/1 labels from a one-column probability output (a sigmoid classifier)."""
    if (
        output.dtype.kind == "f"
        and output.reshape(len(output), -1).shape[1] == 1
        and np.all((output >= 0) & (output <= 1))
    ):
        return (output.reshape(-1) > 0.5).astype(np.int64)
    return None


def measure(
    before: list[np.ndarray],
    after: list[np.ndarray],
    labels: np.ndarray | None,
    report: QuantizationReport,
) -> None:
    """Fill metrics and drop from both models' outputs on the same rows. A
    NaN anywhere makes the drop infinite."""
    _measure(before, after, labels, report)
    not_finite = any(o.dtype.kind == "f" and not np.all(np.isfinite(o)) for o in [*before, *after])
    if (
        not_finite
        or not np.isfinite(report.drop)
        or any(not (np.isfinite(a) and np.isfinite(b)) for a, b in report.metrics.values())
    ):
        report.drop = float("inf")
        report.notes.append("a model answered NaN or infinity on the sample")


def _measure(
    before: list[np.ndarray],
    after: list[np.ndarray],
    labels: np.ndarray | None,
    report: QuantizationReport,
) -> None:
    pred_a, pred_b = _label_output(before), _label_output(after)
    if labels is not None and _classlike(labels.reshape(-1)):
        truth = labels.reshape(-1)
        if pred_a is None or pred_b is None:
            pred_a, pred_b = _sigmoid_labels(before[0]), _sigmoid_labels(after[0])
        if pred_a is not None and pred_b is not None:
            truth, pred_a, pred_b = _as_classes(truth), _as_classes(pred_a), _as_classes(pred_b)
            if {truth.dtype.kind, pred_a.dtype.kind} & {"U"}:
                truth, pred_a, pred_b = truth.astype(str), pred_a.astype(str), pred_b.astype(str)
            acc_a, acc_b = float(np.mean(pred_a == truth)), float(np.mean(pred_b == truth))
            if acc_a == 0.0:
                raise InferdError(
                    0,
                    f"the labels never match the model's predictions (label "
                    f"{truth[0]!r} against {pred_a[0]!r}): check --label",
                )
            report.metrics["accuracy"] = (acc_a, acc_b)
            report.metrics["F1 (macro)"] = (_f1_macro(truth, pred_a), _f1_macro(truth, pred_b))
            report.drop, report.drop_name = acc_a - acc_b, "accuracy drop"
            return
    if labels is not None:
        n = len(before[0])
        targets: np.ndarray = labels.reshape(n, -1).astype(np.float64)
        y_a = before[0].reshape(n, -1).astype(np.float64)
        y_b = after[0].reshape(n, -1).astype(np.float64)
        if y_a.shape != targets.shape:
            raise InferdError(
                0,
                f"{targets.shape[-1]} label column(s) for a model output of "
                f"{y_a.shape[-1]} column(s)",
            )
        truth = targets
        rmse_a = float(np.sqrt(np.mean((y_a - truth) ** 2)))
        rmse_b = float(np.sqrt(np.mean((y_b - truth) ** 2)))
        report.metrics["RMSE"] = (rmse_a, rmse_b)
        report.metrics["MAE"] = (
            float(np.mean(np.abs(y_a - truth))),
            float(np.mean(np.abs(y_b - truth))),
        )
        report.drop = (rmse_b - rmse_a) / rmse_a if rmse_a > 0 else rmse_b
        report.drop_name = "relative RMSE increase"
        return
    if pred_a is not None and pred_b is not None:
        agreement = float(np.mean(_as_classes(pred_a) == _as_classes(pred_b)))
        report.metrics["label agreement"] = (1.0, agreement)
        report.drop, report.drop_name = 1.0 - agreement, "label disagreement"
        return
    a, b = before[0].astype(np.float64), after[0].astype(np.float64)
    scale = float(np.max(np.abs(a))) or 1.0
    change = float(np.max(np.abs(a - b))) / scale
    report.metrics["max abs diff / max |y|"] = (0.0, change)
    report.drop = change
    report.drop_name = "largest output change, relative to the largest output"


def _calibration_reader(name: str, rows: np.ndarray, batch: int, bar: Progress) -> Any:
    """ONNX Runtime's calibration reader: one feed dict per call, None when done."""
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.at = 0

        def get_next(self) -> dict[str, np.ndarray] | None:
            if self.at >= len(rows):
                return None
            part = rows[self.at : self.at + batch].astype(np.float32)
            self.at += batch
            bar.update(min(self.at, len(rows)), len(rows), "calibrating")
            return {name: part}

        def rewind(self) -> None:
            self.at = 0

    return Reader()


def quantize(
    model: str | Path,
    output: str | Path,
    *,
    mode: str = "dynamic",
    rows: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    max_accuracy_drop: float | None = None,
    per_channel: bool = False,
    calibration_rows: int = 512,
    repeats: int = 50,
    progress: bool = True,
) -> QuantizationReport:
    """Quantize `model` to int8 and measure both on `rows` (the sample's
    features, needed for static mode's calibration and for any measurement).
    Writes `output` only when the drop stays within max_accuracy_drop."""
    from onnxruntime.quantization import QuantType, quantize_dynamic, quantize_static

    if mode not in ("dynamic", "static"):
        raise ValueError("mode is dynamic or static")
    if rows is None:
        if mode == "static" or max_accuracy_drop is not None:
            raise ValueError(
                f"{'static quantization' if mode == 'static' else 'a maximum drop'}"
                " needs sample rows (--sample)"
            )
    if rows is not None and len(rows) == 0:
        raise ValueError("the sample has no rows")
    source = Path(model)
    report = QuantizationReport(mode)
    measured = rows
    if rows is not None and mode == "static":
        # Measured on rows the calibration did not see, when enough remain.
        if len(rows) - calibration_rows >= 100:
            measured = rows[calibration_rows:]
            labels = labels[calibration_rows:] if labels is not None else None
            report.measured_from = calibration_rows
            report.notes.append(
                f"measured on the sample's rows {calibration_rows}-"
                f"{len(rows) - 1}; rows 0-{calibration_rows - 1} calibrated it"
            )
        else:
            report.notes.append(
                f"calibrated on the first {min(calibration_rows, len(rows))} "
                "of the rows it is measured on (a larger sample keeps them apart)"
            )
    with tempfile.TemporaryDirectory() as tmp, _quiet_advice():
        candidate = Path(tmp) / "quantized.onnx"
        prepared = _preprocessed(source, Path(tmp), report)
        if mode == "dynamic":
            quantize_dynamic(
                prepared, candidate, weight_type=QuantType.QInt8, per_channel=per_channel
            )
        else:
            assert rows is not None
            name = _session(source.read_bytes()).get_inputs()[0].name
            bar = Progress("calibration", enabled=progress)
            reader = _calibration_reader(name, rows[:calibration_rows], 32, bar)
            try:
                quantize_static(
                    prepared,
                    candidate,
                    reader,
                    per_channel=per_channel,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8,
                )
            finally:
                bar.close()
        quantized = candidate.read_bytes()
        report.size_bytes = (source.stat().st_size, len(quantized))
        if measured is not None:
            float_session, int8_session = _session(source.read_bytes()), _session(quantized)
            measure(
                _predictions(float_session, measured),
                _predictions(int8_session, measured),
                labels,
                report,
            )
            batch = min(256, len(measured))
            for n in (1, batch):
                label = f"latency, {n} row{'s' if n > 1 else ''} (ms)"
                report.latency_ms[label] = (
                    _latency_ms(float_session, measured[:n], repeats),
                    _latency_ms(int8_session, measured[:n], repeats),
                )
            slower = report.latency_ms[label]
            if mode == "dynamic" and _has_conv(source) and slower[1] > slower[0]:
                report.notes.append(
                    "ONNX Runtime runs dynamically quantized convolutions (ConvInteger) "
                    "slowly; for convolutional models use --mode static"
                )
        if max_accuracy_drop is not None and report.drop > max_accuracy_drop:
            raise QuantizationRefused(report, max_accuracy_drop)
        target = Path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.tmp")
        staged.write_bytes(quantized)
        staged.replace(target)
        report.written = target
    return report


def _has_conv(path: Path) -> bool:
    import onnx

    return any(n.op_type == "Conv" for n in onnx.load(str(path)).graph.node)


def _preprocessed(source: Path, tmp: Path, report: QuantizationReport) -> Path:
    """ONNX Runtime's recommended preparation (shape inference, graph
    optimization) before quantizing; the model as it is when that fails
    (converted scikit-learn graphs use operators it does not know)."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = tmp / "prepared.onnx"
    try:
        quant_pre_process(str(source), str(prepared))
        return prepared
    except Exception as e:  # noqa: BLE001  (any failure: quantize the model as it is)
        report.notes.append(
            f"quantized without pre-processing ({type(e).__name__}: "
            f"{str(e).splitlines()[0][:120] if str(e) else ''})"
        )
        return source


@contextlib.contextmanager
def _quiet_advice() -> Iterator[None]:
    """ONNX Runtime's quantizer logs advice on the root logger ("Please consider
    pre-processing ..."), which this module follows; keep it off the output."""

    def keep(record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Please consider")

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


class QuantizationRefused(InferdError):
    """The quantized model lost more than --max-accuracy-drop; nothing written."""

    def __init__(self, report: QuantizationReport, limit: float) -> None:
        super().__init__(
            0,
            f"{report.drop_name} {report.drop:.4f} exceeds the maximum "
            f"{limit:.4f}; nothing written\n{report.table()}",
        )
        self.report = report
