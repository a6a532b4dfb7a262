"""Comparing two models' outputs on the same rows: per output the largest
absolute and relative difference, label agreement for label outputs, and the
rows that differ most when a tolerance is passed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class OutputDiff:
    """How one output differs: numeric outputs by max_abs/max_rel, label
    outputs (integers or strings) by the share of rows whose labels agree."""

    name: str
    kind: str  # "numeric" or "label"
    max_abs: float = 0.0
    max_rel: float = 0.0
    agreement: float = 1.0
    worst_rows: list[int] = field(default_factory=list)
    passed: bool = True
    note: str = ""

    def describe(self) -> str:
        if self.kind == "label":
            text = f"{self.name}: label agreement {self.agreement:.4%}"
        else:
            text = f"{self.name}: max abs diff {self.max_abs:.3g}, max rel diff {self.max_rel:.3g}"
        if self.note:
            text += f" ({self.note})"
        if not self.passed and self.worst_rows:
            text += f"; worst rows {', '.join(str(r) for r in self.worst_rows)}"
        return text


@dataclass
class Comparison:
    """Every output's difference, and whether all are within tolerance."""

    outputs: list[OutputDiff]
    rows: int
    atol: float
    rtol: float
    min_agreement: float

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outputs)

    def table(self) -> str:
        lines = [f"{'output':<20} {'max abs':>10} {'max rel':>10} {'labels agree':>13}  result"]
        for o in self.outputs:
            agree = f"{o.agreement:.4%}" if o.kind == "label" else "-"
            absd = f"{o.max_abs:.3g}" if o.kind == "numeric" else "-"
            reld = f"{o.max_rel:.3g}" if o.kind == "numeric" else "-"
            lines.append(
                f"{o.name:<20} {absd:>10} {reld:>10} {agree:>13}  "
                f"{'ok' if o.passed else 'FAILED'}"
                + (f"  worst rows {o.worst_rows}" if not o.passed else "")
            )
        lines.append(
            f"{self.rows} rows; tolerance atol {self.atol:g} + rtol {self.rtol:g} "
            f"x |reference| (max rel counts values above atol), labels at least "
            f"{self.min_agreement:.2%}"
        )
        return "\n".join(lines)


def _is_label(array: np.ndarray) -> bool:
    return array.dtype.kind in "iuUSOb"


def compare_outputs(
    reference: Sequence[tuple[str, np.ndarray]],
    candidate: Sequence[np.ndarray],
    *,
    atol: float = 1e-4,
    rtol: float = 1e-4,
    min_agreement: float = 1.0,
    worst: int = 5,
) -> Comparison:
    """Compare outputs pairwise, in order: reference (name, array) against the
    candidate's array at the same position. Integer, bool and string outputs
    are labels; floating outputs are numbers. An output one side lacks fails."""
    diffs: list[OutputDiff] = []
    rows = 0
    for missing in range(len(candidate), len(reference)):
        diffs.append(
            OutputDiff(
                reference[missing][0],
                "numeric",
                float("inf"),
                float("inf"),
                passed=False,
                note="the model does not answer this output",
            )
        )
    for extra in range(len(reference), len(candidate)):
        diffs.append(
            OutputDiff(
                f"output #{extra + 1}",
                "numeric",
                float("inf"),
                float("inf"),
                passed=False,
                note="an output the original does not have",
            )
        )
    if not reference and not candidate:
        diffs.append(OutputDiff("(none)", "numeric", passed=False, note="no outputs to compare"))
    for (name, ref), got in zip(reference, candidate, strict=False):
        ref, got = np.asarray(ref), np.asarray(got)
        rows = max(rows, ref.shape[0] if ref.ndim else 1)
        if ref.shape != got.shape and ref.size == got.size:
            got = got.reshape(ref.shape)
        if ref.shape != got.shape:
            diffs.append(
                OutputDiff(
                    name,
                    "numeric",
                    float("inf"),
                    float("inf"),
                    passed=False,
                    note=f"shape {list(got.shape)} != {list(ref.shape)}",
                )
            )
            continue
        if _is_label(ref) and _is_label(got):
            same = _labels_equal(ref, got)
            per_row = same.reshape(same.shape[0], -1).all(axis=1) if same.ndim else same
            agreement = float(np.mean(per_row)) if np.size(per_row) else 1.0
            bad = np.flatnonzero(~np.asarray(per_row).reshape(-1))[:worst].tolist()
            diffs.append(
                OutputDiff(
                    name,
                    "label",
                    agreement=agreement,
                    worst_rows=bad,
                    passed=agreement >= min_agreement,
                )
            )
            continue
        a, b = ref.astype(np.float64), got.astype(np.float64)
        if a.size == 0:
            diffs.append(OutputDiff(name, "numeric", passed=False, note="no rows to compare"))
            continue
        both_nan = np.isnan(a) & np.isnan(b)
        diff = np.where(both_nan, 0.0, np.abs(a - b))
        # Relative differences of values under atol say nothing (1e-7 against
        # 3e-7 is "200%"): they count only where the value is larger.
        rel = np.where(np.abs(a) > atol, diff / np.maximum(np.abs(a), 1e-300), 0.0)
        # NaN in one model only is reported below; NaN in both agrees.
        excess = np.nan_to_num(diff - (atol + rtol * np.abs(np.nan_to_num(a))), nan=0.0)
        per_row = excess.reshape(excess.shape[0], -1).max(axis=1) if excess.ndim else excess
        order = np.argsort(-np.asarray(per_row).reshape(-1))
        failing = [int(i) for i in order[:worst] if np.asarray(per_row).reshape(-1)[i] > 0]
        one_nan = np.isnan(a) != np.isnan(b)
        nan_mismatch = bool(np.any(one_nan))
        if nan_mismatch:
            nan_rows = (
                one_nan.reshape(one_nan.shape[0], -1).any(axis=1) if one_nan.ndim else one_nan
            )
            failing = (np.flatnonzero(nan_rows).tolist() + failing)[:worst]
        diffs.append(
            OutputDiff(
                name,
                "numeric",
                float(np.nanmax(diff)) if diff.size else 0.0,
                float(np.nanmax(rel)) if rel.size else 0.0,
                worst_rows=failing,
                passed=not failing and not nan_mismatch,
                note="NaN in one model only" if nan_mismatch else "",
            )
        )
    return Comparison(diffs, rows, atol, rtol, min_agreement)


def _labels_equal(ref: np.ndarray, got: np.ndarray) -> np.ndarray:
    def norm(x: np.ndarray) -> np.ndarray:
        if x.dtype.kind in "SO":
            return np.array(
                [v.decode() if isinstance(v, bytes) else str(v) for v in x.reshape(-1)]
            ).reshape(x.shape)
        return x

    r, g = norm(ref), norm(got)
    if r.dtype.kind in "U" or g.dtype.kind in "U":
        return r.astype(str) == g.astype(str)
    return r == g
