"""Small ONNX models for the traffic tests, built with onnx's helper so each
test knows exactly which rows two models disagree on, which inputs make one
fail, and that one is slow. All take `x` FP32 [-1, 4] and answer `label`
INT64 [-1] (1 when x[:, 0] > threshold) and `score` FP32 [-1, 2]."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _const(name: str, value) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(
        np.asarray(value), name))


def threshold_model(threshold: float, fail_above: float | None = None,
                    slow: bool = False) -> onnx.ModelProto:
    """`fail_above`: rows whose x[:, 0] exceeds it make ONNX Runtime fail the
    request (a Gather out of bounds). `slow`: a few hundred million
    multiply-adds that depend on the input, so nothing folds them away."""
    nodes = [
        _const("starts", np.array([0], np.int64)), _const("ends", np.array([1], np.int64)),
        _const("axes", np.array([1], np.int64)),
        _const("thr", np.array(threshold, np.float32)),
        _const("one", np.array(1.0, np.float32)), _const("flat", np.array([-1], np.int64)),
        helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["x0"]),
        helper.make_node("Greater", ["x0", "thr"], ["gt"]),
        helper.make_node("Cast", ["gt"], ["s"], to=TensorProto.FLOAT),
        helper.make_node("Sub", ["one", "s"], ["not_s"]),
        helper.make_node("Cast", ["gt"], ["label_2d"], to=TensorProto.INT64),
        helper.make_node("Reshape", ["label_2d", "flat"], ["label"]),
    ]
    score = "score_raw"
    nodes.append(helper.make_node("Concat", ["not_s", "s"], [score], axis=1))
    if fail_above is not None:
        nodes += [
            _const("fail_thr", np.array(fail_above, np.float32)),
            _const("five", np.array(5, np.int64)),
            _const("table", np.zeros(2, np.float32)),
            helper.make_node("Greater", ["x0", "fail_thr"], ["bad"]),
            helper.make_node("Cast", ["bad"], ["bad_i"], to=TensorProto.INT64),
            helper.make_node("Mul", ["bad_i", "five"], ["index"]),  # 5: out of bounds
            helper.make_node("Gather", ["table", "index"], ["zero"]),
            helper.make_node("Add", [score, "zero"], ["score_checked"]),
        ]
        score = "score_checked"
    if slow:
        nodes += [
            _const("big_shape", np.array([4096, 1024], np.int64)),
            _const("w_shape", np.array([1024, 1024], np.int64)),
            _const("tiny", np.array(1e-3, np.float32)),
            _const("zero_f", np.array(0.0, np.float32)),
            helper.make_node("ReduceSum", ["x"], ["total"], keepdims=0),
            helper.make_node("Mul", ["total", "zero_f"], ["nothing"]),
            helper.make_node("Add", ["nothing", "tiny"], ["fill"]),
            helper.make_node("Expand", ["fill", "big_shape"], ["activations"]),
            helper.make_node("Expand", ["fill", "w_shape"], ["weights"]),
            helper.make_node("MatMul", ["activations", "weights"], ["h1"]),
            helper.make_node("MatMul", ["h1", "weights"], ["h2"]),
            helper.make_node("MatMul", ["h2", "weights"], ["h3"]),
            helper.make_node("ReduceSum", ["h3"], ["h_total"], keepdims=0),
            helper.make_node("Mul", ["h_total", "zero_f"], ["slow_zero"]),
            helper.make_node("Add", [score, "slow_zero"], ["score_slow"]),
        ]
        score = "score_slow"
    nodes.append(helper.make_node("Identity", [score], ["score"]))
    graph = helper.make_graph(
        nodes, "threshold",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["n"]),
         helper.make_tensor_value_info("score", TensorProto.FLOAT, ["n", 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_model(repo: Path, name: str, model: onnx.ModelProto, version: int = 1) -> Path:
    path = repo / name / str(version) / "model.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path.parent
