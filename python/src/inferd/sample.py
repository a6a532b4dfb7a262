"""Sample rows for checks and calibration: CSV, Parquet or .npy files, with an
optional label column split off for accuracy measurements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class Sample:
    """Feature rows (a DataFrame for CSV/Parquet, an array for .npy) and, when
    a label column was named, the labels."""

    features: Any
    labels: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.features)

    def head(self, n: int) -> Sample:
        labels = self.labels[:n] if self.labels is not None else None
        return Sample(self.features[:n], labels)

    def array(self, dtype: Any = np.float32) -> np.ndarray:
        """The features as one 2-D array (numeric samples only)."""
        values = (
            self.features.to_numpy()
            if hasattr(self.features, "to_numpy")
            else np.asarray(self.features)
        )
        try:
            return values.astype(dtype)
        except ValueError:
            raise ValueError(
                "this sample has non-numeric columns; the model needs one input per column"
            ) from None


def load_sample(
    path: str | Path,
    label: str | None = None,
    rows: int | None = None,
    labels_file: str | Path | None = None,
) -> Sample:
    """Read a sample file. label names a column (CSV/Parquet) to keep apart as
    the true labels; a .npy sample (images, tensors) takes its labels from
    labels_file, another .npy of one label per row."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".npy":
        if label:
            raise ValueError(
                ".npy samples hold features only: give their labels as a .npy file (--labels)"
            )
        array = np.load(p, allow_pickle=False)
        if array.ndim == 1:
            array = array.reshape(-1, 1)
        array = array[:rows] if rows else array
        truth = None
        if labels_file is not None:
            truth = np.load(labels_file, allow_pickle=False).reshape(-1)[: len(array)]
            if len(truth) != len(array):
                raise ValueError(f"{labels_file} has {len(truth)} labels for {len(array)} rows")
        return Sample(array, truth)
    if labels_file is not None:
        raise ValueError("--labels goes with .npy samples; CSV and Parquet name a column (--label)")
    import pandas as pd

    if suffix == ".csv":
        frame = pd.read_csv(p, nrows=rows)
    elif suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(p)
        frame = frame.head(rows) if rows else frame
    else:
        raise ValueError(f"sample {p}: expected .csv, .parquet or .npy")
    if frame.empty:
        raise ValueError(f"sample {p} has no rows")
    labels = None
    if label:
        if label not in frame.columns:
            raise ValueError(
                f"sample {p} has no column '{label}' (it has {', '.join(map(str, frame.columns))})"
            )
        labels = frame.pop(label).to_numpy()
    return Sample(frame, labels)
