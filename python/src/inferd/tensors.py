"""numpy arrays to and from the KServe v2 wire: JSON tensors and the binary
tensor extension (raw little-endian bytes after a JSON header; BYTES elements
as a 4-byte little-endian length, then the bytes)."""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InferdError, InvalidInputError

# KServe v2 datatype names and the numpy dtypes they are written from.
_TO_NUMPY: dict[str, np.dtype] = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
}
_FROM_NUMPY = {dtype: name for name, dtype in _TO_NUMPY.items()}

HEADER_LENGTH = "Inference-Header-Content-Length"
# Inputs at least this large travel as raw bytes; smaller ones as JSON, which
# costs less than the header's bookkeeping for a handful of numbers.
BINARY_MIN_BYTES = 256


def datatype_of(array: np.ndarray) -> str:
    """The KServe datatype for an array: its numeric type, or BYTES for strings
    and bytes (numpy's U, S and object arrays)."""
    if array.dtype.kind in "USO":
        return "BYTES"
    name = _FROM_NUMPY.get(
        array.dtype.newbyteorder("=") if array.dtype.byteorder == ">" else array.dtype
    )
    if name is None:
        raise TypeError(f"numpy dtype {array.dtype} has no KServe v2 datatype")
    return name


def numpy_dtype(datatype: str) -> np.dtype:
    """The numpy dtype a KServe datatype is read into (object for BYTES)."""
    if datatype == "BYTES":
        return np.dtype(object)
    if datatype == "BF16":
        raise InferdError(0, "BF16 outputs need ml_dtypes; ask for FP32 instead")
    try:
        return _TO_NUMPY[datatype]
    except KeyError:
        raise InferdError(0, f"unknown datatype '{datatype}' in the server's answer") from None


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return str(value).encode()


def _bytes_payload(array: np.ndarray) -> bytes:
    parts = []
    for value in array.reshape(-1):
        raw = _as_bytes(value)
        parts.append(struct.pack("<I", len(raw)))
        parts.append(raw)
    return b"".join(parts)


def _raw_payload(array: np.ndarray) -> bytes:
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return np.ascontiguousarray(little).tobytes()


def tensor_bytes(array: np.ndarray, datatype: str) -> bytes:
    """An array as the binary extension and gRPC's raw contents carry it."""
    return _bytes_payload(array) if datatype == "BYTES" else _raw_payload(array)


def array_from_bytes(raw: memoryview | bytes, datatype: str, shape: list[int]) -> np.ndarray:
    """The inverse of tensor_bytes, checked against the shape."""
    count = math.prod(shape)
    if datatype == "BYTES":
        return _decode_bytes_elements(memoryview(raw), count).reshape(shape)
    dtype = numpy_dtype(datatype)
    if len(raw) != count * dtype.itemsize:
        raise InferdError(0, f"{len(raw)} bytes do not hold {count} {datatype} elements")
    array = np.frombuffer(raw, dtype=dtype.newbyteorder("<"))
    return array.astype(dtype, copy=False).reshape(shape)


@dataclass
class EncodedRequest:
    """A request body and the headers that describe it."""

    body: bytes
    headers: dict[str, str]


def normalize_inputs(inputs: Any, input_names: list[str] | None) -> dict[str, np.ndarray]:
    """A numpy array (for a one-input model), a mapping of names to arrays, or a
    pandas DataFrame (one 2-D input of its values, or one input per column when
    the model's inputs are its column names) as named arrays."""
    if isinstance(inputs, Mapping):
        return {str(k): np.asarray(v) for k, v in inputs.items()}
    if _is_dataframe(inputs):
        columns = [str(c) for c in inputs.columns]
        if input_names and len(input_names) > 1 and set(input_names) <= set(columns):
            return {name: inputs[name].to_numpy().reshape(-1, 1) for name in input_names}
        inputs = inputs.to_numpy()
    array = np.asarray(inputs)
    if not input_names:
        raise InferdError(
            0,
            "an array without a name needs the model's input name: pass a dict {input_name: array}",
        )
    if len(input_names) != 1:
        raise InferdError(
            0,
            f"the model has {len(input_names)} inputs "
            f"({', '.join(input_names)}): pass a dict of arrays",
        )
    return {input_names[0]: array}


def conform(
    inputs: dict[str, np.ndarray], metadata: Mapping[str, Any] | None
) -> dict[str, np.ndarray]:
    """Cast each input to the datatype the model declares: numbers to its
    numeric type (float64 data for an FP32 input, say), an object array of
    numbers (a DataFrame of mixed columns) to numbers, anything to BYTES when
    it takes strings. A cast that would change a value (1.7 or 2**40 to
    INT32, -1 to UINT8, 0.2 to BOOL) raises InvalidInputError instead. Inputs
    the model does not declare are left for the server to refuse."""
    if not metadata:
        return inputs
    declared = {t.get("name"): t.get("datatype") for t in metadata.get("inputs", [])}
    out = {}
    for name, array in inputs.items():
        want = declared.get(name)
        if want == "BYTES" and array.dtype.kind not in "SO":
            array = array.astype(str).astype(object)
        elif want in _TO_NUMPY and array.dtype != _TO_NUMPY[want]:
            array = _numeric_cast(name, array, want)
        out[name] = array
    return out


def _numeric_cast(name: str, array: np.ndarray, datatype: str) -> np.ndarray:
    target = _TO_NUMPY[datatype]
    if array.dtype.kind == "O":
        try:
            array = np.array(array.tolist())
        except (TypeError, ValueError):
            return array  # ragged or mixed: the server says what is wrong
    if array.dtype.kind not in "biuf":
        return array
    # Floats narrow (float64 -> FP32 rounds, as every client does); anything
    # else must come back unchanged.
    if target.kind == "f" and array.dtype.kind in "biuf":
        return array.astype(target)
    with np.errstate(invalid="ignore", over="ignore"):
        cast = array.astype(target)
        same = np.array_equal(cast.astype(np.float64), array.astype(np.float64), equal_nan=True)
    if not same or (
        target.kind in "iu" and array.dtype.kind == "f" and not np.all(np.isfinite(array))
    ):
        raise InvalidInputError(
            0,
            f"input '{name}': values of {array.dtype} do not fit the "
            f"model's {datatype} without changing",
        )
    return cast


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "columns")


def encode_infer(
    inputs: Mapping[str, np.ndarray],
    outputs: list[str] | None,
    binary: bool | None,
    request_id: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> EncodedRequest:
    """A KServe v2 infer request. binary None chooses per input: raw bytes from
    BINARY_MIN_BYTES up, JSON below. Outputs are always asked for as raw bytes."""
    header: dict[str, Any] = {"inputs": []}
    if request_id:
        header["id"] = request_id
    if parameters:
        header["parameters"] = dict(parameters)
    blobs: list[bytes] = []
    for name, array in inputs.items():
        array = np.asarray(array)
        datatype = datatype_of(array)
        entry: dict[str, Any] = {"name": name, "shape": list(array.shape), "datatype": datatype}
        as_binary = (
            binary
            if binary is not None
            else array.nbytes >= BINARY_MIN_BYTES or datatype in ("BYTES", "FP16")
        )
        if as_binary:
            blob = tensor_bytes(array, datatype)
            entry["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        elif datatype == "BYTES":
            entry["data"] = [_as_bytes(v).decode("utf-8", "replace") for v in array.reshape(-1)]
        else:
            entry["data"] = array.reshape(-1).tolist()
        header["inputs"].append(entry)
    wanted = {"binary_data": True}
    if outputs:
        header["outputs"] = [{"name": n, "parameters": wanted} for n in outputs]
    else:
        header.setdefault("parameters", {})["binary_data_output"] = True
    head = json.dumps(header, separators=(",", ":")).encode()
    if not blobs:
        return EncodedRequest(head, {"Content-Type": "application/json"})
    return EncodedRequest(
        b"".join([head, *blobs]),
        {"Content-Type": "application/octet-stream", HEADER_LENGTH: str(len(head))},
    )


def _decode_bytes_elements(raw: memoryview, count: int) -> np.ndarray:
    if count * 4 > len(raw):  # every element has its 4-byte length
        raise InferdError(0, f"{len(raw)} bytes cannot hold {count} BYTES elements")
    out = np.empty(count, dtype=object)
    offset = 0
    for i in range(count):
        if offset + 4 > len(raw):
            raise InferdError(0, "a BYTES output ends inside an element's length")
        (size,) = struct.unpack_from("<I", raw, offset)
        offset += 4
        if offset + size > len(raw):
            raise InferdError(0, "a BYTES output ends inside an element")
        out[i] = bytes(raw[offset : offset + size])
        offset += size
    if offset != len(raw):
        raise InferdError(0, f"a BYTES output has {len(raw) - offset} bytes past its elements")
    return out


@dataclass
class InferResult:
    """One infer answer: the outputs by name, in the server's order, and the
    model name, version and request id it came with."""

    outputs: dict[str, np.ndarray]
    model_name: str
    model_version: str
    id: str | None

    def __getitem__(self, name: str) -> np.ndarray:
        return self.outputs[name]

    def first(self) -> np.ndarray:
        """The first output: the one that matters for a one-output model."""
        return next(iter(self.outputs.values()))


def decode_infer(body: bytes, header_length: str | None) -> InferResult:
    """Parse a KServe v2 infer answer, JSON or with raw output bytes; an answer
    that does not follow the protocol raises InferdError saying how."""
    view = memoryview(body)
    if header_length is not None:
        try:
            n = int(header_length)
        except ValueError:
            raise InferdError(0, f"bad {HEADER_LENGTH} '{header_length}'") from None
        if n < 0 or n > len(body):
            raise InferdError(0, f"{HEADER_LENGTH} {n} is past the body's {len(body)} bytes")
        head, rest = _json_object(view[:n]), view[n:]
    else:
        head, rest = _json_object(view), view[:0]
    offset = 0
    outputs: dict[str, np.ndarray] = {}
    listed = head.get("outputs", [])
    if not isinstance(listed, list):
        raise InferdError(0, "the answer's outputs are not a list")
    for out in listed:
        name, datatype, shape, size = _output_fields(out)
        if size is not None:
            raw = rest[offset : offset + size]
            if len(raw) != size:
                raise InferdError(0, f"output '{name}' is cut short")
            offset += size
            outputs[name] = array_from_bytes(raw, datatype, shape)
            continue
        data = out.get("data", [])
        if not isinstance(data, list):
            raise InferdError(0, f"output '{name}' has data that is not a list")
        try:
            if datatype == "BYTES":
                array = np.array(
                    [d.encode() if isinstance(d, str) else d for d in data], dtype=object
                )
            else:
                array = np.asarray(data, dtype=numpy_dtype(datatype))
            outputs[name] = array.reshape(shape)
        except (TypeError, ValueError) as e:
            raise InferdError(0, f"output '{name}': {e}") from None
    return InferResult(
        outputs,
        str(head.get("model_name", "")),
        str(head.get("model_version", "")),
        head.get("id"),
    )


def _json_object(raw: memoryview) -> dict[str, Any]:
    try:
        head = json.loads(bytes(raw))
    except (ValueError, UnicodeDecodeError):
        raise InferdError(0, "the answer's header is not JSON") from None
    if not isinstance(head, dict):
        raise InferdError(0, "the answer's header is not a JSON object")
    return head


def _output_fields(out: Any) -> tuple[str, str, list[int], int | None]:
    """name, datatype, shape and binary_data_size (None for JSON data) of one
    output, each checked for its type."""
    if not isinstance(out, dict) or not isinstance(out.get("name"), str):
        raise InferdError(0, "an output of the answer has no name")
    name = out["name"]
    datatype, shape = out.get("datatype"), out.get("shape")
    if not isinstance(datatype, str):
        raise InferdError(0, f"output '{name}' has no datatype")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise InferdError(0, f"output '{name}' has no valid shape")
    parameters = out.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise InferdError(0, f"output '{name}' has parameters that are not an object")
    size = parameters.get("binary_data_size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise InferdError(0, f"output '{name}' has a bad binary_data_size")
    return name, datatype, shape, size
