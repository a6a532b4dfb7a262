"""Bad infer requests get 400 with {"error": "..."}; the server keeps serving
(each bad request is followed by a valid one that must succeed)."""
import json
import struct

import numpy as np
import pytest
import requests

from e2e_lib import (NP_DTYPES, assert_error, infer_json, infer_url, json_tensor, mem,
                     parse_infer_response, to_blob)  # fmt: skip

X = mem.sample_inputs("logreg", n=1, seed=0)["float_input"]
ROW = [float(v) for v in X.reshape(-1)]
ROW_BLOB = X.astype(np.float32).tobytes()  # 120 bytes


def j(obj) -> bytes:
    return json.dumps(obj).encode()


def logreg(shape=(1, 30), datatype="FP32", data=ROW, name="float_input", **extra) -> bytes:
    inp = {"name": name, "shape": list(shape) if isinstance(shape, tuple) else shape,
           "datatype": datatype, "data": data}  # fmt: skip
    return j({"inputs": [inp], **extra})


def binary(inputs, blob: bytes, header_len=None, **extra):
    head = j({"inputs": inputs, **extra})
    hl = str(len(head)) if header_len is None else str(header_len)
    return head + blob, {"Inference-Header-Content-Length": hl}


def bin_input(shape=(1, 30), size=120, name="float_input", datatype="FP32"):
    return {"name": name, "shape": list(shape), "datatype": datatype,
            "parameters": {"binary_data_size": size}}  # fmt: skip


def identity(override_dt: str, spec: dict) -> bytes:
    """A full identity_all_types request with one input replaced by `spec`."""
    inputs = []
    for dt, np_dt in NP_DTYPES.items():
        if dt == override_dt:
            inputs.append({"name": f"in_{dt}", "datatype": dt, **spec})
            continue
        arr = (np.array([[b"a"]], dtype=object) if dt == "BYTES"
               else np.ones((1, 1), dtype=np.float32).astype(np_dt))  # fmt: skip
        inputs.append(json_tensor(f"in_{dt}", arr, dt))
    return j({"inputs": inputs})


SP_X = {"name": "x", "shape": [1, 1], "datatype": "FP32", "data": [0.5]}

# (id, model, body, headers)
CASES = [
    ("malformed_json", "logreg", b'{"inputs": [', {}),
    ("empty_body", "logreg", b"", {}),
    ("top_level_array", "logreg", b"[1, 2, 3]", {}),
    ("no_inputs", "logreg", j({}), {}),
    ("inputs_not_a_list", "logreg", j({"inputs": {"float_input": ROW}}), {}),
    ("input_without_datatype", "logreg",
     j({"inputs": [{"name": "float_input", "shape": [1, 30], "data": ROW}]}), {}),
    ("input_without_shape", "logreg",
     j({"inputs": [{"name": "float_input", "datatype": "FP32", "data": ROW}]}), {}),
    ("input_without_data", "logreg",
     j({"inputs": [{"name": "float_input", "shape": [1, 30], "datatype": "FP32"}]}), {}),
    ("wrong_datatype", "logreg", logreg(datatype="INT32", data=[1] * 30), {}),
    ("unknown_datatype", "logreg", logreg(datatype="FLOAT"), {}),
    ("wrong_rank", "logreg", logreg(shape=(30,)), {}),
    ("wrong_fixed_dim", "logreg", logreg(shape=(1, 29), data=ROW[:29]), {}),
    ("too_few_elements", "logreg", logreg(data=ROW[:29]), {}),
    ("too_many_elements", "logreg", logreg(data=ROW + [1.0]), {}),
    ("nested_data_wrong_shape", "logreg", logreg(shape=(2, 30), data=[ROW[:20], ROW[:20]]), {}),
    ("shape_not_a_list", "logreg", logreg(shape="1,30"), {}),
    ("shape_not_integers", "logreg", logreg(shape=[1, 30.5]), {}),
    ("negative_dim", "logreg", logreg(shape=(-1, 30)), {}),
    ("huge_dim", "logreg", logreg(shape=(2**62, 30)), {}),
    ("huge_dim_fixed_rank", "logreg", logreg(shape=(1, 2**62)), {}),
    ("dim_beyond_int64", "logreg", logreg(shape=(2**70, 30)), {}),
    ("overflowing_dims", "identity_all_types",
     identity("FP32", {"shape": [2**33, 2**33], "data": [1.0]}), {}),
    ("fp32_data_as_strings", "logreg", logreg(data=["1.0"] * 30), {}),
    ("data_null", "logreg", logreg(data=None), {}),
    ("int8_out_of_range", "identity_all_types", identity("INT8", {"shape": [1, 1], "data": [300]}), {}),
    ("uint8_negative", "identity_all_types", identity("UINT8", {"shape": [1, 1], "data": [-1]}), {}),
    ("bool_as_string", "identity_all_types", identity("BOOL", {"shape": [1, 1], "data": ["yes"]}), {}),
    ("unknown_input_name", "logreg", logreg(name="nope"), {}),
    ("extra_unknown_input", "logreg",
     j({"inputs": [json.loads(logreg())["inputs"][0],
                   {"name": "extra", "shape": [1], "datatype": "FP32", "data": [1.0]}]}), {}),
    ("missing_input", "string_pipeline",
     j({"inputs": [{"name": "city", "shape": [1, 1], "datatype": "BYTES", "data": ["oslo"]}]}), {}),
    ("bytes_element_is_number", "string_pipeline",
     j({"inputs": [{"name": "city", "shape": [1, 1], "datatype": "BYTES", "data": [5]}, SP_X]}), {}),
    ("unknown_output_name", "logreg", logreg(outputs=[{"name": "no_such_output"}]), {}),
    ("invalid_utf8_in_id", "logreg", logreg()[:-1] + b', "id": "\xff\xfe"}', {}),
    ("invalid_utf8_in_bytes_data", "string_pipeline",
     b'{"inputs": [{"name": "city", "shape": [1, 1], "datatype": "BYTES", "data": ["\xc3\x28"]}, '
     + j(SP_X) + b"]}", {}),
    ("binary_size_beyond_body", "logreg", *binary([bin_input()], ROW_BLOB[:100])),
    ("binary_trailing_bytes", "logreg", *binary([bin_input()], ROW_BLOB + b"\x00" * 8)),
    ("binary_size_disagrees_with_shape", "logreg", *binary([bin_input(size=116)], ROW_BLOB[:116])),
    ("binary_size_negative", "logreg", *binary([bin_input(size=-1)], ROW_BLOB)),
    ("binary_huge_shape", "logreg", *binary([bin_input(shape=(2**31, 30))], ROW_BLOB)),
    ("binary_negative_shape", "logreg", *binary([bin_input(shape=(-4, 30))], ROW_BLOB)),
    ("header_length_beyond_body", "logreg", *binary([bin_input()], ROW_BLOB, header_len=10**6)),
    ("header_length_not_a_number", "logreg", *binary([bin_input()], ROW_BLOB, header_len="abc")),
    ("header_length_cuts_json", "logreg", *binary([bin_input()], ROW_BLOB, header_len=5)),
    ("bytes_length_prefix_beyond_blob", "string_pipeline",
     *binary([bin_input(shape=(1, 1), size=7, name="city", datatype="BYTES"), SP_X],
             struct.pack("<I", 100) + b"abc")),
    ("bytes_fewer_elements_than_shape", "string_pipeline",
     *binary([bin_input(shape=(2, 1), size=8, name="city", datatype="BYTES"),
              {**SP_X, "shape": [2, 1], "data": [0.5, 0.5]}],
             struct.pack("<I", 4) + b"oslo")),
]  # fmt: skip


def valid_request_succeeds(base_url):
    r = infer_json(base_url, "logreg", {"float_input": X})
    assert r.status_code == 200, f"valid request after a bad one failed: {r.status_code} {r.content[:300]!r}"
    assert len(r.json()["outputs"]) == 2


@pytest.mark.parametrize("model, body, headers", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_request_is_400(base_url, model, body, headers):
    r = requests.post(infer_url(base_url, model), data=body, headers=headers, timeout=30)
    assert_error(r, 400)
    valid_request_succeeds(base_url)


def test_bad_requests_on_one_keepalive_connection(base_url):
    """All bad requests on a single keep-alive session, then a valid one on it."""
    with requests.Session() as s:
        for case_id, model, body, headers in CASES:
            r = s.post(infer_url(base_url, model), data=body, headers=headers, timeout=30)
            assert 400 <= r.status_code < 500, (case_id, r.status_code, r.content[:200])
        r = infer_json(base_url, "logreg", {"float_input": X}, session=s)
        assert r.status_code == 200, r.content


@pytest.mark.parametrize(
    "url_path, status",
    [
        ("/v2/models/no_such_model/infer", 404),
        ("/v2/models/logreg/versions/2/infer", 404),
        ("/v2/models/no_such_model/versions/1/infer", 404),
    ],
)
def test_unknown_model_or_version(base_url, url_path, status):
    r = requests.post(base_url + url_path, data=logreg(), timeout=30)
    assert_error(r, status)
    valid_request_succeeds(base_url)


def test_wrong_method_on_infer(base_url):
    r = requests.get(infer_url(base_url, "logreg"), timeout=30)
    assert 400 <= r.status_code < 500
    valid_request_succeeds(base_url)


def test_good_binary_request_after_bad_ones(base_url, ort_ref):
    """A good binary request after bad binary ones is answered from its own bytes."""
    for _, model, body, headers in CASES:
        if headers:
            requests.post(infer_url(base_url, model), data=body, headers=headers, timeout=30)
    x = mem.sample_inputs("logreg", n=2, seed=77)["float_input"]
    head = j({"inputs": [bin_input(shape=(2, 30), size=x.nbytes)]})
    r = requests.post(infer_url(base_url, "logreg"), data=head + to_blob(x, "FP32"),
                      headers={"Inference-Header-Content-Length": str(len(head))}, timeout=30)  # fmt: skip
    assert r.status_code == 200, r.content
    _, got = parse_infer_response(r)
    np.testing.assert_array_equal(got["output_label"],
                                  ort_ref("logreg").run({"float_input": x})["output_label"])  # fmt: skip
