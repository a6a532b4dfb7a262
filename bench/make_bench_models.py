#!/usr/bin/env python3
"""Write the benchmark's model repository and the peers' scikit-learn models.

Usage: python bench/make_bench_models.py REPO_DIR SKLEARN_DIR

Runs with the test venv (numpy, onnx, scikit-learn, skl2onnx, onnxruntime).
Deterministic: fixed seeds; the same package versions give the same files.

REPO_DIR (a Triton-layout repository that inferd and the ONNX Runtime peer serve):
  logreg, random_forest  the example models, written by examples/make_example_models.py's
                         own builders (W1, W2)
  mlp256_batched         x FP32 [N,64] -> 3 x (Gemm 256 + Relu) -> Gemm -> y FP32 [N,16],
                         config: max_batch_size 256, dynamic batching (500 us), 1 instance
  mlp256_unbatched       the same model, max_batch_size 256, no dynamic batching
  mlp_wide_batched       x FP32 [N,64] -> 4 x (Gemm 1024 + Relu) -> Gemm -> y FP32 [N,16]
                         (W3): a row reads 12.6 MB of weights, so a batch of 64 costs far
                         less than 64 single rows; config: max_batch_size 256, dynamic
                         batching with the default (no) queue delay, 2 instances
  mlp_wide_unbatched     the same model and instances, no dynamic batching (W3)
  resnet_mini            input FP32 [N,3,224,224] -> ResNet-style CNN -> logits FP32 [N,1000]
                         (W4): conv stem, 4 residual stages, global average pool, fc 1000
  identity_fp32          x FP32 [N,30] -> Identity -> y (L2: the protocol's own cost)
  logreg_heavy           float_input FP32 [N,30] (logreg's input) -> ~13 GFLOP of matrix
                         products that depend on the input -> score FP32 [N,1]; one
                         instance, one thread, no batching: a slow shadow (W1shadow)
  logreg_late            logreg itself, batched with a 100 ms queue delay and a preferred
                         batch of 64: a shadow that answers late but costs no more CPU
                         than the primary (W1shadow)

SKLEARN_DIR (the FastAPI + joblib peer, P1):
  logreg.joblib, random_forest.joblib   the same estimators as the example models,
                         trained the same way; checked against the ONNX files' outputs.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
import make_example_models as examples  # noqa: E402  (the repo's own model builders)

MLP_IN, MLP_HIDDEN, MLP_OUT = 64, 256, 16
CNN_SIZE, CNN_CLASSES = 224, 1000
IDENTITY_COLS = 30

MLP_BATCHED_CONFIG = """\
name: "mlp256_batched"
platform: "onnxruntime_onnx"
max_batch_size: 256
dynamic_batching {
  max_queue_delay_microseconds: 500
}
instance_group [
  {
    count: 1
    kind: KIND_CPU
  }
]
"""
HEAVY_CONFIG = """\
name: "logreg_heavy"
platform: "onnxruntime_onnx"
max_batch_size: 0
instance_group [
  {
    count: 1
    kind: KIND_CPU
  }
]
parameters {
  key: "intra_op_thread_count"
  value { string_value: "1" }
}
parameters {
  key: "instance_scheduling"
  value { string_value: "idle" }
}
"""
LATE_CONFIG = """\
name: "logreg_late"
platform: "onnxruntime_onnx"
max_batch_size: 64
dynamic_batching {
  preferred_batch_size: [ 64 ]
  max_queue_delay_microseconds: 100000
}
instance_group [
  {
    count: 1
    kind: KIND_CPU
  }
]
"""
MLP_UNBATCHED_CONFIG = """\
name: "mlp256_unbatched"
platform: "onnxruntime_onnx"
max_batch_size: 256
"""
WIDE_HIDDEN, WIDE_LAYERS = 1024, 4
# W3: batching on and off with the same instances and threads (2 instances, so one
# ONNX Runtime thread each on 2 cores), so that the ratio measures batching alone.
WIDE_INSTANCES = """\
instance_group [
  {
    count: 2
    kind: KIND_CPU
  }
]
"""
WIDE_BATCHED_CONFIG = """\
name: "mlp_wide_batched"
platform: "onnxruntime_onnx"
max_batch_size: 256
dynamic_batching { }
""" + WIDE_INSTANCES
WIDE_UNBATCHED_CONFIG = """\
name: "mlp_wide_unbatched"
platform: "onnxruntime_onnx"
max_batch_size: 256
""" + WIDE_INSTANCES


# --------------------------------------------------------------------------- io
# Models and configs are written the way the example models are.
atomic_write = examples.atomic_write


def save_graph(graph, path: Path) -> Path:
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", examples.ONNX_OPSET)],
        ir_version=examples.IR_VERSION,
        producer_name="inferd-bench",
        doc_string=graph.name,
    )
    onnx.checker.check_model(model)
    atomic_write(path, model.SerializeToString())
    return path


def init(name: str, array: np.ndarray):
    return helper.make_tensor(name, TensorProto.FLOAT, array.shape, array.tobytes(), raw=True)


# ------------------------------------------------------------------------- MLP
def build_mlp256(path: Path) -> Path:
    """Three hidden layers of 256 with ReLU (W5job's second model)."""
    return build_mlp(path, [MLP_IN, MLP_HIDDEN, MLP_HIDDEN, MLP_HIDDEN, MLP_OUT], "mlp256")


def build_mlp_wide(path: Path) -> Path:
    """Four hidden layers of 1,024 with ReLU: a single row is bound by reading the
    weights, a batch by arithmetic, so dynamic batching has compute to save (W3)."""
    return build_mlp(path, [MLP_IN] + [WIDE_HIDDEN] * WIDE_LAYERS + [MLP_OUT], "mlp_wide")


def build_mlp(path: Path, widths: list[int], name: str) -> Path:
    """Gemm + ReLU layers of `widths`, He-initialised from a fixed seed."""
    rng = np.random.default_rng(1)
    nodes, inits, x = [], [], "x"
    for i, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
        w = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        b = (rng.standard_normal(fan_out) * 0.01).astype(np.float32)
        inits += [init(f"w{i}", w), init(f"b{i}", b)]
        last = i == len(widths) - 2
        out = "y" if last else f"h{i}"
        nodes.append(helper.make_node("Gemm", [x, f"w{i}", f"b{i}"], [out], name=f"fc{i}"))
        if not last:
            nodes.append(helper.make_node("Relu", [out], [f"{out}_relu"], name=f"relu{i}"))
            x = f"{out}_relu"
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", widths[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", widths[-1]])],
        inits,
    )
    return save_graph(graph, path)


# ------------------------------------------------------------------------- CNN
class CnnBuilder:
    """Accumulates nodes and He-initialised weights for a small ResNet.

    Each conv carries a bias: that is what a conv followed by batch norm becomes
    once the norm is folded into it, as exporters do for inference.
    """

    def __init__(self, seed: int = 2):
        self.rng = np.random.default_rng(seed)
        self.nodes: list = []
        self.inits: list = []
        self.count = 0

    def _name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"

    def conv(self, x: str, c_in: int, c_out: int, k: int, stride: int, relu: bool) -> str:
        name = self._name("conv")
        fan_in = c_in * k * k
        w = self.rng.standard_normal((c_out, c_in, k, k)) * np.sqrt(2.0 / fan_in)
        b = self.rng.standard_normal(c_out) * 0.01
        self.inits += [init(f"{name}_w", w.astype(np.float32)), init(f"{name}_b", b.astype(np.float32))]
        pad = k // 2
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, f"{name}_w", f"{name}_b"],
                [name],
                name=name,
                kernel_shape=[k, k],
                strides=[stride, stride],
                pads=[pad, pad, pad, pad],
            )
        )
        return self.relu(name) if relu else name

    def relu(self, x: str) -> str:
        out = self._name("relu")
        self.nodes.append(helper.make_node("Relu", [x], [out], name=out))
        return out

    def residual_block(self, x: str, c_in: int, c_out: int, stride: int) -> str:
        """conv3x3-relu-conv3x3 plus a shortcut (1x1 conv when the shape changes), relu."""
        h = self.conv(x, c_in, c_out, 3, stride, relu=True)
        h = self.conv(h, c_out, c_out, 3, 1, relu=False)
        shortcut = x if (stride == 1 and c_in == c_out) else self.conv(x, c_in, c_out, 1, stride, False)
        out = self._name("add")
        self.nodes.append(helper.make_node("Add", [h, shortcut], [out], name=out))
        return self.relu(out)


def build_resnet_mini(path: Path) -> Path:
    """224x224 RGB -> 1000 logits in about 1.8 GFLOP, as ResNet-18 (one block per stage, not two)."""
    g = CnnBuilder()
    x = g.conv("input", 3, 64, 7, 2, relu=True)  # 112x112
    g.nodes.append(
        helper.make_node(
            "MaxPool", [x], ["pool0"], name="pool0", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]
        )
    )  # 56x56
    x = g.residual_block("pool0", 64, 64, 1)
    x = g.residual_block(x, 64, 128, 2)  # 28x28
    x = g.residual_block(x, 128, 256, 2)  # 14x14
    x = g.residual_block(x, 256, 512, 2)  # 7x7
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"], name="gap"))
    g.nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1))
    fc_w = g.rng.standard_normal((512, CNN_CLASSES)) * np.sqrt(1.0 / 512)
    g.inits += [init("fc_w", fc_w.astype(np.float32)), init("fc_b", np.zeros(CNN_CLASSES, np.float32))]
    g.nodes.append(helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc"))
    graph = helper.make_graph(
        g.nodes,
        "resnet_mini",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, CNN_SIZE, CNN_SIZE])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", CNN_CLASSES])],
        g.inits,
    )
    return save_graph(graph, path)


# -------------------------------------------------------------------- identity
def build_identity_fp32(path: Path) -> Path:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"], name="id")],
        "identity_fp32",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", IDENTITY_COLS])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", IDENTITY_COLS])],
    )
    return save_graph(graph, path)


# ----------------------------------------------------------------------- heavy
def build_logreg_heavy(path: Path) -> Path:
    """Takes logreg's input, so a route may mirror logreg's traffic to it; its work
    depends on the input (nothing folds it away) and costs about 0.1 s on one core."""
    def const(name, value):
        return helper.make_node("Constant", [], [name], value=helper.make_tensor(
            name, TensorProto.INT64 if value.dtype == np.int64 else TensorProto.FLOAT,
            value.shape, value.flatten().tolist()))

    nodes = [
        const("act_shape", np.array([4096, 1024], np.int64)),
        const("w_shape", np.array([1024, 1024], np.int64)),
        const("zero", np.array(0.0, np.float32)),
        const("tiny", np.array(1e-3, np.float32)),
        helper.make_node("ReduceSum", ["float_input"], ["total"], keepdims=0),
        helper.make_node("Mul", ["total", "zero"], ["nothing"]),
        helper.make_node("Add", ["nothing", "tiny"], ["fill"]),
        helper.make_node("Expand", ["fill", "act_shape"], ["act"]),
        helper.make_node("Expand", ["fill", "w_shape"], ["w"]),
        helper.make_node("MatMul", ["act", "w"], ["h1"]),
        helper.make_node("MatMul", ["h1", "w"], ["h2"]),
        helper.make_node("MatMul", ["h2", "w"], ["h3"]),
        helper.make_node("ReduceSum", ["h3"], ["h_total"], keepdims=0),
        helper.make_node("Mul", ["h_total", "zero"], ["h_zero"]),
        helper.make_node("ReduceSum", ["float_input", "axes"], ["row_sum"], keepdims=1),
        helper.make_node("Add", ["row_sum", "h_zero"], ["score"]),
    ]
    nodes.insert(0, const("axes", np.array([1], np.int64)))
    graph = helper.make_graph(
        nodes, "logreg_heavy",
        [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, ["N", 30])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N", 1])],
    )
    return save_graph(graph, path)


# --------------------------------------------------------------------- sklearn
def train_sklearn():
    """The example models' estimators, trained exactly as examples/make_example_models.py does."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = examples.breast_cancer()
    logreg = LogisticRegression(max_iter=5000).fit(X, y)
    X, y = examples.iris()
    forest = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0).fit(X, y)
    return {"logreg": (logreg, examples.breast_cancer), "random_forest": (forest, examples.iris)}


def check_same_model(name: str, estimator, data, onnx_path: Path) -> None:
    """Fail if the joblib estimator and the ONNX file disagree: the peers must serve one model."""
    import onnxruntime as ort

    X, _ = data()
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    labels, probs = sess.run(None, {"float_input": X})
    probs = np.array([[row[k] for k in sorted(row)] for row in probs], dtype=np.float32)
    if not np.array_equal(labels, estimator.predict(X)):
        raise SystemExit(f"{name}: joblib and ONNX labels differ")
    if not np.allclose(probs, estimator.predict_proba(X), atol=1e-4):
        raise SystemExit(f"{name}: joblib and ONNX probabilities differ")


def write_sklearn(sk_dir: Path, repo: Path) -> None:
    import joblib

    sk_dir.mkdir(parents=True, exist_ok=True)
    for name, (estimator, data) in train_sklearn().items():
        check_same_model(name, estimator, data, repo / name / "1" / "model.onnx")
        tmp = sk_dir / f".{name}.joblib.tmp"
        joblib.dump(estimator, tmp)
        os.replace(tmp, sk_dir / f"{name}.joblib")


# ------------------------------------------------------------------------ main
def build_repository(repo: Path) -> None:
    examples.build_logreg(repo / "logreg" / "1" / "model.onnx")
    examples.build_random_forest(repo / "random_forest" / "1" / "model.onnx")
    for name, config in (("mlp256_batched", MLP_BATCHED_CONFIG), ("mlp256_unbatched", MLP_UNBATCHED_CONFIG)):
        build_mlp256(repo / name / "1" / "model.onnx")
        atomic_write(repo / name / "config.pbtxt", config.encode())
    for name, config in (("mlp_wide_batched", WIDE_BATCHED_CONFIG),
                         ("mlp_wide_unbatched", WIDE_UNBATCHED_CONFIG)):
        build_mlp_wide(repo / name / "1" / "model.onnx")
        atomic_write(repo / name / "config.pbtxt", config.encode())
    build_resnet_mini(repo / "resnet_mini" / "1" / "model.onnx")
    build_identity_fp32(repo / "identity_fp32" / "1" / "model.onnx")
    build_logreg_heavy(repo / "logreg_heavy" / "1" / "model.onnx")
    atomic_write(repo / "logreg_heavy" / "config.pbtxt", HEAVY_CONFIG.encode())
    examples.build_logreg(repo / "logreg_late" / "1" / "model.onnx")
    atomic_write(repo / "logreg_late" / "config.pbtxt", LATE_CONFIG.encode())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo_dir", type=Path, help="model repository to (re)write")
    ap.add_argument("sklearn_dir", type=Path, help="folder for the peers' joblib models")
    args = ap.parse_args(argv)
    build_repository(args.repo_dir)
    write_sklearn(args.sklearn_dir, args.repo_dir)
    for p in sorted(args.repo_dir.glob("*/*/model.onnx")) + sorted(args.sklearn_dir.glob("*.joblib")):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
