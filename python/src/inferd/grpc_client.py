"""The gRPC client (KServe v2 / Triton's inference.GRPCInferenceService):
health, metadata and inference with raw tensor contents. One channel per
client; a GrpcClient may be shared by threads."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any

import grpc
import numpy as np

from . import _common
from ._proto import grpc_service_pb2 as pb
from .errors import ConnectionError, InferdError, TimeoutError, error_for
from .tensors import InferResult, array_from_bytes, datatype_of, numpy_dtype, tensor_bytes

_SERVICE = "/inference.GRPCInferenceService/"

# gRPC codes as the HTTP statuses the typed errors carry.
_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
}

# Typed contents fields, for servers that answer without raw contents.
_CONTENTS = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}


class GrpcClient:
    """inferd over gRPC.

    >>> c = GrpcClient("localhost:8001")
    >>> c.predict("logreg", x)
    """

    def __init__(
        self,
        target: str = "localhost:8001",
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.1,
        api_key: str | None = None,
        token: str | None = None,
        tls: bool = False,
        root_certificates: bytes | None = None,
        private_key: bytes | None = None,
        certificate_chain: bytes | None = None,
        max_message_bytes: int = 256 << 20,
    ) -> None:
        if api_key is None and token is None:
            api_key = os.environ.get("INFERD_API_KEY") or None
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        credential = token or api_key
        self._metadata = [("authorization", f"Bearer {credential}")] if credential else []
        options = [
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.max_receive_message_length", max_message_bytes),
        ]
        if tls or root_certificates or private_key or certificate_chain:
            creds = grpc.ssl_channel_credentials(root_certificates, private_key, certificate_chain)
            self._channel = grpc.secure_channel(target, creds, options)
        else:
            self._channel = grpc.insecure_channel(target, options)
        self.target = target
        self._metadata_cache: dict[tuple[str, str], dict[str, Any]] = {}

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> GrpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, request: Any, response_type: Any) -> Any:
        rpc = self._channel.unary_unary(
            _SERVICE + method,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_type.FromString,
        )
        attempt = 0
        while True:
            try:
                return rpc(request, timeout=self.timeout, metadata=self._metadata)
            except grpc.RpcError as e:
                code = e.code() if hasattr(e, "code") else grpc.StatusCode.UNKNOWN
                details = (e.details() if hasattr(e, "details") else "") or str(code)
                if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise TimeoutError(
                        504, f"{details} (client timeout {self.timeout} s, {method})"
                    ) from e
                if code == grpc.StatusCode.UNAVAILABLE and attempt < self.retries:
                    time.sleep(min(self.backoff * 2**attempt * (0.5 + random.random()), 30))
                    attempt += 1
                    continue
                if code == grpc.StatusCode.UNAVAILABLE and "connect" in details.lower():
                    raise ConnectionError(0, f"cannot reach {self.target}: {details}") from e
                raise error_for(_STATUS.get(code, 500), details, code.name) from e

    # ---------------------------------------------------------------- health
    def is_live(self) -> bool:
        return bool(self._call("ServerLive", pb.ServerLiveRequest(), pb.ServerLiveResponse).live)

    def is_ready(self) -> bool:
        return bool(
            self._call("ServerReady", pb.ServerReadyRequest(), pb.ServerReadyResponse).ready
        )

    def is_model_ready(self, model: str, version: str | int | None = None) -> bool:
        request = pb.ModelReadyRequest(name=model, version=_version_text(version))
        return bool(self._call("ModelReady", request, pb.ModelReadyResponse).ready)

    def server_metadata(self) -> dict[str, Any]:
        r = self._call("ServerMetadata", pb.ServerMetadataRequest(), pb.ServerMetadataResponse)
        return {"name": r.name, "version": r.version, "extensions": list(r.extensions)}

    def model_metadata(self, model: str, version: str | int | None = None) -> dict[str, Any]:
        """The same dict as Client.model_metadata."""
        request = pb.ModelMetadataRequest(name=model, version=_version_text(version))
        r = self._call("ModelMetadata", request, pb.ModelMetadataResponse)

        def tensors(items: Any) -> list[dict[str, Any]]:
            return [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in items]

        return {
            "name": r.name,
            "versions": list(r.versions),
            "platform": r.platform,
            "inputs": tensors(r.inputs),
            "outputs": tensors(r.outputs),
        }

    # ---------------------------------------------------------------- inference
    def infer(
        self,
        model: str,
        inputs: Any,
        *,
        version: str | int | None = None,
        outputs: Sequence[str] | None = None,
        request_id: str | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> InferResult:
        """One ModelInfer call; inputs travel as raw contents."""
        key = (model, "" if version is None else str(version))
        if key not in self._metadata_cache:
            self._metadata_cache[key] = self.model_metadata(model, version)
        request = pb.ModelInferRequest(
            model_name=model, model_version=_version_text(version), id=request_id or ""
        )
        for name, value in (parameters or {}).items():
            _set_parameter(request.parameters[name], value)
        for name, array in _common.prepare_inputs(inputs, self._metadata_cache[key]).items():
            array = np.asarray(array)
            datatype = datatype_of(array)
            request.inputs.add(name=name, datatype=datatype, shape=list(array.shape))
            request.raw_input_contents.append(tensor_bytes(array, datatype))
        for name in outputs or ():
            request.outputs.add(name=name)
        r = self._call("ModelInfer", request, pb.ModelInferResponse)
        return InferResult(_outputs(r), r.model_name, r.model_version, r.id or None)

    def predict(
        self,
        model: str,
        inputs: Any,
        *,
        version: str | int | None = None,
        outputs: Sequence[str] | None = None,
        as_frame: bool | None = None,
    ) -> Any:
        """As Client.predict."""
        result = self.infer(model, inputs, version=version, outputs=outputs)
        return _common.predict_result(inputs, as_frame, result)


def _version_text(version: str | int | None) -> str:
    """A version as gRPC carries it: "" for the server's choice."""
    return "" if version is None else str(version)


def _set_parameter(parameter: Any, value: Any) -> None:
    if isinstance(value, bool):
        parameter.bool_param = value
    elif isinstance(value, int):
        parameter.int64_param = value
    elif isinstance(value, float):
        parameter.double_param = value
    else:
        parameter.string_param = str(value)


def _outputs(response: Any) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    raw = response.raw_output_contents
    for i, tensor in enumerate(response.outputs):
        shape = [int(d) for d in tensor.shape]
        if raw:
            if i >= len(raw):
                raise InferdError(0, f"no raw contents for output '{tensor.name}'")
            out[tensor.name] = array_from_bytes(raw[i], tensor.datatype, shape)
            continue
        field = _CONTENTS.get(tensor.datatype)
        if field is None:
            raise InferdError(
                0, f"output '{tensor.name}' has datatype {tensor.datatype} without raw contents"
            )
        values = list(getattr(tensor.contents, field))
        dtype = object if tensor.datatype == "BYTES" else None
        array = np.array(values, dtype=dtype)
        if tensor.datatype != "BYTES":
            array = array.astype(numpy_dtype(tensor.datatype))
        out[tensor.name] = array.reshape(shape)
    return out
