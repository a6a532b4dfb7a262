"""The KServe v2 codec: every datatype both ways, the binary extension's
framing, casting to the model's datatypes, and answers that are malformed."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from inferd.errors import InferdError
from inferd.tensors import (
    HEADER_LENGTH,
    conform,
    datatype_of,
    decode_infer,
    encode_infer,
    normalize_inputs,
    tensor_bytes,
)

NUMERIC = [
    np.bool_,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.float16,
    np.float32,
    np.float64,
]


def answer_from_request(body: bytes, headers: dict[str, str]) -> tuple[bytes, str | None]:
    """Turn a request into the answer a server echoing its inputs would send."""
    n = headers.get(HEADER_LENGTH)
    head = json.loads(body[: int(n)] if n else body)
    outputs = []
    for entry in head["inputs"]:
        out = {k: entry[k] for k in ("name", "shape", "datatype")}
        if "data" in entry:
            out["data"] = entry["data"]
        else:
            out["parameters"] = entry["parameters"]
        outputs.append(out)
    new_head = json.dumps({"model_name": "echo", "model_version": "1", "outputs": outputs})
    rest = body[int(n) :] if n else b""
    return new_head.encode() + rest, str(len(new_head)) if n else None


@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("binary", [True, False, None])
def test_numeric_round_trip(dtype: type, binary: bool | None) -> None:
    rng = np.random.default_rng(0)
    array = (rng.random((3, 5)) * 100).astype(dtype)
    request = encode_infer({"x": array}, None, binary)
    body, length = answer_from_request(request.body, request.headers)
    got = decode_infer(body, length)["x"]
    assert got.dtype == array.dtype
    assert got.shape == array.shape
    np.testing.assert_array_equal(got, array)


def test_bytes_round_trip_binary() -> None:
    array = np.array([["a", "ü"], ["", "long " * 50]], dtype=object)
    request = encode_infer({"s": array}, None, None)
    assert HEADER_LENGTH in request.headers  # BYTES always travel raw
    body, length = answer_from_request(request.body, request.headers)
    got = decode_infer(body, length)["s"]
    assert got.tolist() == [[v.encode() for v in row] for row in array.tolist()]


def test_small_inputs_go_as_json_and_large_as_bytes() -> None:
    small = encode_infer({"x": np.zeros(4, np.float32)}, None, None)
    assert HEADER_LENGTH not in small.headers
    large = encode_infer({"x": np.zeros(1000, np.float32)}, None, None)
    assert large.headers[HEADER_LENGTH].isdigit()
    head = json.loads(large.body[: int(large.headers[HEADER_LENGTH])])
    assert head["inputs"][0]["parameters"]["binary_data_size"] == 4000
    assert head["parameters"]["binary_data_output"] is True


def test_requested_outputs_are_raw() -> None:
    request = encode_infer({"x": np.zeros(4, np.float32)}, ["label"], None)
    head = json.loads(request.body)
    assert head["outputs"] == [{"name": "label", "parameters": {"binary_data": True}}]


def test_big_endian_arrays_are_sent_little_endian() -> None:
    array = np.arange(6, dtype=">f4")
    assert datatype_of(array) == "FP32"
    assert tensor_bytes(array, "FP32") == np.arange(6, dtype="<f4").tobytes()


def test_conform_casts_to_the_declared_datatypes() -> None:
    metadata = {
        "inputs": [
            {"name": "a", "datatype": "FP32"},
            {"name": "b", "datatype": "BYTES"},
            {"name": "c", "datatype": "INT64"},
        ]
    }
    out = conform(
        {"a": np.ones(2), "b": np.array([1, 2]), "c": np.array([1, 2], np.int32)}, metadata
    )
    assert out["a"].dtype == np.float32
    assert out["b"].dtype == object and out["b"].tolist() == ["1", "2"]
    assert out["c"].dtype == np.int64


def test_normalize_inputs() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"age": [1.0, 2.0], "city": ["a", "b"]})
    per_column = normalize_inputs(frame, ["age", "city"])
    assert per_column["age"].shape == (2, 1) and per_column["city"].tolist() == [["a"], ["b"]]
    whole = normalize_inputs(pd.DataFrame({"x": [1.0], "y": [2.0]}), ["input"])
    assert whole["input"].shape == (1, 2)
    with pytest.raises(InferdError, match="pass a dict"):
        normalize_inputs(np.zeros(3), ["a", "b"])


def test_truncated_and_inconsistent_answers_raise() -> None:
    head = json.dumps(
        {
            "outputs": [
                {
                    "name": "y",
                    "datatype": "FP32",
                    "shape": [4],
                    "parameters": {"binary_data_size": 16},
                }
            ]
        }
    ).encode()
    with pytest.raises(InferdError, match="cut short"):
        decode_infer(head + b"\0" * 8, str(len(head)))
    with pytest.raises(InferdError, match="past the body"):
        decode_infer(head, str(len(head) + 1))
    with pytest.raises(InferdError, match="bad"):
        decode_infer(head, "x")
    wrong = json.dumps(
        {
            "outputs": [
                {
                    "name": "y",
                    "datatype": "FP32",
                    "shape": [3],
                    "parameters": {"binary_data_size": 16},
                }
            ]
        }
    ).encode()
    with pytest.raises(InferdError, match="do not hold"):
        decode_infer(wrong + b"\0" * 16, str(len(wrong)))


def test_mutated_answers_never_escape_as_other_errors() -> None:
    """A seeded fuzz of decode_infer: every mutation of a valid answer either
    parses or raises InferdError, nothing else."""
    request = encode_infer(
        {"x": np.arange(64, dtype=np.float32), "s": np.array(["ab", "c"], dtype=object)}, None, True
    )
    body, length = answer_from_request(request.body, request.headers)
    rng = random.Random(7)
    for _ in range(20000):
        data = bytearray(body)
        for _ in range(rng.randint(1, 6)):
            op = rng.random()
            i = rng.randrange(len(data))
            if op < 0.5:
                data[i] = rng.randrange(256)
            elif op < 0.75:
                del data[i : i + rng.randint(1, 8)]
            else:
                data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        header = length if rng.random() < 0.9 else str(rng.randint(-5, len(data) + 5))
        try:
            decode_infer(bytes(data), header)
        except InferdError:
            pass


def test_conform_refuses_casts_that_change_values() -> None:
    from inferd.errors import InvalidInputError

    declared = {
        "inputs": [
            {"name": "i", "datatype": "INT32"},
            {"name": "u", "datatype": "UINT8"},
            {"name": "b", "datatype": "BOOL"},
            {"name": "f", "datatype": "FP32"},
        ]
    }
    for name, values in (("i", [1.7]), ("i", [2**40]), ("u", [300, -1]), ("b", [0.2])):
        with pytest.raises(InvalidInputError, match=f"input '{name}'"):
            conform({name: np.array(values)}, declared)
    ok = conform(
        {
            "i": np.array([1.0, -3.0]),
            "u": np.array([0, 255]),
            "b": np.array([1.0, 0.0]),
            "f": np.array([0.1], np.float64),
        },
        declared,
    )
    assert ok["i"].dtype == np.int32 and ok["i"].tolist() == [1, -3]
    assert ok["b"].tolist() == [True, False] and ok["f"].dtype == np.float32
    # an object array of numbers (a DataFrame of mixed columns) becomes numbers
    assert conform({"i": np.array([1, 2], dtype=object)}, declared)["i"].dtype == np.int32


def test_bytes_outputs_must_use_every_byte() -> None:
    from inferd.tensors import array_from_bytes

    blob = tensor_bytes(np.array([b"ab", b"c"], dtype=object), "BYTES")
    assert array_from_bytes(blob, "BYTES", [2]).tolist() == [b"ab", b"c"]
    with pytest.raises(InferdError, match="past its elements"):
        array_from_bytes(blob + b"x", "BYTES", [2])
    with pytest.raises(InferdError, match="cannot hold"):
        array_from_bytes(blob, "BYTES", [10**12])
