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
        columns = [(str(c), features[c].to_numpy()) for c in features.columns]
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
            text = np.array(["" if v is None else str(v) for v in values], dtype=object)
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
                    "missing": 0,
                }
            )
    return {"rows": int(len(columns[0][1])) if columns else 0, "bins": bins, "features": out}
