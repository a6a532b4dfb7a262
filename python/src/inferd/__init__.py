"""inferd's Python toolkit: clients for the inferd server (HTTP, asyncio, gRPC)
and the path from a trained model to a served one (convert, verify,
quantize, push)."""

from __future__ import annotations

from .async_client import AsyncClient
from .client import Client
from .errors import (
    ConflictError,
    ConnectionError,
    ForbiddenError,
    InferdError,
    InvalidInputError,
    NotFoundError,
    ServerError,
    TimeoutError,
    TooManyRequestsError,
    UnauthorizedError,
    UnavailableError,
)
from .tensors import InferResult

__version__ = "0.1.0"

# Where the lazily loaded names live: the gRPC client and the tools load their
# dependencies (grpcio, onnx, the frameworks) only when used.
_LAZY = {
    "GrpcClient": "grpc_client",
    "convert": "conversion",
    "verify": "verification",
    "quantize": "quantization",
    "push": "push_model",
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'inferd' has no attribute '{name}'")
    import importlib

    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)


__all__ = [
    "AsyncClient",
    "Client",
    "ConflictError",
    "ConnectionError",
    "ForbiddenError",
    "GrpcClient",
    "InferResult",
    "InferdError",
    "InvalidInputError",
    "NotFoundError",
    "ServerError",
    "TimeoutError",
    "TooManyRequestsError",
    "UnauthorizedError",
    "UnavailableError",
    "__version__",
    "convert",
    "push",
    "quantize",
    "verify",
]
