"""Reference statistics, sample files and the progress bar."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from inferd.progress import Progress
from inferd.sample import load_sample
from inferd.stats import reference_stats


def test_numeric_bins_hold_every_row() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1000, 3))
    x[0, 1] = np.nan
    stats = reference_stats(x)
    assert stats["rows"] == 1000
    for j, feature in enumerate(stats["features"]):
        assert feature["name"] == f"x{j}"
        assert len(feature["counts"]) == len(feature["edges"]) + 1
        assert sum(feature["counts"]) + feature["missing"] == 1000
        # quantile edges: every bin holds about a tenth of the rows
        assert max(feature["counts"]) < 130
    assert stats["features"][1]["missing"] == 1


def test_constant_and_categorical_columns() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 3 + ["z"], "k": [2.0] * 9})
    stats = reference_stats(frame)
    cat, const = stats["features"]
    assert cat["kind"] == "categorical"
    assert cat["values"][:2] == ["a", "b"] and cat["counts"][:2] == [5, 3]
    assert sum(cat["counts"]) + cat["other"] == 9
    assert const["edges"] == [2.0] and sum(const["counts"]) == 9


def test_samples(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4, 5, 6], "y": [0, 1, 0]})
    frame.to_csv(tmp_path / "s.csv", index=False)
    sample = load_sample(tmp_path / "s.csv", label="y")
    assert list(sample.features.columns) == ["a", "b"]
    assert sample.labels is not None and sample.labels.tolist() == [0, 1, 0]
    assert sample.array().dtype == np.float32
    frame.to_parquet(tmp_path / "s.parquet")
    assert len(load_sample(tmp_path / "s.parquet", rows=2)) == 2
    np.save(tmp_path / "s.npy", np.zeros((5, 2), np.float32))
    assert load_sample(tmp_path / "s.npy").features.shape == (5, 2)
    with pytest.raises(ValueError, match="no column 'nope'"):
        load_sample(tmp_path / "s.csv", label="nope")
    with pytest.raises(ValueError, match="expected .csv"):
        load_sample(tmp_path / "s.txt")


def test_progress_is_quiet_off_a_terminal() -> None:
    stream = io.StringIO()
    bar = Progress("x", stream=stream)
    bar.update(5, 10)
    bar.close()
    assert stream.getvalue() == ""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = Progress("job", stream=tty)
    bar.update(10, 10, "completed")
    bar.close()
    assert "10/10" in tty.getvalue() and tty.getvalue().endswith("\n")


def test_missing_strings_are_missing_not_categories() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"c": ["a", None, np.nan, "a", pd.NA], "n": pd.array([1, None, 3, 4, 5], dtype="Int64")}
    )
    cat, num = reference_stats(frame)["features"]
    assert cat["values"] == ["a"] and cat["counts"] == [2] and cat["missing"] == 3
    assert num["kind"] == "numeric" and num["missing"] == 1
