"""Writes an ONNX file as an MLflow model folder, as `mlflow.onnx` documents it:
`mlflow.onnx.save_model` with the CPU provider and one ONNX Runtime thread (the
benchmark runs one `mlflow models serve` worker per core).

  python save_model.py MODEL.onnx OUT_DIR
"""
from __future__ import annotations

import sys

import mlflow.onnx
import onnx


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    mlflow.onnx.save_model(onnx.load(source), target,
                           onnx_execution_providers=["CPUExecutionProvider"],
                           onnx_session_options={"intra_op_num_threads": 1,
                                                 "inter_op_num_threads": 1})


if __name__ == "__main__":
    main()
