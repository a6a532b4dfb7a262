"""Every KServe datatype through `identity_all_types` (in_<DT> -> Identity ->
out_<DT>): plain JSON, binary tensors, and the official tritonclient.http in
both modes. Integers, BOOL and BYTES must come back bit-exact; floats exactly
(the values are representable in their type)."""
import math

import ml_dtypes
import numpy as np
import pytest
import requests
import tritonclient.http as httpclient

from e2e_lib import NP_DTYPES, binary_body, infer_url, json_tensor, parse_infer_response, to_blob

MODEL = "identity_all_types"
DATATYPES = list(NP_DTYPES)
SHAPE = (2, 3)


def _bf16(*vals):
    return [float(ml_dtypes.bfloat16(v)) for v in vals]


# JSON-safe values: edges of each integer range, float extremes and subnormals,
# non-ASCII UTF-8 and characters JSON must escape.
JSON_VALUES = {
    "BOOL": [True, False, True, False, False, True],
    "UINT8": [0, 1, 127, 128, 254, 255],
    "UINT16": [0, 1, 255, 256, 65534, 65535],
    "UINT32": [0, 1, 65535, 65536, 2**32 - 2, 2**32 - 1],
    "UINT64": [0, 1, 2**32, 2**53 + 1, 2**63, 2**64 - 1],
    "INT8": [-128, -1, 0, 1, 126, 127],
    "INT16": [-32768, -1, 0, 1, 32766, 32767],
    "INT32": [-(2**31), -1, 0, 1, 2**31 - 2, 2**31 - 1],
    "INT64": [-(2**63), -(2**53) - 1, -1, 0, 2**53 + 1, 2**63 - 1],
    "FP16": [0.0, 0.5, -2.0, 65504.0, 6.103515625e-05, 5.960464477539063e-08],
    "FP32": [0.0, -1.5, 3.4028234663852886e38, 1.1754943508222875e-38,
             1.401298464324817e-45, float(np.float32(0.1))],
    "FP64": [0.0, -0.1, 1e300, 5e-324, 2.2250738585072014e-308, 1 / 3],
    "BF16": _bf16(1.0, -2.0, 0.5, 3.140625, 1e10, -1e-20),
    "BYTES": ["", "a", "héllo wörld", "日本語", "😀", 'q"\\/\n\t\x01'],
}  # fmt: skip

# Binary-only values: NaN/Inf/-0.0 and BYTES that are not UTF-8 (or hold NULs).
BINARY_OVERRIDES = {
    "FP16": [math.nan, math.inf, -math.inf, -0.0],
    "FP32": [math.nan, math.inf, -math.inf, -0.0],
    "FP64": [math.nan, math.inf, -math.inf, -0.0],
    "BF16": [math.nan, math.inf, -math.inf, -0.0],
    "BYTES": [b"\xff\xfe\xfd", b"\x00", b"a\x00b", b"\x80"],
}


def make_tensors(binary_values: bool) -> dict:
    out = {}
    for dt in DATATYPES:
        vals = list(JSON_VALUES[dt])
        if binary_values and dt in BINARY_OVERRIDES:
            vals[: len(BINARY_OVERRIDES[dt])] = BINARY_OVERRIDES[dt]
        if dt == "BYTES":
            arr = np.array([v if isinstance(v, bytes) else v.encode() for v in vals], dtype=object)
        elif dt in ("FP16", "BF16"):
            arr = np.array(vals, dtype=np.float64).astype(NP_DTYPES[dt])
        else:
            arr = np.array(vals, dtype=NP_DTYPES[dt])
        out[dt] = arr.reshape(SHAPE)
    return out


def assert_identical(dt, got: np.ndarray, want: np.ndarray):
    assert got.shape == want.shape, (dt, got.shape, want.shape)
    if dt == "BYTES":
        g = [v if isinstance(v, bytes) else v.encode() for v in got.reshape(-1)]
        assert g == list(want.reshape(-1)), dt
    else:
        assert got.dtype == want.dtype, (dt, got.dtype, want.dtype)
        assert got.tobytes() == want.tobytes(), f"{dt}: got {got!r}, want {want!r}"


def test_values_are_what_they_claim():
    """Guard the test data itself: JSON values are exact in their dtype."""
    t = make_tensors(binary_values=False)
    for dt in DATATYPES:
        flat = t[dt].reshape(-1).tolist()
        if dt == "BYTES":
            assert [v.decode() for v in flat] == JSON_VALUES[dt]
        elif dt in ("FP16", "FP32", "FP64", "BF16"):
            assert [float(v) for v in flat] == JSON_VALUES[dt], dt
        else:
            assert flat == JSON_VALUES[dt], dt


@pytest.mark.parametrize("nested", [False, True])
def test_raw_json_in_json_out(base_url, nested):
    t = make_tensors(binary_values=False)
    inputs = []
    for dt in DATATYPES:
        spec = json_tensor(f"in_{dt}", t[dt], dt)
        if nested:
            spec["data"] = np.array(spec["data"], dtype=object).reshape(SHAPE).tolist()
        inputs.append(spec)
    r = requests.post(infer_url(base_url, MODEL), json={"inputs": inputs}, timeout=30)
    assert r.status_code == 200, r.content
    assert "Inference-Header-Content-Length" not in r.headers
    header, got = parse_infer_response(r)
    assert {o["name"] for o in header["outputs"]} == {f"out_{dt}" for dt in DATATYPES}
    for o in header["outputs"]:
        dt = o["name"][4:]
        assert o["datatype"] == dt
        assert o["shape"] == list(SHAPE)
        if dt in ("FP16", "BF16"):
            assert all(isinstance(v, (int, float)) for v in o["data"]), "FP16/BF16 JSON are numbers"
        if dt == "BYTES":
            assert all(isinstance(v, str) for v in o["data"]), "BYTES JSON elements are strings"
        assert_identical(dt, got[o["name"]], t[dt])


def test_raw_binary_in_binary_out(base_url):
    t = make_tensors(binary_values=True)
    blobs = [to_blob(t[dt], dt) for dt in DATATYPES]
    header = {
        "inputs": [{"name": f"in_{dt}", "shape": list(SHAPE), "datatype": dt,
                    "parameters": {"binary_data_size": len(b)}} for dt, b in zip(DATATYPES, blobs)],
        "outputs": [{"name": f"out_{dt}", "parameters": {"binary_data": True}} for dt in DATATYPES],
    }  # fmt: skip
    body, headers = binary_body(header, blobs)
    r = requests.post(infer_url(base_url, MODEL), data=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.content
    h, got = parse_infer_response(r)
    sizes = {o["name"]: o["parameters"]["binary_data_size"] for o in h["outputs"]}
    for dt, blob in zip(DATATYPES, blobs):
        assert sizes[f"out_{dt}"] == len(blob), dt
        assert_identical(dt, got[f"out_{dt}"], t[dt])


@pytest.mark.parametrize("direction", ["json_in_binary_out", "binary_in_json_out"])
def test_raw_mixed_directions(base_url, direction):
    t = make_tensors(binary_values=False)
    json_in = direction == "json_in_binary_out"
    inputs, blobs = [], []
    for dt in DATATYPES:
        if json_in:
            inputs.append(json_tensor(f"in_{dt}", t[dt], dt))
        else:
            blobs.append(to_blob(t[dt], dt))
            inputs.append({"name": f"in_{dt}", "shape": list(SHAPE), "datatype": dt,
                           "parameters": {"binary_data_size": len(blobs[-1])}})  # fmt: skip
    outputs = [{"name": f"out_{dt}", "parameters": {"binary_data": json_in}} for dt in DATATYPES]
    body, headers = binary_body({"inputs": inputs, "outputs": outputs}, blobs)
    r = requests.post(infer_url(base_url, MODEL), data=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.content
    _, got = parse_infer_response(r)
    for dt in DATATYPES:
        assert_identical(dt, got[f"out_{dt}"], t[dt])


def test_zero_sized_tensors(base_url):
    inputs = [{"name": f"in_{dt}", "shape": [0, 3], "datatype": dt, "data": []} for dt in DATATYPES]
    r = requests.post(infer_url(base_url, MODEL), json={"inputs": inputs}, timeout=30)
    assert r.status_code == 200, r.content
    header, got = parse_infer_response(r)
    for o in header["outputs"]:
        assert o["shape"] == [0, 3], o
        assert got[o["name"]].size == 0


# ------------------------------------------------------------ tritonclient
@pytest.fixture
def client(server):
    c = httpclient.InferenceServerClient(url=server.host_port)
    yield c
    c.close()


def triton_inputs(t: dict, binary: bool):
    inputs = []
    for dt in DATATYPES:
        inp = httpclient.InferInput(f"in_{dt}", list(SHAPE), dt)
        # tritonclient refuses BF16 as JSON: it always goes binary.
        inp.set_data_from_numpy(t[dt], binary_data=binary or dt == "BF16")
        inputs.append(inp)
    return inputs


@pytest.mark.parametrize("binary", [True, False])
def test_tritonclient_roundtrip(client, binary):
    t = make_tensors(binary_values=binary)
    outputs = [httpclient.InferRequestedOutput(f"out_{dt}", binary_data=binary) for dt in DATATYPES]
    result = client.infer(MODEL, triton_inputs(t, binary), outputs=outputs)
    for dt in DATATYPES:
        got = result.as_numpy(f"out_{dt}")
        assert got is not None, dt
        assert_identical(dt, got, t[dt])


def test_tritonclient_default_outputs(client):
    """No requested outputs: every output comes back."""
    t = make_tensors(binary_values=True)
    result = client.infer(MODEL, triton_inputs(t, True))
    for dt in DATATYPES:
        assert_identical(dt, result.as_numpy(f"out_{dt}"), t[dt])
