#!/usr/bin/env python3
"""Write inferd's example model repository.

Usage: python examples/make_example_models.py OUT_DIR [--with-test-models]

Layout: OUT_DIR/<model>/1/model.onnx. Idempotent (every run rewrites the models,
each file replaced atomically) and deterministic (fixed seeds; the same package
versions give byte-identical files). No network: the data sets ship inside
scikit-learn.

Default models:
  logreg              LogisticRegression on breast_cancer, input float_input [N,30],
                      outputs output_label INT64 [N] and output_probability
                      (ZipMap: seq(map(int64,float)))
  random_forest       RandomForestClassifier on iris, float_input [N,4], ZipMap
  gbr                 GradientBoostingRegressor on diabetes, float_input [N,10],
                      output variable FP32 [N,1]
  string_pipeline     OneHotEncoder(city) + passthrough(x) -> LogisticRegression,
                      inputs city BYTES [N,1] and x FP32 [N,1], labels "high"/"low"
  mlp_fp32, mlp_fp16  Gemm+Relu+Gemm, x [N,16] -> y [N,4]
  identity_all_types  in_<DT> [N,D] -> Identity -> out_<DT> for every KServe dtype

Test-only models (--with-test-models, or import the builders):
  engine_fail         Gather(x [N,4], indices INT64 [M], axis=1) -> y [N,M]; an
                      out-of-range index passes every server-side check (dtype,
                      shape) and fails inside ONNX Runtime at Run time.
  slow_loop           x [N,64], iters INT64 [N,1] -> y: tanh(x W) repeated max(iters)
                      times, so a test chooses how long a run holds an instance.
  write_corrupt_model writes bytes that are not an ONNX model.

Tests import this module: build_<name>(path) writes one model file, sample_inputs()
gives deterministic inputs, MODEL_BUILDERS maps names to builders.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

# Opsets every component of the stack supports (ONNX Runtime 1.23 reads far newer).
ONNX_OPSET = 17
ML_OPSET = 3
IR_VERSION = 8  # the IR version that goes with opset 17
SKL_TARGET_OPSET = {"": ONNX_OPSET, "ai.onnx.ml": ML_OPSET}

# KServe datatype -> (ONNX element type, numpy dtype or None for BYTES/BF16)
KSERVE_TO_ONNX = {
    "BOOL": TensorProto.BOOL,
    "UINT8": TensorProto.UINT8,
    "UINT16": TensorProto.UINT16,
    "UINT32": TensorProto.UINT32,
    "UINT64": TensorProto.UINT64,
    "INT8": TensorProto.INT8,
    "INT16": TensorProto.INT16,
    "INT32": TensorProto.INT32,
    "INT64": TensorProto.INT64,
    "FP16": TensorProto.FLOAT16,
    "FP32": TensorProto.FLOAT,
    "FP64": TensorProto.DOUBLE,
    "BF16": TensorProto.BFLOAT16,
    "BYTES": TensorProto.STRING,
}
ALL_DATATYPES = list(KSERVE_TO_ONNX)

# Cities and the per-city base used by the string_pipeline training data.
CITIES = ["berlin", "lisbon", "oslo", "paris", "tokyo"]
_CITY_BASE = {"berlin": -1.0, "lisbon": 0.5, "oslo": -2.0, "paris": 1.0, "tokyo": 2.0}


# --------------------------------------------------------------------------- io
def _save(model: onnx.ModelProto, path) -> Path:
    """Check and write `model` to `path` atomically (tmp file + rename)."""
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, model.SerializeToString())
    return path


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file + rename, so a killed run never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".onnx")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _sk_convert(estimator, initial_types, name: str) -> onnx.ModelProto:
    from skl2onnx import convert_sklearn

    # Default options: ZipMap stays on for classifiers.
    model = convert_sklearn(
        estimator, name=name, initial_types=initial_types, target_opset=SKL_TARGET_OPSET
    )
    # Some skl2onnx converters (GradientBoostingRegressor) import the default
    # domain twice; keep one entry per domain (the highest version).
    versions: dict = {}
    for op in model.opset_import:
        versions[op.domain] = max(op.version, versions.get(op.domain, 0))
    del model.opset_import[:]
    for domain, version in sorted(versions.items()):
        model.opset_import.append(helper.make_opsetid(domain, version))
    model.producer_name = "inferd-examples"
    model.doc_string = name
    return model


# ------------------------------------------------------------------ data sets
def breast_cancer():
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    return d.data.astype(np.float32), d.target


def iris():
    from sklearn.datasets import load_iris

    d = load_iris()
    return d.data.astype(np.float32), d.target


def diabetes():
    from sklearn.datasets import load_diabetes

    d = load_diabetes()
    return d.data.astype(np.float32), d.target


def string_pipeline_data(n: int = 400, seed: int = 0):
    """Synthetic rows (city, x) -> "high"/"low": class depends on city and x."""
    rng = np.random.default_rng(seed)
    city = rng.choice(CITIES, size=n)
    x = rng.normal(0.0, 1.5, size=n).astype(np.float32)
    score = np.array([_CITY_BASE[c] for c in city]) + x
    label = np.where(score > 0.0, "high", "low")
    return city, x, label


# ------------------------------------------------------------------- builders
def build_logreg(path) -> Path:
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    X, y = breast_cancer()
    clf = LogisticRegression(max_iter=5000).fit(X, y)
    return _save(_sk_convert(clf, [("float_input", FloatTensorType([None, 30]))], "logreg"), path)


def build_random_forest(path) -> Path:
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.ensemble import RandomForestClassifier

    X, y = iris()
    clf = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0).fit(X, y)
    model = _sk_convert(clf, [("float_input", FloatTensorType([None, 4]))], "random_forest")
    return _save(model, path)


def build_gbr(path) -> Path:
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.ensemble import GradientBoostingRegressor

    X, y = diabetes()
    reg = GradientBoostingRegressor(random_state=0).fit(X, y)
    return _save(_sk_convert(reg, [("float_input", FloatTensorType([None, 10]))], "gbr"), path)


def build_string_pipeline(path) -> Path:
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    city, x, label = string_pipeline_data()
    # Column 0 = city (string), column 1 = x (numeric). skl2onnx maps column
    # indices onto the ONNX inputs in order: city -> 0, x -> 1.
    X = np.empty((len(city), 2), dtype=object)
    X[:, 0] = city
    X[:, 1] = x.astype(np.float64)
    pre = ColumnTransformer(
        [
            ("city", OneHotEncoder(handle_unknown="ignore"), [0]),
            ("x", "passthrough", [1]),
        ]
    )
    pipe = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=5000))]).fit(X, label)
    model = _sk_convert(
        pipe,
        [("city", StringTensorType([None, 1])), ("x", FloatTensorType([None, 1]))],
        "string_pipeline",
    )
    return _save(model, path)


def _mlp(path, elem_type: int, np_dtype, name: str) -> Path:
    rng = np.random.default_rng(0)
    w1 = (rng.standard_normal((16, 32)) * 0.25).astype(np_dtype)
    b1 = (rng.standard_normal(32) * 0.1).astype(np_dtype)
    w2 = (rng.standard_normal((32, 4)) * 0.25).astype(np_dtype)
    b2 = (rng.standard_normal(4) * 0.1).astype(np_dtype)
    inits = [
        helper.make_tensor(n, elem_type, a.shape, a.tobytes(), raw=True)
        for n, a in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2))
    ]
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1"),
        helper.make_node("Relu", ["h"], ["h_relu"], name="relu1"),
        helper.make_node("Gemm", ["h_relu", "w2", "b2"], ["y"], name="fc2"),
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", elem_type, ["N", 16])],
        [helper.make_tensor_value_info("y", elem_type, ["N", 4])],
        inits,
    )
    return _save(_onnx_model(graph, name), path)


def build_mlp_fp32(path) -> Path:
    return _mlp(path, TensorProto.FLOAT, np.float32, "mlp_fp32")


def build_mlp_fp16(path) -> Path:
    return _mlp(path, TensorProto.FLOAT16, np.float16, "mlp_fp16")


def build_identity_all_types(path) -> Path:
    nodes, inputs, outputs = [], [], []
    for dt, et in KSERVE_TO_ONNX.items():
        inputs.append(helper.make_tensor_value_info(f"in_{dt}", et, ["N", "D"]))
        outputs.append(helper.make_tensor_value_info(f"out_{dt}", et, ["N", "D"]))
        nodes.append(helper.make_node("Identity", [f"in_{dt}"], [f"out_{dt}"], name=f"id_{dt}"))
    graph = helper.make_graph(nodes, "identity_all_types", inputs, outputs)
    return _save(_onnx_model(graph, "identity_all_types"), path)


def build_engine_fail(path) -> Path:
    """y = Gather(x, indices, axis=1); an index >= 4 or < -4 fails in ORT's Run."""
    graph = helper.make_graph(
        [helper.make_node("Gather", ["x", "indices"], ["y"], axis=1, name="gather")],
        "engine_fail",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4]),
            helper.make_tensor_value_info("indices", TensorProto.INT64, ["M"]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "M"])],
    )
    return _save(_onnx_model(graph, "engine_fail"), path)


def write_corrupt_model(path) -> Path:
    """Write a file named like a model that no ONNX parser accepts."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, b"this is not an onnx model\x00\xff\xfe" + bytes(range(256)) * 4)
    return path


def build_slow_loop(path) -> Path:
    """y = tanh(... tanh(x W) ... W), repeated max(iters) times: a model whose run
    time the client chooses, so tests can hold an instance busy and fill a queue.
    Inputs x FP32 [N,64], iters INT64 [N,1]; output y FP32 [N,64]."""
    rng = np.random.default_rng(1)
    w = (rng.standard_normal((64, 64)) * 0.1).astype(np.float32)
    body = helper.make_graph(
        [
            helper.make_node("MatMul", ["state_in", "w"], ["mm"], name="mm"),
            helper.make_node("Tanh", ["mm"], ["state_out"], name="tanh"),
            helper.make_node("Identity", ["cond_in"], ["cond_out"], name="cond"),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("state_in", TensorProto.FLOAT, ["N", 64]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("state_out", TensorProto.FLOAT, ["N", 64]),
        ],
    )
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMax", ["iters"], ["trips_2d"], keepdims=0, name="max"),
            helper.make_node("Identity", ["true_const"], ["cond"], name="cond0"),
            helper.make_node("Loop", ["trips_2d", "cond", "x"], ["y"], body=body, name="loop"),
        ],
        "slow_loop",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64]),
            helper.make_tensor_value_info("iters", TensorProto.INT64, ["N", 1]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 64])],
        [
            helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.tobytes(), raw=True),
            helper.make_tensor("true_const", TensorProto.BOOL, [], [True]),
        ],
    )
    return _save(_onnx_model(graph, "slow_loop"), path)


def _onnx_model(graph, name: str) -> onnx.ModelProto:
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
        ir_version=IR_VERSION,
        producer_name="inferd-examples",
        doc_string=name,
    )
    return model


MODEL_BUILDERS = {
    "logreg": build_logreg,
    "random_forest": build_random_forest,
    "gbr": build_gbr,
    "string_pipeline": build_string_pipeline,
    "mlp_fp32": build_mlp_fp32,
    "mlp_fp16": build_mlp_fp16,
    "identity_all_types": build_identity_all_types,
}
TEST_MODEL_BUILDERS = {"engine_fail": build_engine_fail, "slow_loop": build_slow_loop}


def model_path(repo, name: str, version: int = 1) -> Path:
    return Path(repo) / name / str(version) / "model.onnx"


def build_model(repo, name: str, version: int = 1) -> Path:
    builders = {**MODEL_BUILDERS, **TEST_MODEL_BUILDERS}
    return builders[name](model_path(repo, name, version))


def build_repository(out_dir, names=None, with_test_models: bool = False) -> Path:
    """Write the models `names` (default: every example model) under out_dir."""
    out_dir = Path(out_dir)
    if names is None:
        names = list(MODEL_BUILDERS) + (list(TEST_MODEL_BUILDERS) if with_test_models else [])
    for name in names:
        build_model(out_dir, name)
    return out_dir


# --------------------------------------------------------------- sample data
def sample_inputs(name: str, n: int = 4, seed: int = 0) -> dict:
    """Deterministic inputs (dict input name -> numpy array) for a model."""
    rng = np.random.default_rng(seed)
    if name == "logreg":
        X, _ = breast_cancer()
        return {"float_input": X[rng.choice(len(X), n, replace=False)]}
    if name == "random_forest":
        X, _ = iris()
        return {"float_input": X[rng.choice(len(X), n, replace=False)]}
    if name == "gbr":
        X, _ = diabetes()
        return {"float_input": X[rng.choice(len(X), n, replace=False)]}
    if name == "string_pipeline":
        cities = np.array(CITIES + ["unknown-city"], dtype=object)
        city = rng.choice(cities, size=(n, 1))
        x = rng.normal(0.0, 1.5, size=(n, 1)).astype(np.float32)
        return {"city": city, "x": x}
    if name in ("mlp_fp32", "mlp_fp16"):
        dt = np.float32 if name == "mlp_fp32" else np.float16
        return {"x": rng.standard_normal((n, 16)).astype(dt)}
    if name == "engine_fail":
        return {
            "x": rng.standard_normal((n, 4)).astype(np.float32),
            "indices": np.array([3, 0, 1], dtype=np.int64),
        }
    raise KeyError(f"no sample inputs for {name!r}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", help="model repository folder to (re)write")
    ap.add_argument(
        "--with-test-models", action="store_true", help="also write test-only models (engine_fail)"
    )
    ap.add_argument("--only", action="append", metavar="MODEL", help="write only these models")
    args = ap.parse_args(argv)
    repo = build_repository(args.out_dir, names=args.only, with_test_models=args.with_test_models)
    for p in sorted(repo.glob("*/*/model.onnx")):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
