"""The request bodies every workload sends, written once as files for the load
generators (wrk, ghz, openloop): KServe JSON and binary, the seeds' /predict
features, BentoML's, TorchServe's and MLflow's JSON, and ghz's gRPC data, all from the
example models' data sets."""
from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import numpy as np

from harness import BATCH_ROWS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import make_example_models as examples  # noqa: E402  (the data sets the models were trained on)


# ------------------------------------------------------------------ request bodies
def rounded(array: np.ndarray) -> np.ndarray:
    """Four decimals, so JSON stays short and the binary body carries the same values."""
    return np.round(array.astype(np.float64), 4)


def kserve_json(name: str, array: np.ndarray) -> bytes:
    flat = [float(v) for v in rounded(array).ravel()]
    return json.dumps({"inputs": [{"name": name, "datatype": "FP32", "shape": list(array.shape),
                                   "data": flat}]}, separators=(",", ":")).encode()


def kserve_binary(name: str, array: np.ndarray) -> tuple[bytes, int]:
    """The binary tensor extension: a JSON header, then the raw little-endian tensor."""
    blob = rounded(array).astype("<f4").tobytes()
    header = json.dumps({"inputs": [{"name": name, "datatype": "FP32", "shape": list(array.shape),
                                     "parameters": {"binary_data_size": len(blob)}}],
                         "parameters": {"binary_data_output": True}}, separators=(",", ":")).encode()
    return header + blob, len(header)


def features(array: np.ndarray) -> bytes:
    """The seeds' /predict body: one row as a flat list, several as a list of rows."""
    values = rounded(array).tolist()
    return json.dumps({"features": values[0] if array.shape[0] == 1 else values}).encode()


def bento(model: str, array: np.ndarray) -> bytes:
    """The BentoML peer's body (peers/bentoml/ort_service.py): the model's name and
    the rows, in the input's own shape."""
    return json.dumps({"model": model, "instances": rounded(array).tolist()},
                      separators=(",", ":")).encode()


def instances(array: np.ndarray) -> bytes:
    """TorchServe's body (peers/torchserve/ort_handler.py), MLflow's (its scoring
    server's "instances" form, a tensor) and Ray Serve's (peers/rayserve/ort_app.py):
    the rows, in the input's own shape; the model is in the URL, or is the server's
    only one."""
    return json.dumps({"instances": rounded(array).tolist()}, separators=(",", ":")).encode()


def ghz_data(model: str, name: str, array: np.ndarray) -> bytes:
    raw = rounded(array).astype("<f4").tobytes()
    return json.dumps({"model_name": model, "inputs": [{"name": name, "datatype": "FP32",
                                                        "shape": list(array.shape)}],
                       "raw_input_contents": [base64.b64encode(raw).decode()]}).encode()


def write_bodies(directory: Path) -> dict:
    """Every request body, as files for the load generators; binary ones with their header."""
    directory.mkdir(parents=True, exist_ok=True)
    cancer, _ = examples.breast_cancer()
    iris, _ = examples.iris()
    rng = np.random.default_rng(0)
    w1 = cancer[:1]
    w2_batch = np.resize(iris, (BATCH_ROWS, iris.shape[1]))
    mlp = rng.standard_normal((1, 64)).astype(np.float32)
    image = rng.random((1, 3, 224, 224), dtype=np.float32)
    bodies = {
        "w1_kserve.json": kserve_json("float_input", w1),
        "w1_features.json": features(w1),
        "w1_ghz.json": ghz_data("logreg", "float_input", w1),
        "l2_identity.json": kserve_json("x", w1),
        "w2_kserve_1.json": kserve_json("float_input", iris[:1]),
        "w2_features_1.json": features(iris[:1]),
        "w2_kserve_1000.json": kserve_json("float_input", w2_batch),
        "w2_features_1000.json": features(w2_batch),
        "w3_kserve.json": kserve_json("x", mlp),
        "w4_kserve.json": kserve_json("input", image),
    }
    # The JSON peers' bodies, as harness.Bench.json_peer_rows names them: <tag>_<peer>.json.
    for tag, model, array in (("w1", "logreg", w1), ("w2_1", "random_forest", iris[:1]),
                              ("w2_1000", "random_forest", w2_batch),
                              ("w3", "mlp_wide_unbatched", mlp), ("w4", "resnet_mini", image)):
        bodies[f"{tag}_bentoml.json"] = bento(model, array)
        for peer in ("torchserve", "mlflow", "rayserve"):
            bodies[f"{tag}_{peer}.json"] = instances(array)
    headers = {}
    for name, array in (("w2_binary_1000.bin", w2_batch), ("w4_binary.bin", image)):
        bodies[name], header_len = kserve_binary("float_input" if "w2" in name else "input", array)
        headers[name] = [f"Inference-Header-Content-Length: {header_len}",
                         "Content-Type: application/octet-stream"]
    paths = {}
    for name, data in bodies.items():
        (directory / name).write_bytes(data)
        paths[name] = directory / name
    return {"paths": paths, "headers": headers}

