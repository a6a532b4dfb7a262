"""The Python toolkit's commands through the server binary (`inferd convert|
verify|quantize|push` hand over to the package), on models the tests train:
every converter's differences on its sample, a deliberately wrong conversion
caught, quantization's reported accuracy against a separate evaluation, and
pushes into a repository and into the registry."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import inferd  # the wheel make builds (build/python/site); make python-wheel
import joblib
import numpy as np
import pandas as pd
import pytest
from e2e_lib import INFERD_BIN, run_toolkit, wait_until


def write_sample(path: Path, X, y=None, columns=None) -> Path:
    frame = X.copy() if isinstance(X, pd.DataFrame) else pd.DataFrame(
        X, columns=columns or [f"f{i}" for i in range(X.shape[1])])
    if y is not None:
        frame["y"] = y
    frame.to_csv(path, index=False)
    return path


# ------------------------------------------------------------------ models
def churn_frame(n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "plan": rng.choice(["basic", "plus", "pro"], n),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "tenure": rng.integers(1, 72, n).astype(np.float64),
        "spend": rng.gamma(2.0, 30.0, n),
    })
    logit = 0.04 * frame["spend"] - 0.05 * frame["tenure"] + (frame["plan"] == "basic") * 1.2
    y = (logit + rng.normal(0, 1, n) > 0).astype(np.int64)
    return frame, y.to_numpy()


def train(kind: str):
    """(model, features, labels) for each converter the toolkit has."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits

    if kind == "sklearn_logreg":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        X, y = load_breast_cancer(return_X_y=True)
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y), X, y
    if kind in ("sklearn_columns", "sklearn_forest_columns"):
        from sklearn.compose import ColumnTransformer
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        X, y = churn_frame()
        pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"),
                                  ["plan", "region"]),
                                 ("num", StandardScaler(), ["tenure", "spend"])])
        clf = LogisticRegression(max_iter=500) if kind == "sklearn_columns" else \
            RandomForestClassifier(n_estimators=30, max_depth=6, random_state=0)
        return Pipeline([("pre", pre), ("clf", clf)]).fit(X, y), X, y
    if kind == "sklearn_gbr":
        from sklearn.ensemble import GradientBoostingRegressor

        X, y = load_diabetes(return_X_y=True)
        return GradientBoostingRegressor(n_estimators=50, random_state=0).fit(X, y), X, y
    if kind == "sklearn_mlp":
        from sklearn.model_selection import train_test_split
        from sklearn.neural_network import MLPClassifier

        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.4,
                                                            random_state=0)
        model = MLPClassifier(hidden_layer_sizes=(128, 64), max_iter=300, random_state=0)
        # The sample is the held-out part: quantization's accuracy on unseen rows.
        return model.fit(X_train, y_train), X_test, y_test
    if kind == "xgboost_classifier":
        from xgboost import XGBClassifier

        X, y = load_breast_cancer(return_X_y=True)
        frame = pd.DataFrame(X, columns=[f"feature {i}" for i in range(X.shape[1])])
        return XGBClassifier(n_estimators=30, max_depth=4, random_state=0).fit(frame, y), \
            frame, y
    if kind == "xgboost_regressor":
        from xgboost import XGBRegressor

        X, y = load_diabetes(return_X_y=True)
        return XGBRegressor(n_estimators=40, max_depth=3, random_state=0).fit(X, y), X, y
    if kind == "lightgbm_classifier":
        from lightgbm import LGBMClassifier

        X, y = load_digits(return_X_y=True)
        return LGBMClassifier(n_estimators=20, random_state=0, verbose=-1).fit(X, y), X, y
    raise KeyError(kind)


KINDS = ["sklearn_logreg", "sklearn_columns", "sklearn_forest_columns", "sklearn_gbr",
         "sklearn_mlp", "xgboost_classifier", "xgboost_regressor", "lightgbm_classifier"]
# ONNX trees compare float32 features with float32 thresholds: a scaled value
# within float32 rounding of a split takes the other branch (1 row in 600
# here, README "Python toolkit"), so that pipeline is checked with a looser
# tolerance; every other kind passes the defaults.
TOLERANCES = {"sklearn_forest_columns": ["--min-agreement", "0.99", "--atol", "0.05"]}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Every kind trained, saved, and converted with `inferd convert` into one
    repository; the CLI's comparison tables kept for the report."""
    work = tmp_path_factory.mktemp("toolkit")
    repo = work / "repo"
    out = {}
    for kind in KINDS:
        model, X, y = train(kind)
        joblib.dump(model, work / f"{kind}.joblib")
        sample = write_sample(work / f"{kind}.csv", X, y)
        done = run_toolkit("convert", work / f"{kind}.joblib", "--sample", sample, "--label", "y",
                       "--repo", repo, "--name", kind, *TOLERANCES.get(kind, []))
        out[kind] = {"model": model, "X": X, "y": y, "sample": sample, "report": done.stdout,
                     "file": work / f"{kind}.joblib"}
        print(f"--- {kind}\n{done.stdout}")
    return repo, out


@pytest.mark.parametrize("kind", KINDS)
def test_convert_writes_a_checked_model(converted, kind):
    repo, out = converted
    assert (repo / kind / "1" / "model.onnx").is_file()
    report = out[kind]["report"]
    assert "converted" in report and "ok" in report and "FAILED" not in report
    import onnx

    model = onnx.load(repo / kind / "1" / "model.onnx")
    assert model.ir_version == 8
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    assert opsets.get("ai.onnx", 0) <= 17 and opsets.get("ai.onnx.ml", 0) <= 3, opsets


def test_served_models_verify_end_to_end(converted, inferd_factory):
    repo, out = converted
    srv = inferd_factory(repo)
    for kind in KINDS:
        wait_until(lambda k=kind: inferd.Client(srv.base_url).is_model_ready(k), 60,
                   what=f"{kind} ready")
        done = run_toolkit("verify", out[kind]["file"], "--name", kind, "--url", srv.base_url,
                       "--sample", out[kind]["sample"], "--label", "y",
                       *TOLERANCES.get(kind, []))
        assert "FAILED" not in done.stdout, done.stdout
        print(f"--- verify {kind} (HTTP)\n{done.stdout}")
    grpc = run_toolkit("verify", out["sklearn_columns"]["file"], "--name", "sklearn_columns",
                   "--grpc", srv.grpc_target, "--sample", out["sklearn_columns"]["sample"],
                   "--label", "y")
    assert "ok" in grpc.stdout


def test_a_wrong_conversion_is_caught(converted, inferd_factory, tmp_path):
    """The conversion check and verify both fail, naming the worst rows, when
    the ONNX model does not compute what the original does."""
    import onnx
    from inferd.conversion import check_conversion, convert_model

    _, out = converted
    model, X = out["sklearn_logreg"]["model"], out["sklearn_logreg"]["X"]
    result = convert_model(model, X)
    # One weight of the linear classifier, negated and tripled.
    node = next(n for n in result.onnx.graph.node if n.op_type == "LinearClassifier")
    coefficients = next(a for a in node.attribute if a.name == "coefficients")
    coefficients.floats[0] *= -3.0
    comparison = check_conversion(result, X)
    assert not comparison.passed
    assert comparison.outputs[1].worst_rows and comparison.outputs[1].max_abs > 1e-3
    assert "FAILED" in comparison.table()

    repo = tmp_path / "repo"
    (repo / "wrong" / "1").mkdir(parents=True)
    onnx.save(result.onnx, repo / "wrong" / "1" / "model.onnx")
    srv = inferd_factory(repo)
    done = run_toolkit("verify", out["sklearn_logreg"]["file"], "--name", "wrong", "--url",
                   srv.base_url, "--sample", out["sklearn_logreg"]["sample"], "--label", "y",
                   check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED" in done.stdout and "worst rows" in done.stdout


def test_convert_refuses_beyond_tolerance(converted, tmp_path):
    """float32 trees against float64 scikit-learn: with no tolerance at all the
    check fails, shows the worst rows and writes nothing."""
    _, out = converted
    done = run_toolkit("convert", out["sklearn_gbr"]["file"], "--sample",
                   out["sklearn_gbr"]["sample"], "--label", "y", "--repo", tmp_path / "r",
                   "--name", "gbr", "--atol", "0", "--rtol", "0", check=False)
    assert done.returncode == 1
    assert "differs from the original" in done.stderr and "worst rows" in done.stderr
    assert not (tmp_path / "r" / "gbr").exists()


def _accuracy(path: Path, X: np.ndarray, y: np.ndarray) -> float:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    label = session.run(None, {session.get_inputs()[0].name: X.astype(np.float32)})[0]
    return float(np.mean(label.reshape(-1) == y))


@pytest.mark.parametrize("mode", ["dynamic", "static"])
def test_quantize_reports_what_a_separate_evaluation_measures(converted, tmp_path, mode):
    repo, out = converted
    source = repo / "sklearn_mlp" / "1" / "model.onnx"
    X, y = out["sklearn_mlp"]["X"], out["sklearn_mlp"]["y"]
    target = tmp_path / f"mlp_{mode}.onnx"
    done = run_toolkit("quantize", source, "--mode", mode, "--sample", out["sklearn_mlp"]["sample"],
                   "--label", "y", "--output", target)
    print(f"--- quantize sklearn_mlp {mode}\n{done.stdout}")
    line = next(row for row in done.stdout.splitlines() if row.startswith("accuracy"))
    before, after = float(line.split()[1]), float(line.split()[2])
    if mode == "static":  # measured past the 512 rows that calibrated it
        assert "rows 0-511 calibrated it" in done.stdout
        X, y = X[512:], y[512:]
    assert before == pytest.approx(_accuracy(source, X, y), abs=1e-4)
    assert after == pytest.approx(_accuracy(target, X, y), abs=1e-4)
    assert target.stat().st_size < source.stat().st_size
    assert "file size" in done.stdout and "latency, 1 row" in done.stdout


def test_quantize_refuses_beyond_the_maximum_drop(converted, tmp_path):
    repo, out = converted
    target = tmp_path / "refused.onnx"
    done = run_toolkit("quantize", repo / "sklearn_mlp" / "1" / "model.onnx", "--sample",
                   out["sklearn_mlp"]["sample"], "--label", "y", "--output", target,
                   "--max-accuracy-drop", "-1", check=False)
    assert done.returncode == 1 and "exceeds the maximum" in done.stderr
    assert not target.exists()


def test_push_to_a_repository_with_reference_statistics(converted, tmp_path, inferd_factory):
    import onnx

    repo, out = converted
    target = tmp_path / "served"
    done = run_toolkit("push", repo / "sklearn_columns" / "1" / "model.onnx", "--name", "churn",
                   "--repo", target, "--sample", out["sklearn_columns"]["sample"], "--label",
                   "y", "--description", "churn v1", "--tag", "team=growth", "--metric",
                   "auc=0.91")
    assert "version 1" in done.stdout
    model = onnx.load(target / "churn" / "1" / "model.onnx")
    props = {p.key: p.value for p in model.metadata_props}
    stats = json.loads(props["inferd.reference_stats"])
    assert stats["rows"] == len(out["sklearn_columns"]["X"])
    assert [f["name"] for f in stats["features"]] == ["plan", "region", "tenure", "spend"]
    assert json.loads(props["inferd.tags"]) == {"team": "growth"}
    assert model.doc_string == "churn v1"
    again = run_toolkit("push", repo / "sklearn_columns" / "1" / "model.onnx", "--name", "churn",
                    "--repo", target)
    assert "version 2" in again.stdout
    srv = inferd_factory(target)
    with inferd.Client(srv.base_url) as c:
        X = out["sklearn_columns"]["X"]
        got = c.predict("churn", X.head(50), outputs=["label"], as_frame=False)
        np.testing.assert_array_equal(got, out["sklearn_columns"]["model"].predict(X.head(50)))


def test_push_to_the_registry(converted, tmp_path, inferd_factory):
    repo, out = converted
    empty = tmp_path / "empty"
    empty.mkdir()
    srv = inferd_factory(empty)
    done = run_toolkit("push", repo / "sklearn_mlp" / "1" / "model.onnx", "--name", "digits",
                   "--url", srv.base_url, "--sample", out["sklearn_mlp"]["sample"], "--label",
                   "y", "--metric", "accuracy=0.97", "--tag", "data=digits", "--stage",
                   "Production", "--alias", "champion", "--description", "first")
    assert "version 1" in done.stdout
    with inferd.Client(srv.base_url) as c:
        record = c.model_version("digits", 1)
        assert record["current_stage"] == "Production" and record["aliases"] == ["champion"]
        assert {"key": "accuracy", "value": 0.97} in record["metrics"]
        assert {"key": "data", "value": "digits"} in record["tags"]
        wait_until(lambda: c.is_model_ready("digits@champion"), 30, what="digits served")
        X, y = out["sklearn_mlp"]["X"], out["sklearn_mlp"]["y"]
        label = c.predict("digits@champion", X[:100], outputs=["label"])
        assert np.mean(label == y[:100]) > 0.9


def test_the_binary_says_how_to_install_a_missing_toolkit(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["INFERD_PYTHON"] = "/usr/bin/python3"
    done = subprocess.run([str(INFERD_BIN), "convert", "--help"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 127
    assert "pip install" in done.stderr and "INFERD_PYTHON" in done.stderr
    env["INFERD_PYTHON"] = str(tmp_path / "no-python")
    done = subprocess.run([str(INFERD_BIN), "push"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 127 and "cannot start" in done.stderr
    helped = run_toolkit("convert", "--help")
    assert "--sample" in helped.stdout
