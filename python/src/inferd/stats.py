"""Reference statistics of a sample, for drift monitoring: per feature, quantile
bin edges and the sample's counts in each bin (numbers), or the most frequent
values and their counts (strings)."""

from __future__ import annotations

from typing import Any

import numpy as np

BINS = 10
TOP_VALUES = 20


def reference_stats(features: Any, bins: int = BINS) -> dict[str, Any]:
    """{"rows": n, "features": [{"name", "kind", "edges", "counts", "missing"}
    or {"name", "kind": "categorical", "values", "counts", "other", "missing"}]}.
    Edges are the sample's quantiles (duplicates dropped), so each bin holds
    about the same share of the sample; the first and last bins are open."""
    if hasattr(features, "columns"):
        columns = [(str(c), _column_values(features[c])) for c in features.columns]
    else:
        array = np.asarray(features)
        array = array.reshape(len(array), -1)
        columns = [(f"x{j}", array[:, j]) for j in range(array.shape[1])]
    out = []
    for name, values in columns:
        if values.dtype.kind in "biuf":
            numbers = values.astype(np.float64)
            finite = numbers[np.isfinite(numbers)]
            missing = int(len(numbers) - len(finite))
            if len(finite) == 0:
                out.append(
                    {"name": name, "kind": "numeric", "edges": [], "counts": [], "missing": missing}
                )
                continue
            edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))
            counts = np.bincount(
                np.searchsorted(edges, finite, side="right"), minlength=len(edges) + 1
            )
            out.append(
                {
                    "name": name,
                    "kind": "numeric",
                    "edges": [float(e) for e in edges],
                    "counts": [int(c) for c in counts],
                    "missing": missing,
                }
            )
        else:
            present = [v for v in values if not _missing(v)]
            missing = len(values) - len(present)
            text = np.array([str(v) for v in present], dtype=object)
            if len(text) == 0:
                out.append(
                    {
                        "name": name,
                        "kind": "categorical",
                        "values": [],
                        "counts": [],
                        "other": 0,
                        "missing": missing,
                    }
                )
                continue
            uniq, counts = np.unique(text, return_counts=True)
            order = np.argsort(-counts, kind="stable")[:TOP_VALUES]
            top = int(counts[order].sum())
            out.append(
                {
                    "name": name,
                    "kind": "categorical",
                    "values": [str(uniq[i]) for i in order],
                    "counts": [int(counts[i]) for i in order],
                    "other": int(len(text) - top),
                    "missing": missing,
                }
            )
    return {"rows": int(len(columns[0][1])) if columns else 0, "bins": bins, "features": out}


def _missing(value: Any) -> bool:
    """None, NaN and pandas' NA/NaT are missing values, not categories."""
    if value is None or type(value).__name__ == "NAType":
        return True
    try:
        return bool(value != value)  # NaN, NaT and pd.NA compare unequal to themselves
    except (TypeError, ValueError):
        return False


def _column_values(column: Any) -> np.ndarray:
    """A DataFrame column as numpy: numbers (pandas' nullable Int64 and Float64
    included) as float64 with NaN for missing, everything else as objects."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.asarray(column.to_numpy(dtype=object))
