"""Pieces of the toolkit that need no server: retry timing, quantization's
metrics, version writing, job results."""

from __future__ import annotations

import email.utils
import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from inferd import _calls, _common
from inferd.conversion import write_version
from inferd.errors import InferdError
from inferd.quantization import QuantizationReport, measure


def test_retry_after_seconds_and_dates() -> None:
    settings = _common.Settings("http://x", backoff=0.0)
    seconds = _calls.Answer(503, {"retry-after": "2"}, b"")
    assert _common.retry_delay(settings, 0, seconds) == 2.0
    date = email.utils.formatdate(time.time() + 5, usegmt=True)
    later = _common.retry_delay(settings, 0, _calls.Answer(503, {"retry-after": date}, b""))
    assert 3.0 < later <= 5.0
    assert _common.retry_delay(settings, 0, _calls.Answer(503, {"retry-after": "soon"}, b"")) == 0
    post = _calls.submit_job("m", None, [[1]], None, None, None, False)
    assert not _common.should_retry(post, None)  # lost mid-call: it may have run
    assert _common.should_retry(post, None, unsent=True)  # never connected
    assert _common.should_retry(post, _calls.Answer(503, {}, b""))


def test_measure_classifiers_regressors_and_bad_labels() -> None:
    labels = np.array([0, 1, 1, 0])
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]])
    report = QuantizationReport("dynamic")
    measure([probs], [np.fliplr(probs).copy()], labels, report)
    assert report.metrics["accuracy"] == (0.75, 0.25) and report.drop == pytest.approx(0.5)
    # string labels against integer predictions compare as text
    report = QuantizationReport("dynamic")
    measure(
        [np.array([3, 4]), probs[:2]], [np.array([3, 5]), probs[:2]], np.array(["3", "4"]), report
    )
    assert report.metrics["accuracy"] == (1.0, 0.5)
    with pytest.raises(InferdError, match="never match"):
        measure(
            [np.array([3, 4])],
            [np.array([3, 4])],
            np.array(["cat", "dog"]),
            QuantizationReport("dynamic"),
        )
    # non-integral labels: a regression, two output columns against two targets
    y = np.array([[1.5, 2.0], [0.5, 1.0]])
    report = QuantizationReport("static")
    measure([y], [y + 0.1], y, report)
    assert report.metrics["RMSE"][0] == 0.0 and report.drop == pytest.approx(0.1)
    # a sigmoid classifier's one column of probabilities
    report = QuantizationReport("static")
    measure([np.array([[0.9], [0.2]])], [np.array([[0.4], [0.2]])], np.array([1, 0]), report)
    assert report.metrics["accuracy"] == (1.0, 0.5)
    report = QuantizationReport("static")
    measure([probs], [np.full_like(probs, np.nan)], None, report)
    assert report.drop == float("inf")


def test_write_version_is_readable_and_never_overwrites(tmp_path: Path) -> None:
    first = write_version(tmp_path, "m", b"one", None)
    assert first == tmp_path / "m" / "1" / "model.onnx"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(first.parent.stat().st_mode) == 0o777 & ~umask
    assert write_version(tmp_path, "m", b"two", None).parent.name == "2"
    with pytest.raises(InferdError, match="exists"):
        write_version(tmp_path, "m", b"three", 1)
    assert first.read_bytes() == b"one"
    (tmp_path / "m" / "7").mkdir()  # an empty folder may be taken
    assert write_version(tmp_path, "m", b"seven", 7).read_bytes() == b"seven"
    assert not [p for p in (tmp_path / "m").iterdir() if p.name.startswith(".")]
    with pytest.raises(ValueError, match="model name"):
        write_version(tmp_path, "../x", b"", None)


def test_results_tables() -> None:
    pd = pytest.importorskip("pandas")
    jsonl = (
        b'{"row":0,"key":"a","input":[1],"prediction":{"row":[1],"y":[2]}}\n'
        b'{"row":1,"key":"b","input":[2],"error":{"status":400,"message":"bad"}}\n'
    )
    table = _common.results_table(jsonl, True)
    assert list(table.columns) == ["row", "key", "input", "prediction.row", "y", "error"]
    assert table["error"].tolist()[1] == "bad"
    csv = b"row,key,y\n0,a,2\n"
    assert _common.results_table(csv, False) == [{"row": "0", "key": "a", "y": "2"}]
    assert isinstance(_common.results_table(csv, True), pd.DataFrame)
