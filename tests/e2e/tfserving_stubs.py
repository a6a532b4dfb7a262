"""TF Serving's own generated Python stubs (the tensorflow-serving-api package),
imported without TensorFlow.

tensorflow-serving-api depends on the whole of `tensorflow` only for the
tensorflow.core.* message modules its stubs import. requirements-tfserving.txt
installs it with --no-deps, next to tensorflow-protobuf, which ships those
modules compiled from TensorFlow's .proto files. One module is missing there:
TensorFlow 2.11 moved its error-code enum to tensorflow/tsl/protobuf/
error_codes.proto, which tensorflow-protobuf does not ship. ensure_tsl_error_codes()
registers that one enum, tensorflow.error.Code, with TensorFlow's canonical
codes, which are gRPC's status codes (taken here from grpcio itself), under
the module names both TensorFlow 2.11's and 2.21's generated code look up.

Everything a test sends and reads goes through tensorflow-serving-api's own
message classes and gRPC stubs; check_real_stubs() proves the files on disk
are the ones that package shipped (tensorflow-protobuf carries an older copy
of tensorflow_serving/ that must not win).
"""
from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import sys
import types

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.internal import builder

SETUP_HINT = ("the TF Serving stubs are missing: run scripts/setup.sh (it installs "
              "requirements-tfserving.txt into the test venv)")  # fmt: skip

TSL_ERROR_CODES = "tensorflow/tsl/protobuf/error_codes.proto"
TSL_MODULE = "tensorflow.tsl.protobuf.error_codes_pb2"


def ensure_tsl_error_codes() -> None:
    try:
        __import__(TSL_MODULE)
        return
    except ImportError:
        pass
    try:
        descriptor_pool.Default().FindFileByName(TSL_ERROR_CODES)
    except KeyError:
        proto = descriptor_pb2.FileDescriptorProto(
            name=TSL_ERROR_CODES, package="tensorflow.error", syntax="proto3")
        enum = proto.enum_type.add(name="Code")
        for code in sorted(grpc.StatusCode, key=lambda c: c.value[0]):
            enum.value.add(name=code.name, number=code.value[0])
        descriptor_pool.Default().AddSerializedFile(proto.SerializeToString())
    module = types.ModuleType(TSL_MODULE)
    file = descriptor_pool.Default().FindFileByName(TSL_ERROR_CODES)
    builder.BuildMessageAndEnumDescriptors(file, module.__dict__)
    builder.BuildTopDescriptorsAndMessages(file, TSL_MODULE, module.__dict__)
    for parent in ("tensorflow.tsl", "tensorflow.tsl.protobuf"):
        sys.modules.setdefault(parent, types.ModuleType(parent))
    sys.modules[TSL_MODULE] = module
    # tensorflow-serving-api 2.21's status_pb2 reads the enum's module (unused
    # beyond that) under the name TensorFlow 2.21's error_codes_pb2 gives it.
    from tensorflow.core.protobuf import error_codes_pb2

    if not hasattr(error_codes_pb2, "xla_dot_tsl_dot_protobuf_dot_error__codes__pb2"):
        error_codes_pb2.xla_dot_tsl_dot_protobuf_dot_error__codes__pb2 = module


def check_real_stubs() -> list[str]:
    """The tensorflow_serving files that do not match tensorflow-serving-api's RECORD."""
    dist = importlib.metadata.distribution("tensorflow-serving-api")
    bad = []
    for f in dist.files or []:
        if not str(f).endswith(".py") or f.hash is None:
            continue
        digest = hashlib.sha256(f.locate().read_bytes()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != f.hash.value:
            bad.append(str(f))
    return bad


try:
    import tensorflow_serving  # noqa: F401
except ImportError as e:  # a missing install is a failure, never a skip
    raise ImportError(SETUP_HINT) from e

ensure_tsl_error_codes()

from tensorflow.core.example import example_pb2, feature_pb2  # noqa: E402
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2  # noqa: E402
from tensorflow_serving.apis import (  # noqa: E402
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    input_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

__all__ = [
    "check_real_stubs", "classification_pb2", "example_pb2", "feature_pb2",
    "get_model_metadata_pb2", "get_model_status_pb2", "inference_pb2", "input_pb2",
    "model_management_pb2", "model_service_pb2_grpc", "predict_pb2",
    "prediction_service_pb2_grpc", "regression_pb2", "tensor_pb2", "tensor_shape_pb2",
    "types_pb2",
]  # fmt: skip
