"""P2: FastAPI + the onnxruntime Python package, serving a model repository.

Run: BENCH_MODEL_REPOSITORY=DIR uvicorn ort_service:app --workers N

It serves the same ONNX files as inferd (DIR/<model>/<version>/model.onnx, the
newest version) and speaks the part of KServe v2 the benchmark sends, so one
request body goes to both servers:
  POST /v2/models/{name}/infer  JSON tensors, or the binary tensor extension
                                (Inference-Header-Content-Length), both directions
  GET  /v2/health/ready         200 once every model is loaded

Written as a performance-minded FastAPI user would, to give the peer its best
shot: the raw body goes through json.loads and numpy, not pydantic models
(which are several times slower on large tensors); one InferenceSession per
model with one intra-op thread, since uvicorn's worker processes are the
parallelism (BENCH_ORT_THREADS changes it).
"""
import json
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, HTTPException, Request, Response

KSERVE_TO_NUMPY = {
    "BOOL": np.bool_,
    "UINT8": np.uint8,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "FP16": np.float16,
    "FP32": np.float32,
    "FP64": np.float64,
}
NUMPY_TO_KSERVE = {np.dtype(v): k for k, v in KSERVE_TO_NUMPY.items()}


def load_repository(root: str) -> dict:
    """One session per model, for its highest numeric version."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(os.environ.get("BENCH_ORT_THREADS", "1"))
    options.inter_op_num_threads = 1
    newest: dict = {}
    for path in Path(root).glob("*/*/model.onnx"):
        if path.parent.name.isdigit():
            name, version = path.parent.parent.name, int(path.parent.name)
            if version > newest.get(name, (0, None))[0]:
                newest[name] = (version, path)
    return {
        name: ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        for name, (_, path) in newest.items()
    }


SESSIONS = load_repository(os.environ["BENCH_MODEL_REPOSITORY"])
app = FastAPI()


@app.get("/v2/health/ready")
async def ready():
    return {"ready": True}


def decode_inputs(body: bytes, header_length: int | None) -> tuple[dict, dict]:
    """The request's JSON header and its input arrays (binary blobs follow the header)."""
    header = json.loads(body[:header_length] if header_length else body)
    offset = header_length or 0
    feeds = {}
    for tensor in header["inputs"]:
        dtype = np.dtype(KSERVE_TO_NUMPY[tensor["datatype"]])
        size = tensor.get("parameters", {}).get("binary_data_size")
        if size is not None:
            array = np.frombuffer(body, dtype=dtype, count=size // dtype.itemsize, offset=offset)
            offset += size
        else:
            array = np.asarray(tensor["data"], dtype=dtype)
        feeds[tensor["name"]] = array.reshape(tensor["shape"])
    return header, feeds


def as_array(value) -> np.ndarray:
    """A converted classifier's ZipMap output (a list of {label: p}) as [rows, classes]."""
    if isinstance(value, list):
        return np.array([[row[k] for k in sorted(row)] for row in value], dtype=np.float32)
    return value


def encode_outputs(name: str, names: list, values: list, binary: bool) -> Response:
    outputs, blobs = [], []
    for out_name, value in zip(names, values):
        array = as_array(value)
        tensor = {"name": out_name, "datatype": NUMPY_TO_KSERVE[array.dtype], "shape": list(array.shape)}
        if binary:
            blob = np.ascontiguousarray(array).tobytes()
            tensor["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            tensor["data"] = array.ravel().tolist()
        outputs.append(tensor)
    header = json.dumps({"model_name": name, "outputs": outputs}).encode()
    if not binary:
        return Response(header, media_type="application/json")
    return Response(
        b"".join([header, *blobs]),
        media_type="application/octet-stream",
        headers={"Inference-Header-Content-Length": str(len(header))},
    )


@app.post("/v2/models/{name}/infer")
async def infer(name: str, request: Request):
    session = SESSIONS.get(name)
    if session is None:
        raise HTTPException(status_code=404, detail=f"unknown model {name}")
    body = await request.body()
    header_length = request.headers.get("inference-header-content-length")
    header, feeds = decode_inputs(body, int(header_length) if header_length else None)
    # Called on the event loop, like the seeds' service: a worker runs one at a time.
    values = session.run(None, feeds)
    names = [o.name for o in session.get_outputs()]
    binary = bool(header.get("parameters", {}).get("binary_data_output", False))
    return encode_outputs(name, names, values, binary)
